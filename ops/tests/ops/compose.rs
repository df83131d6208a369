//! docker/compose.yaml: our services set only variables the binaries read and `.env.example`
//! documents, listen and are probed on the code's ports and routes, and start in order.

use std::collections::{BTreeMap, BTreeSet};

use registry_ops_tests::{env_example_vars, root, scalar, url_port_path, yaml};
use serde_yaml::Value;

use crate::{Binary, Problems};

const COMPOSE: &str = "docker/compose.yaml";

fn services() -> BTreeMap<String, Value> {
    let compose = yaml(COMPOSE);
    compose["services"]
        .as_mapping()
        .expect("compose.yaml has services")
        .iter()
        .map(|(k, v)| (scalar(k).unwrap_or_default(), v.clone()))
        .collect()
}

/// The binary a service runs, from its Dockerfile or image.
fn binary(service: &Value) -> Option<Binary> {
    service["build"]["dockerfile"]
        .as_str()
        .and_then(Binary::of)
        .or_else(|| service["image"].as_str().and_then(Binary::of))
}

/// A service's environment, in either of compose's two forms.
fn environment(service: &Value) -> BTreeMap<String, String> {
    match &service["environment"] {
        Value::Mapping(m) => m
            .iter()
            .map(|(k, v)| (scalar(k).unwrap_or_default(), scalar(v).unwrap_or_default()))
            .collect(),
        Value::Sequence(items) => items
            .iter()
            .filter_map(|i| i.as_str())
            .map(|i| match i.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (i.to_owned(), String::new()),
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// `(host port, container port)` of a service's published ports ("127.0.0.1:80:8080", "80:8080").
fn published(service: &Value) -> Vec<(u16, u16)> {
    service["ports"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(scalar)
        .filter_map(|p| {
            let parts: Vec<&str> = p.split(':').collect();
            let container = parts.last()?.split('/').next()?.parse().ok()?;
            let host = parts.get(parts.len().checked_sub(2)?)?.parse().ok()?;
            Some((host, container))
        })
        .collect()
}

/// The URL a health check fetches, if it is an HTTP one.
fn healthcheck_url(service: &Value) -> Option<String> {
    let test = &service["healthcheck"]["test"];
    let words: Vec<String> = match test {
        Value::Sequence(s) => s.iter().filter_map(scalar).collect(),
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        _ => return None,
    };
    words
        .iter()
        .flat_map(|w| w.split_whitespace())
        .find(|w| w.starts_with("http://"))
        .map(str::to_owned)
}

#[test]
fn our_services_set_only_variables_their_binary_reads_and_env_example_documents() {
    let documented = env_example_vars();
    let mut problems = Problems::default();
    let mut ours = 0;
    for (name, service) in services() {
        let Some(binary) = binary(&service) else {
            continue;
        };
        ours += 1;
        let reads = binary.vars();
        for var in environment(&service).keys() {
            problems.check(documented.contains(var), || {
                format!("{name}: {var} is not in .env.example")
            });
            problems.check(reads.contains(var), || {
                format!("{name}: {var} is not read by {binary:?} (Config::VARS)")
            });
        }
    }
    assert!(ours >= 3, "server, indexer and migrate were not recognised");
    problems.assert_none();
}

#[test]
fn our_services_listen_publish_and_are_probed_on_the_code_ports_and_routes() {
    let mut problems = Problems::default();
    for (name, service) in services() {
        let Some(binary) = binary(&service) else {
            continue;
        };
        let port = binary.port();
        let env = environment(&service);
        for (var, default) in binary.ports() {
            if let Some(p) = env.get(var) {
                problems.check(p == &default.to_string(), || {
                    format!("{name}: {var}={p}, the code's default is {default}")
                });
            }
        }
        let listens: Vec<u16> = binary.ports().iter().map(|(_, p)| *p).collect();
        for (_, container) in published(&service) {
            problems.check(listens.contains(&container), || {
                format!(
                    "{name} publishes container port {container}, {binary:?} listens on {listens:?}"
                )
            });
        }
        if name == "migrate" {
            continue;
        }
        match healthcheck_url(&service).as_deref().and_then(url_port_path) {
            Some((p, path)) => {
                problems.check(p == port, || {
                    format!("{name}: health check on port {p}, {binary:?} listens on {port}")
                });
                problems.check(binary.routes().contains(&path), || {
                    format!("{name}: health check on {path}, which {binary:?} does not serve")
                });
            }
            None => problems.push(format!("{name}: no HTTP health check")),
        }
    }
    problems.assert_none();
}

#[test]
fn the_stack_publishes_the_documented_ports() {
    let services = services();
    let mut problems = Problems::default();
    for (service, host, container) in [
        ("server", 3001, Binary::Server.ports()[0].1),
        ("server", 9102, Binary::Server.port()),
        ("grafana", 3003, 3000),
        ("prometheus", 9090, 9090),
        ("alertmanager", 9093, 9093),
        ("loki", 3100, 3100),
        ("jaeger", 16686, 16686),
    ] {
        let ports = services.get(service).map(published).unwrap_or_default();
        problems.check(ports.contains(&(host, container)), || {
            format!("{service} should publish {host}:{container}, has {ports:?}")
        });
    }
    problems.assert_none();
}

#[test]
fn services_start_in_order_on_conditions_that_can_be_met() {
    let services = services();
    let mut problems = Problems::default();
    for (name, service) in &services {
        let Some(deps) = service["depends_on"].as_mapping() else {
            continue;
        };
        for (dep, cond) in deps {
            let dep = scalar(dep).unwrap_or_default();
            let condition = cond["condition"].as_str().unwrap_or("service_started");
            let Some(target) = services.get(&dep) else {
                problems.push(format!("{name} depends on {dep}, which does not exist"));
                continue;
            };
            if condition == "service_healthy" {
                // Our images carry a HEALTHCHECK; other services need one here.
                let has_check = (target["healthcheck"].is_mapping()
                    && target["healthcheck"]["disable"].as_bool() != Some(true))
                    || binary(target).is_some();
                problems.check(has_check, || {
                    format!("{name} waits for {dep} to be healthy, but {dep} has no health check")
                });
            }
            // A service outside every profile must not wait for one inside a profile.
            if service["profiles"].is_null() {
                problems.check(target["profiles"].is_null(), || {
                    format!("{name} depends on {dep}, which only runs in a profile")
                });
            }
        }
    }
    for name in ["server", "indexer"] {
        let deps = &services[name]["depends_on"];
        problems.check(
            deps["postgres"]["condition"].as_str() == Some("service_healthy"),
            || format!("{name} must wait for a healthy postgres"),
        );
        problems.check(
            deps["migrate"]["condition"].as_str() == Some("service_completed_successfully"),
            || format!("{name} must wait for the migrations"),
        );
    }
    let migrate = &services["migrate"];
    problems.check(migrate["command"][0].as_str() == Some("migrate"), || {
        "the migrate job must run `registry-indexer migrate`".into()
    });
    problems.assert_none();
}

#[test]
fn the_local_chain_profile_adds_a_local_network_and_an_indexer_that_follows_it() {
    let services = services();
    let mut problems = Problems::default();
    let in_profile = |name: &str| {
        services[name]["profiles"]
            .as_sequence()
            .is_some_and(|p| p.iter().any(|x| x.as_str() == Some("local-chain")))
    };
    problems.check(
        services["stellar"]["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("stellar/quickstart")),
        || "stellar must run stellar/quickstart".into(),
    );
    let command: Vec<String> = services["stellar"]["command"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(scalar)
        .collect();
    problems.check(command.contains(&"--local".to_owned()), || {
        format!("stellar must run in local mode: {command:?}")
    });
    problems.check(in_profile("stellar") && in_profile("indexer-local"), || {
        "stellar and indexer-local belong to the local-chain profile".into()
    });
    let env = environment(&services["indexer-local"]);
    problems.check(
        env.get("STELLAR_NETWORK").map(String::as_str) == Some("local"),
        || "indexer-local must follow STELLAR_NETWORK=local".into(),
    );
    problems.check(
        env.get("STELLAR_RPC_URL")
            .is_some_and(|u| u.starts_with("http://stellar:8000/")),
        || "indexer-local must use the stellar service's RPC".into(),
    );
    problems.assert_none();
}

#[test]
fn every_file_the_stack_mounts_exists() {
    let mut problems = Problems::default();
    let mut mounted = BTreeSet::new();
    for (name, service) in services() {
        for v in service["volumes"].as_sequence().into_iter().flatten() {
            let Some(spec) = v.as_str() else { continue };
            let source = spec.split(':').next().unwrap_or_default();
            if let Some(rel) = source.strip_prefix("./") {
                let path = root().join("docker").join(rel);
                problems.check(path.exists(), || {
                    format!("{name} mounts {source}, which does not exist")
                });
                mounted.insert(rel.to_owned());
            }
        }
        if let Some(dockerfile) = service["build"]["dockerfile"].as_str() {
            problems.check(root().join(dockerfile).exists(), || {
                format!("{name} builds {dockerfile}, which does not exist")
            });
        }
    }
    problems.check(mounted.len() >= 5, || {
        format!("too few config mounts: {mounted:?}")
    });
    problems.assert_none();
}

#[test]
fn the_stack_has_no_default_passwords_and_the_server_connects_read_only() {
    let text = std::fs::read_to_string(root().join(COMPOSE)).unwrap();
    // `${X_PASSWORD:-default}` would start a stack anyone can log in to; `:?` refuses to start.
    let mut problems = Problems::default();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("${") {
            let var = &rest[at + 2..];
            let end = var.find('}').unwrap_or(var.len());
            let expr = &var[..end];
            let name = expr.split([':', '-', '?']).next().unwrap_or_default();
            if name.contains("PASSWORD") {
                problems.check(expr.starts_with(&format!("{name}:?")), || {
                    format!(
                        "line {}: {name} has a default or may be empty: ${{{expr}}}",
                        i + 1
                    )
                });
            }
            rest = &var[end..];
        }
    }
    problems.assert_none();
    let services = services();
    let server_url = environment(&services["server"])["DATABASE_URL"].clone();
    assert!(
        server_url.starts_with("postgres://registry_ro:"),
        "the server must connect as the read-only role: {server_url}"
    );
    // The role is created with the volume, by a script the postgres service mounts, which
    // takes its password from the environment.
    let postgres = &services["postgres"];
    let mounts: Vec<String> = postgres["volumes"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(scalar)
        .collect();
    let init = mounts
        .iter()
        .find(|m| m.contains("/docker-entrypoint-initdb.d/"))
        .expect("an init script is mounted");
    let script = std::fs::read_to_string(
        root()
            .join("docker")
            .join(init.split(':').next().unwrap().trim_start_matches("./")),
    )
    .unwrap();
    assert!(script.contains("CREATE ROLE registry_ro LOGIN PASSWORD :'ro_password'"));
    assert!(script.contains("\\getenv ro_password REGISTRY_RO_PASSWORD"));
    assert!(environment(postgres).contains_key("REGISTRY_RO_PASSWORD"));
}
