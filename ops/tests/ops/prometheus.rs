//! Prometheus and Alertmanager: the tools' own checks, unit tests for every alert, and the
//! metrics, ports and paths the config and rules rely on.

use std::collections::BTreeSet;
use std::process::Command;

use crate::{Binary, Problems};
use registry_ops_tests::{exported_metrics, promql_metrics, root, scalar, url_port_path, yaml};

const CONFIG: &str = "docker/observability/prometheus/prometheus.yml";
const RULES: &str = "docker/observability/prometheus/rules/registry.yml";
const RULE_TESTS: &str = "docker/observability/prometheus/tests/registry_test.yml";
const ALERTMANAGER: &str = "docker/observability/alertmanager/alertmanager.yml";

/// Runs a tool from the repository root and fails with its output unless it succeeds.
fn run(tool: &str, args: &[&str]) {
    let out = Command::new(tool)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} cannot run ({e}): `make tools` (scripts/ensure-tools) installs it")
        });
    assert!(
        out.status.success(),
        "{tool} {}:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_accepts_the_prometheus_config() {
    run("promtool", &["check", "config", CONFIG]);
}

#[test]
fn promtool_accepts_the_alert_rules() {
    run("promtool", &["check", "rules", RULES]);
}

#[test]
fn the_alert_rules_pass_their_unit_tests() {
    run("promtool", &["test", "rules", RULE_TESTS]);
}

#[test]
fn amtool_accepts_the_alertmanager_config() {
    run("amtool", &["check-config", ALERTMANAGER]);
}

/// `(alert name, expression)` of every alerting rule.
fn alerts() -> Vec<(String, String)> {
    let rules = yaml(RULES);
    let mut out = Vec::new();
    for group in rules["groups"].as_sequence().into_iter().flatten() {
        for rule in group["rules"].as_sequence().into_iter().flatten() {
            if let (Some(name), Some(expr)) = (rule["alert"].as_str(), rule["expr"].as_str()) {
                out.push((name.to_owned(), expr.to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_alert_has_a_firing_and_a_quiet_unit_test() {
    let tests = yaml(RULE_TESTS);
    let mut firing = BTreeSet::new();
    let mut quiet = BTreeSet::new();
    for group in tests["tests"].as_sequence().into_iter().flatten() {
        for case in group["alert_rule_test"].as_sequence().into_iter().flatten() {
            let name = case["alertname"].as_str().unwrap_or_default().to_owned();
            match case["exp_alerts"].as_sequence() {
                Some(alerts) if !alerts.is_empty() => firing.insert(name),
                _ => quiet.insert(name),
            };
        }
    }
    let mut problems = Problems::default();
    for (name, _) in alerts() {
        problems.check(firing.contains(&name), || {
            format!("{name} has no test where it fires")
        });
        problems.check(quiet.contains(&name), || {
            format!("{name} has no test where it stays quiet")
        });
    }
    problems.assert_none();
}

#[test]
fn the_alerts_operations_rely_on_exist() {
    let names: BTreeSet<String> = alerts().into_iter().map(|(n, _)| n).collect();
    for required in [
        "RegistryApiErrorRate",
        "RegistryApiLatencyP99",
        "RegistryIndexerDown",
        "RegistryIndexerLagLedgers",
        "RegistryIndexerLagSeconds",
        "RegistryFeedListenerDisconnected",
        "RegistryDbPoolSaturated",
        "RegistryRateLimitRejectionsSurging",
    ] {
        assert!(names.contains(required), "{required} is missing: {names:?}");
    }
}

#[test]
fn alert_rules_use_only_metrics_the_binaries_export() {
    let exported = exported_metrics();
    let mut problems = Problems::default();
    for (name, expr) in alerts() {
        let used = promql_metrics(&expr);
        problems.check(!used.is_empty(), || {
            format!("{name}: no metric found in {expr}")
        });
        for m in used {
            problems.check(exported.contains(&m), || {
                format!("{name} uses {m}, which neither binary exports")
            });
        }
    }
    problems.assert_none();
}

#[test]
fn prometheus_scrapes_each_binary_on_its_port_and_metrics_path() {
    let config = yaml(CONFIG);
    let mut problems = Problems::default();
    let mut seen = BTreeSet::new();
    for job in config["scrape_configs"].as_sequence().into_iter().flatten() {
        let name = job["job_name"].as_str().unwrap_or_default();
        let binary = match name {
            "registry-server" => Binary::Server,
            n if n.starts_with("registry-indexer") => Binary::Indexer,
            _ => continue,
        };
        seen.insert(binary as u8);
        let path = job["metrics_path"].as_str().unwrap_or("/metrics");
        problems.check(binary.routes().contains(path), || {
            format!("job {name}: {binary:?} serves no {path}")
        });
        let mut ports = Vec::new();
        for sc in job["static_configs"].as_sequence().into_iter().flatten() {
            for t in sc["targets"].as_sequence().into_iter().flatten() {
                let t = scalar(t).unwrap_or_default();
                ports.push(url_port_path(&format!("http://{t}")).map(|(p, _)| p));
            }
        }
        for sd in job["dns_sd_configs"].as_sequence().into_iter().flatten() {
            ports.push(sd["port"].as_u64().and_then(|p| u16::try_from(p).ok()));
        }
        problems.check(!ports.is_empty(), || format!("job {name} has no target"));
        for p in ports {
            problems.check(p == Some(binary.port()), || {
                format!(
                    "job {name} scrapes port {p:?}, {binary:?} listens on {}",
                    binary.port()
                )
            });
        }
    }
    problems.check(seen.len() == 2, || "a binary is not scraped".into());
    problems.assert_none();
}

#[test]
fn rule_files_and_alertmanager_targets_are_wired() {
    let config = yaml(CONFIG);
    let globs: Vec<String> = config["rule_files"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(scalar)
        .collect();
    assert!(
        globs.iter().any(|g| g == "rules/*.yml"),
        "rule_files must load rules/*.yml: {globs:?}"
    );
    let am = &config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"][0];
    assert_eq!(scalar(am).as_deref(), Some("alertmanager:9093"));
}
