//! Alertmanager's config, written at start by `render-config` from `SLACK_WEBHOOK_URL` and
//! `PAGERDUTY_SERVICE_KEY`: where each severity the rules use goes with neither, either or both
//! set (as `amtool` reads the config), the values it refuses, the checked-in rendering, and the
//! compose service and Kubernetes Deployment that run it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use registry_ops_tests::{read, root, scalar, yaml, yaml_docs};
use serde_yaml::Value;

use crate::Problems;

const SCRIPT: &str = "docker/observability/alertmanager/render-config";
const CHECKED_IN: &str = "docker/observability/alertmanager/alertmanager.yml";
const RULES: &str = "docker/observability/prometheus/rules/registry.yml";
const MANIFEST: &str = "docker/k8s/alertmanager.yaml";

const SLACK: &str = "https://hooks.slack.com/services/T0000/B0000/not-a-real-webhook";
const PAGERDUTY: &str = "0123456789abcdef0123456789abcdef";

/// The severities the routing was decided for: a rule with another one fails
/// `every_severity_the_rules_use_has_a_decided_route` until it is.
const ROUTED_SEVERITIES: [&str; 2] = ["page", "ticket"];

/// One environment: its name, its variables, the receivers of a page, the receivers of
/// anything else (another severity, or none).
struct Case {
    name: &'static str,
    env: &'static [(&'static str, &'static str)],
    page: &'static [&'static str],
    rest: &'static [&'static str],
}

const CASES: [Case; 4] = [
    Case {
        name: "neither",
        env: &[],
        page: &["null"],
        rest: &["null"],
    },
    Case {
        name: "Slack only",
        env: &[("SLACK_WEBHOOK_URL", SLACK)],
        page: &["slack"],
        rest: &["slack"],
    },
    Case {
        name: "PagerDuty only",
        env: &[("PAGERDUTY_SERVICE_KEY", PAGERDUTY)],
        page: &["pagerduty"],
        rest: &["null"],
    },
    Case {
        name: "both",
        env: &[
            ("SLACK_WEBHOOK_URL", SLACK),
            ("PAGERDUTY_SERVICE_KEY", PAGERDUTY),
        ],
        page: &["pagerduty", "slack"],
        rest: &["slack"],
    },
];

/// A directory of its own for one test, removed when it ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("render-config-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn entries(&self) -> Vec<String> {
        std::fs::read_dir(&self.0)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `sh render-config [out]` with only `PATH` and `env` in its environment.
fn render(env: &[(&str, &str)], out: Option<&Path>) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg(root().join(SCRIPT))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied());
    if let Some(out) = out {
        cmd.arg(out);
    }
    cmd.output().expect("sh runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs amtool and returns its standard output; fails unless it succeeds.
fn amtool(args: &[&str]) -> String {
    let out = Command::new("amtool")
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| {
            panic!("amtool cannot run ({e}): `make tools` (scripts/ensure-tools) installs it")
        });
    assert!(
        out.status.success(),
        "amtool {}:\n{}{}",
        args.join(" "),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The receivers `amtool config routes test` picks for an alert with these labels.
fn receivers(config: &Path, labels: &[String]) -> Vec<String> {
    let file = format!("--config.file={}", config.display());
    let mut args = vec!["config", "routes", "test", file.as_str()];
    args.extend(labels.iter().map(String::as_str));
    let mut out: Vec<String> = amtool(&args).trim().split(',').map(str::to_owned).collect();
    out.sort();
    out
}

/// Every `severity` label of the alert rules.
fn rule_severities() -> BTreeSet<String> {
    let rules = yaml(RULES);
    let mut out = BTreeSet::new();
    for group in rules["groups"].as_sequence().into_iter().flatten() {
        for rule in group["rules"].as_sequence().into_iter().flatten() {
            if rule["alert"].is_string() {
                out.insert(scalar(&rule["labels"]["severity"]).unwrap_or_default());
            }
        }
    }
    out
}

/// A YAML sequence's items as strings.
fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .into_iter()
        .flatten()
        .filter_map(scalar)
        .collect()
}

#[test]
fn every_severity_the_rules_use_has_a_decided_route() {
    let used = rule_severities();
    let decided: BTreeSet<String> = ROUTED_SEVERITIES.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        used, decided,
        "the rules' severities changed: decide where the new ones go in render-config, then \
         update ROUTED_SEVERITIES and the routing table in docs/OPERATIONS.md"
    );
}

#[test]
fn each_environment_routes_every_severity_to_its_receivers() {
    let scratch = Scratch::new("routes");
    let checked_in = yaml(CHECKED_IN);
    // The severities of the rules, the docs' test alert's, and an alert without one.
    let mut alerts: Vec<(String, Vec<String>)> = rule_severities()
        .into_iter()
        .chain(["warning".to_owned()])
        .map(|s| {
            (
                format!("severity={s}"),
                vec!["alertname=TestAlert".to_owned(), format!("severity={s}")],
            )
        })
        .collect();
    alerts.push((
        "no severity".to_owned(),
        vec!["alertname=TestAlert".to_owned()],
    ));
    let mut problems = Problems::default();
    for case in &CASES {
        let file = scratch
            .0
            .join(format!("{}.yml", case.name.replace(' ', "-")));
        let out = render(case.env, Some(&file));
        assert!(
            out.status.success(),
            "{}: render-config failed: {}",
            case.name,
            text(&out.stderr)
        );
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        problems.check(stdout.is_empty(), || {
            format!("{}: writing a file, it printed {stdout:?}", case.name)
        });
        for (_, value) in case.env {
            problems.check(!stderr.contains(value), || {
                format!("{}: a value is printed: {stderr:?}", case.name)
            });
        }
        amtool(&["check-config", &file.display().to_string()]);

        for (what, labels) in &alerts {
            let expected = if what == "severity=page" {
                case.page
            } else {
                case.rest
            };
            let got = receivers(&file, labels);
            problems.check(got == expected, || {
                format!(
                    "{}: {what} goes to {got:?}, expected {expected:?}",
                    case.name
                )
            });
        }

        let config: Value = serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", case.name));
        let names: BTreeSet<String> = config["receivers"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|r| scalar(&r["name"]))
            .collect();
        let mut expected: BTreeSet<String> = BTreeSet::from(["null".to_owned()]);
        for (var, _) in case.env {
            expected.insert(
                match *var {
                    "SLACK_WEBHOOK_URL" => "slack",
                    _ => "pagerduty",
                }
                .to_owned(),
            );
        }
        problems.check(names == expected, || {
            format!("{}: receivers {names:?}, expected {expected:?}", case.name)
        });
        let receiver = |name: &str| {
            config["receivers"]
                .as_sequence()
                .into_iter()
                .flatten()
                .find(|r| r["name"].as_str() == Some(name))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let null = receiver("null");
        problems.check(null.as_mapping().is_some_and(|m| m.len() == 1), || {
            format!(
                "{}: the null receiver has integrations: {null:?}",
                case.name
            )
        });
        for (var, value) in case.env {
            let (name, integration, key) = match *var {
                "SLACK_WEBHOOK_URL" => ("slack", "slack_configs", "api_url"),
                _ => ("pagerduty", "pagerduty_configs", "service_key"),
            };
            let configs = &receiver(name)[integration];
            problems.check(
                configs.as_sequence().map(Vec::len) == Some(1)
                    && configs[0][key].as_str() == Some(value)
                    && configs[0]["send_resolved"].as_bool() == Some(true),
                || {
                    format!(
                        "{}: {name} needs one {integration} with {key} from {var} and \
                         send_resolved",
                        case.name
                    )
                },
            );
        }
        // Only the receivers change: grouping, timings and inhibitions stay the checked-in ones.
        for key in [
            "group_by",
            "group_wait",
            "group_interval",
            "repeat_interval",
        ] {
            problems.check(config["route"][key] == checked_in["route"][key], || {
                format!("{}: route.{key} differs from alertmanager.yml", case.name)
            });
        }
        for key in ["global", "inhibit_rules"] {
            problems.check(config[key] == checked_in[key], || {
                format!("{}: {key} differs from alertmanager.yml", case.name)
            });
        }
        problems.check(!checked_in["inhibit_rules"].is_null(), || {
            "alertmanager.yml lost its inhibit_rules".into()
        });
    }
    problems.assert_none();
}

#[test]
fn the_checked_in_config_is_the_rendering_with_neither_variable() {
    let out = render(&[], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        out.stdout == read(CHECKED_IN).into_bytes(),
        "{CHECKED_IN} is not what render-config writes with neither variable: \
         `sh {SCRIPT} > {CHECKED_IN}`"
    );
    // Empty counts as unset.
    let empty = render(
        &[("SLACK_WEBHOOK_URL", ""), ("PAGERDUTY_SERVICE_KEY", "")],
        None,
    );
    assert!(empty.status.success(), "{}", text(&empty.stderr));
    assert_eq!(text(&empty.stdout), text(&out.stdout));
    // Written to a file: the same bytes, readable by its owner only (it may hold the values).
    let scratch = Scratch::new("checked-in");
    let file = scratch.0.join("alertmanager.yml");
    std::fs::write(&file, "replaced whole\n").unwrap();
    let written = render(&[], Some(&file));
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert_eq!(std::fs::read(&file).unwrap(), out.stdout);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
    assert_eq!(
        scratch.entries(),
        ["alertmanager.yml"],
        "a temporary file is left"
    );
}

#[test]
fn values_that_could_change_the_yaml_are_refused_and_nothing_is_written() {
    const HTTPS: &str = "SLACK_WEBHOOK_URL must be an https:// URL";
    const SLACK_CHARS: &str =
        "SLACK_WEBHOOK_URL must not contain whitespace, quotes, backslashes or control characters";
    const PD_CHARS: &str = "PAGERDUTY_SERVICE_KEY must not contain whitespace, quotes, \
                            backslashes or control characters";
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[(
                "SLACK_WEBHOOK_URL",
                "http://hooks.slack.com/services/T0/B0/x",
            )],
            HTTPS,
        ),
        (
            &[("SLACK_WEBHOOK_URL", "hooks.slack.com/services/T0/B0/x")],
            HTTPS,
        ),
        (&[("SLACK_WEBHOOK_URL", "https:///services/T0/B0/x")], HTTPS),
        (
            &[(
                "SLACK_WEBHOOK_URL",
                "https://hooks.slack.com/x'\nglobal: {}",
            )],
            SLACK_CHARS,
        ),
        (
            &[("SLACK_WEBHOOK_URL", "https://hooks.slack.com/x y")],
            SLACK_CHARS,
        ),
        (
            &[("SLACK_WEBHOOK_URL", "https://hooks.slack.com/x\"")],
            SLACK_CHARS,
        ),
        (&[("PAGERDUTY_SERVICE_KEY", "abc def")], PD_CHARS),
        (&[("PAGERDUTY_SERVICE_KEY", "abc'")], PD_CHARS),
        (&[("PAGERDUTY_SERVICE_KEY", "abc\"")], PD_CHARS),
        (&[("PAGERDUTY_SERVICE_KEY", "abc\\")], PD_CHARS),
        (&[("PAGERDUTY_SERVICE_KEY", "abc\nroute: {}")], PD_CHARS),
        (&[("PAGERDUTY_SERVICE_KEY", "abc\tdef")], PD_CHARS),
        (&[("PAGERDUTY_SERVICE_KEY", "abc\u{1}def")], PD_CHARS),
        (&[("PAGERDUTY_SERVICE_KEY", "  ")], PD_CHARS),
        // One good value does not let a bad one through.
        (
            &[
                ("SLACK_WEBHOOK_URL", SLACK),
                ("PAGERDUTY_SERVICE_KEY", "abc'\n"),
            ],
            PD_CHARS,
        ),
    ];
    let scratch = Scratch::new("refused");
    let file = scratch.0.join("alertmanager.yml");
    let mut problems = Problems::default();
    for (env, message) in cases {
        // A file already there is left as it was.
        std::fs::write(&file, "previous\n").unwrap();
        let out = render(env, Some(&file));
        let stderr = text(&out.stderr);
        problems.check(out.status.code() == Some(1), || {
            format!("{env:?}: exit {:?}, expected 1", out.status.code())
        });
        // One line, the message, and nothing else (no value).
        problems.check(
            stderr.starts_with(&format!("render-config: {message}")) && stderr.lines().count() == 1,
            || format!("{env:?}: {stderr:?} is not the one line {message:?}"),
        );
        problems.check(out.stdout.is_empty(), || {
            format!("{env:?}: printed {:?}", text(&out.stdout))
        });
        for (_, value) in *env {
            problems.check(!stderr.contains(value), || {
                format!("{env:?}: the value is printed: {stderr:?}")
            });
        }
        let kept = std::fs::read_to_string(&file).unwrap_or_default();
        problems.check(kept == "previous\n", || {
            format!("{env:?}: the file was changed to {kept:?}")
        });
        let entries = scratch.entries();
        problems.check(entries == ["alertmanager.yml"], || {
            format!("{env:?}: files written: {entries:?}")
        });
        // And to stdout: nothing either.
        let out = render(env, None);
        problems.check(!out.status.success() && out.stdout.is_empty(), || {
            format!("{env:?}: printed a config: {:?}", text(&out.stdout))
        });
    }
    problems.assert_none();
}

/// The config file a `sh -c` start-up command renders, and the one it starts Alertmanager on.
fn rendered_and_loaded(command: &str) -> (Option<String>, Option<String>) {
    let words: Vec<&str> = command.split_whitespace().collect();
    let rendered = words
        .iter()
        .position(|w| w.ends_with("/render-config"))
        .and_then(|i| words.get(i + 1))
        .map(|w| w.to_string());
    let loaded = words
        .iter()
        .find_map(|w| w.strip_prefix("--config.file="))
        .map(str::to_owned);
    (rendered, loaded)
}

#[test]
fn compose_renders_the_config_from_the_two_variables_before_alertmanager_starts() {
    let compose = yaml("docker/compose.yaml");
    let service = &compose["services"]["alertmanager"];
    let mut problems = Problems::default();
    let entrypoint = strings(&service["entrypoint"]);
    problems.check(entrypoint == ["/bin/sh", "-c"], || {
        format!("entrypoint {entrypoint:?}, expected [/bin/sh, -c]")
    });
    let command = strings(&service["command"]).join(" ");
    problems.check(
        command.starts_with("sh /etc/alertmanager/render-config ")
            && command.contains("&& exec /bin/alertmanager "),
        || format!("the command does not render, then exec Alertmanager: {command:?}"),
    );
    let (rendered, loaded) = rendered_and_loaded(&command);
    problems.check(rendered.is_some() && rendered == loaded, || {
        format!("renders {rendered:?}, Alertmanager loads {loaded:?}")
    });
    // The script is in the mounted directory, and the rendering goes to a writable tmpfs.
    let volumes = strings(&service["volumes"]);
    problems.check(
        volumes.contains(&"./observability/alertmanager:/etc/alertmanager:ro".to_owned()),
        || format!("render-config is not mounted at /etc/alertmanager: {volumes:?}"),
    );
    let tmpfs = strings(&service["tmpfs"]);
    problems.check(
        rendered
            .as_deref()
            .and_then(|r| Path::new(r).parent())
            .is_some_and(|dir| tmpfs.iter().any(|t| Path::new(t) == dir)),
        || format!("{rendered:?} is not in a tmpfs ({tmpfs:?})"),
    );
    for var in ["SLACK_WEBHOOK_URL", "PAGERDUTY_SERVICE_KEY"] {
        let value = scalar(&service["environment"][var]);
        let expected = format!("${{{var}:-}}");
        problems.check(value.as_deref() == Some(expected.as_str()), || {
            format!("alertmanager: {var} is {value:?}, expected {expected}")
        });
    }
    problems.assert_none();
}

#[test]
fn kubernetes_runs_the_same_script_with_the_optional_secret() {
    let objects = yaml_docs(MANIFEST);
    let find = |kind: &str| {
        objects
            .iter()
            .find(|o| {
                o["kind"].as_str() == Some(kind)
                    && o["metadata"]["name"].as_str() == Some("registry-alertmanager")
            })
            .unwrap_or_else(|| panic!("{MANIFEST} has no {kind} registry-alertmanager"))
    };
    let config_map = find("ConfigMap");
    assert!(
        config_map["data"]["render-config"].as_str() == Some(read(SCRIPT).as_str()),
        "the ConfigMap's render-config is not {SCRIPT}: copy it in again"
    );
    let deployment = find("Deployment");
    let spec = &deployment["spec"]["template"]["spec"];
    let container = &spec["containers"][0];
    let compose = yaml("docker/compose.yaml");
    assert_eq!(
        container["image"], compose["services"]["alertmanager"]["image"],
        "the same Alertmanager as the compose stack"
    );
    let mut problems = Problems::default();
    let command = strings(&container["command"]);
    problems.check(command == ["/bin/sh", "-c"], || {
        format!("command {command:?}, expected [/bin/sh, -c]")
    });
    let args = strings(&container["args"]).join(" ");
    let (rendered, loaded) = rendered_and_loaded(&args);
    problems.check(rendered.is_some() && rendered == loaded, || {
        format!("renders {rendered:?}, Alertmanager loads {loaded:?}")
    });
    problems.check(args.contains("&& exec /bin/alertmanager "), || {
        format!("Alertmanager is not exec'd after the rendering: {args:?}")
    });
    // Mounts: the script from the ConfigMap where the command runs it, and a writable volume
    // (the root file system is read-only) where the config is written.
    let mounts: Vec<(String, String)> = container["volumeMounts"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                scalar(&m["mountPath"]).unwrap_or_default(),
                scalar(&m["name"]).unwrap_or_default(),
            )
        })
        .collect();
    let volume = |path: &str| {
        let name = mounts.iter().find(|(p, _)| p == path).map(|(_, n)| n)?;
        spec["volumes"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|v| scalar(&v["name"]).as_ref() == Some(name))
            .cloned()
    };
    let script_dir = args
        .split_whitespace()
        .find(|w| w.ends_with("/render-config"))
        .and_then(|w| Path::new(w).parent())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    problems.check(
        volume(&script_dir)
            .is_some_and(|v| v["configMap"]["name"].as_str() == Some("registry-alertmanager")),
        || format!("{script_dir} is not the ConfigMap registry-alertmanager"),
    );
    let rendered_dir = rendered
        .as_deref()
        .and_then(|r| Path::new(r).parent())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    problems.check(
        volume(&rendered_dir).is_some_and(|v| v["emptyDir"]["medium"].as_str() == Some("Memory")),
        || format!("{rendered_dir} is not a memory-backed emptyDir"),
    );
    problems.check(
        container["securityContext"]["readOnlyRootFilesystem"].as_bool() == Some(true)
            && spec["securityContext"]["runAsNonRoot"].as_bool() == Some(true),
        || "alertmanager must run as non-root on a read-only root file system".into(),
    );
    for (var, key) in [
        ("SLACK_WEBHOOK_URL", "slack-webhook-url"),
        ("PAGERDUTY_SERVICE_KEY", "pagerduty-service-key"),
    ] {
        let from = container["env"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|e| e["name"].as_str() == Some(var))
            .map(|e| e["valueFrom"]["secretKeyRef"].clone())
            .unwrap_or(Value::Null);
        problems.check(
            from["name"].as_str() == Some("registry-alerting")
                && from["key"].as_str() == Some(key)
                && from["optional"].as_bool() == Some(true),
            || format!("{var} must come from the optional key {key} of Secret registry-alerting"),
        );
    }
    // Probed and served on the port Alertmanager listens on.
    let port = &container["ports"][0];
    problems.check(port["containerPort"].as_u64() == Some(9093), || {
        format!("container port {port:?}, Alertmanager listens on 9093")
    });
    for (probe, path) in [
        ("readinessProbe", "/-/ready"),
        ("livenessProbe", "/-/healthy"),
    ] {
        let get = &container[probe]["httpGet"];
        problems.check(
            get["path"].as_str() == Some(path) && get["port"] == port["name"],
            || format!("{probe} must GET {path} on the container's port"),
        );
    }
    let service = find("Service");
    problems.check(
        service["spec"]["ports"][0]["port"].as_u64() == Some(9093)
            && service["spec"]["ports"][0]["targetPort"] == port["name"],
        || "the Service must expose 9093 to the container's port".into(),
    );
    problems.assert_none();
}

#[test]
fn the_operations_guide_shows_the_secret_and_a_v2_test_alert() {
    let guide = read("docs/OPERATIONS.md");
    for needle in [
        "kubectl -n soroban-registry create secret generic registry-alerting",
        "--from-literal=slack-webhook-url=",
        "--from-literal=pagerduty-service-key=",
        "curl -X POST http://localhost:9093/api/v2/alerts",
        "amtool alert query --alertmanager.url=http://localhost:9093",
    ] {
        assert!(
            guide.contains(needle),
            "docs/OPERATIONS.md lacks {needle:?}"
        );
    }
    // Alertmanager 0.27 serves no v1 API: no command may post there.
    for line in guide.lines().filter(|l| l.contains("curl")) {
        assert!(!line.contains("/api/v1/"), "a v1 API call: {line}");
    }
}
