//! docker/k8s: every manifest is listed in the kustomization; our containers set only
//! documented variables their binary reads, listen and are probed and scraped on the code's
//! ports and routes; the server scales and the indexer never overlaps.

use std::collections::{BTreeMap, BTreeSet};

use registry_ops_tests::{env_example_vars, root, scalar, yaml, yaml_docs};
use serde_yaml::Value;

use crate::{Binary, Problems};

/// Every object of every manifest, with its file.
fn objects() -> Vec<(String, Value)> {
    let kustomization = yaml("docker/k8s/kustomization.yaml");
    let resources: Vec<String> = kustomization["resources"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(scalar)
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(root().join("docker/k8s"))
        .expect("docker/k8s exists")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".yaml") && f != "kustomization.yaml")
        .collect();
    files.sort();
    let mut listed = resources.clone();
    listed.sort();
    assert_eq!(files, listed, "kustomization.yaml must list every manifest");
    resources
        .iter()
        .flat_map(|f| {
            yaml_docs(&format!("docker/k8s/{f}"))
                .into_iter()
                .map(move |d| (f.clone(), d))
        })
        .collect()
}

fn find<'a>(objects: &'a [(String, Value)], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .map(|(_, o)| o)
        .find(|o| o["kind"].as_str() == Some(kind) && o["metadata"]["name"].as_str() == Some(name))
}

/// A pod template's `spec`, for Deployments and Jobs.
fn pod_spec(object: &Value) -> Option<&Value> {
    let spec = &object["spec"]["template"]["spec"];
    spec.is_mapping().then_some(spec)
}

/// The containers of the objects that run our images, with the object's name.
fn our_containers(objects: &[(String, Value)]) -> Vec<(String, Binary, Value, Value)> {
    let mut out = Vec::new();
    for (_, o) in objects {
        let Some(spec) = pod_spec(o) else { continue };
        let name = o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for c in spec["containers"].as_sequence().into_iter().flatten() {
            if let Some(b) = c["image"].as_str().and_then(Binary::of) {
                out.push((name.clone(), b, c.clone(), o.clone()));
            }
        }
    }
    out
}

/// A container's environment: its `env` names and values (None for `valueFrom`), and the
/// keys of the ConfigMaps it loads with `envFrom`.
fn container_env(
    objects: &[(String, Value)],
    container: &Value,
    problems: &mut Problems,
) -> BTreeMap<String, Option<String>> {
    let mut env = BTreeMap::new();
    for from in container["envFrom"].as_sequence().into_iter().flatten() {
        let Some(cm) = from["configMapRef"]["name"].as_str() else {
            problems.push(format!("envFrom other than a ConfigMap: {from:?}"));
            continue;
        };
        match find(objects, "ConfigMap", cm) {
            Some(map) => {
                for (k, v) in map["data"].as_mapping().into_iter().flatten() {
                    env.insert(scalar(k).unwrap_or_default(), scalar(v));
                }
            }
            None => problems.push(format!("ConfigMap {cm} is not in the manifests")),
        }
    }
    for e in container["env"].as_sequence().into_iter().flatten() {
        env.insert(
            e["name"].as_str().unwrap_or_default().to_owned(),
            scalar(&e["value"]),
        );
    }
    env
}

#[test]
fn our_containers_set_only_variables_their_binary_reads_and_env_example_documents() {
    let objects = objects();
    let documented = env_example_vars();
    let mut problems = Problems::default();
    let containers = our_containers(&objects);
    assert!(
        containers.len() >= 3,
        "server, indexer and migrate were not found"
    );
    for (name, binary, container, _) in &containers {
        let reads = binary.vars();
        for var in container_env(&objects, container, &mut problems).keys() {
            problems.check(documented.contains(var), || {
                format!("{name}: {var} is not in .env.example")
            });
            problems.check(reads.contains(var), || {
                format!("{name}: {var} is not read by {binary:?} (Config::VARS)")
            });
        }
        let db = container["env"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|e| e["name"].as_str() == Some("DATABASE_URL"));
        problems.check(
            db.is_some_and(|e| {
                e["valueFrom"]["secretKeyRef"]["name"].as_str() == Some("registry-database")
            }),
            || format!("{name}: DATABASE_URL must come from the registry-database Secret"),
        );
    }
    problems.assert_none();
}

#[test]
fn ports_probes_and_scrape_annotations_match_the_code() {
    let objects = objects();
    let mut problems = Problems::default();
    for (name, binary, container, object) in our_containers(&objects) {
        let port = binary.port();
        let env = container_env(&objects, &container, &mut problems);
        for (var, default) in binary.ports() {
            if let Some(Some(p)) = env.get(var) {
                problems.check(p == &default.to_string(), || {
                    format!("{name}: {var}={p}, the code's default is {default}")
                });
            }
        }
        if object["kind"].as_str() == Some("Job") {
            continue;
        }
        let ports: BTreeMap<String, u64> = container["ports"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_owned(),
                    p["containerPort"].as_u64().unwrap_or_default(),
                )
            })
            .collect();
        let mut declared: Vec<u64> = ports.values().copied().collect();
        declared.sort();
        let mut listens: Vec<u64> = binary.ports().iter().map(|(_, p)| u64::from(*p)).collect();
        listens.sort();
        problems.check(declared == listens, || {
            format!("{name}: container ports {ports:?}, {binary:?} listens on {listens:?}")
        });
        for probe in ["readinessProbe", "livenessProbe"] {
            let get = &container[probe]["httpGet"];
            if get.is_null() {
                continue;
            }
            let path = get["path"].as_str().unwrap_or_default();
            problems.check(binary.routes().contains(path), || {
                format!("{name}: {probe} on {path}, which {binary:?} does not serve")
            });
            let p = match &get["port"] {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => ports.get(s).copied(),
                _ => None,
            };
            problems.check(p == Some(u64::from(port)), || {
                format!("{name}: {probe} on port {p:?}, {binary:?} listens on {port}")
            });
        }
        let annotations = &object["spec"]["template"]["metadata"]["annotations"];
        problems.check(
            annotations["prometheus.io/scrape"].as_str() == Some("true"),
            || format!("{name}: pods must carry prometheus.io/scrape"),
        );
        problems.check(
            annotations["prometheus.io/port"].as_str() == Some(port.to_string().as_str()),
            || format!("{name}: prometheus.io/port must be {port}"),
        );
        let path = annotations["prometheus.io/path"]
            .as_str()
            .unwrap_or("/metrics");
        problems.check(binary.routes().contains(path), || {
            format!("{name}: prometheus.io/path {path} is not served")
        });
        let resources = &container["resources"];
        for key in ["requests", "limits"] {
            problems.check(
                resources[key]["cpu"].is_string() && resources[key]["memory"].is_string(),
                || format!("{name}: resources.{key} needs cpu and memory"),
            );
        }
    }
    // Services route to a port the selected pods declare.
    for (_, svc) in objects
        .iter()
        .filter(|(_, o)| o["kind"].as_str() == Some("Service"))
    {
        let name = svc["metadata"]["name"].as_str().unwrap_or_default();
        let Some(deploy) = find(&objects, "Deployment", name) else {
            problems.push(format!("Service {name} has no Deployment of the same name"));
            continue;
        };
        let declared: BTreeSet<String> = pod_spec(deploy)
            .map(|s| &s["containers"][0]["ports"])
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .flat_map(|p| [scalar(&p["name"]), scalar(&p["containerPort"])])
            .flatten()
            .collect();
        for p in svc["spec"]["ports"].as_sequence().into_iter().flatten() {
            let target = scalar(&p["targetPort"]).unwrap_or_default();
            problems.check(declared.contains(&target), || {
                format!("Service {name}: targetPort {target} is not a port of its pods")
            });
        }
    }
    problems.assert_none();
}

#[test]
fn the_server_scales_and_the_indexer_never_overlaps() {
    let objects = objects();
    let server = find(&objects, "Deployment", "registry-server").expect("server Deployment");
    let indexer = find(&objects, "Deployment", "registry-indexer").expect("indexer Deployment");
    assert_eq!(server["spec"]["replicas"].as_u64(), Some(3));
    assert_eq!(indexer["spec"]["replicas"].as_u64(), Some(1));
    assert_eq!(
        indexer["spec"]["strategy"]["type"].as_str(),
        Some("Recreate")
    );

    let kinds_for = |kind: &str| -> Vec<&Value> {
        objects
            .iter()
            .map(|(_, o)| o)
            .filter(|o| o["kind"].as_str() == Some(kind))
            .collect()
    };
    let hpas = kinds_for("HorizontalPodAutoscaler");
    assert_eq!(hpas.len(), 1, "one HPA, for the server only");
    assert_eq!(
        hpas[0]["spec"]["scaleTargetRef"]["name"].as_str(),
        Some("registry-server")
    );
    assert!(hpas[0]["spec"]["minReplicas"].as_u64() >= Some(3));
    let pdbs = kinds_for("PodDisruptionBudget");
    assert_eq!(pdbs.len(), 1, "one PDB, for the server only");
    assert_eq!(
        pdbs[0]["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"].as_str(),
        Some("registry-server")
    );
    // Replicas share per-client limits through a Redis the manifests run.
    let config = find(&objects, "ConfigMap", "registry-server-config").expect("server ConfigMap");
    let redis_url = config["data"]["REDIS_URL"]
        .as_str()
        .expect("REDIS_URL is set");
    let host_port = redis_url
        .trim_start_matches("redis://")
        .trim_end_matches('/');
    let (host, port) = host_port
        .split_once(':')
        .expect("REDIS_URL names host:port");
    let service =
        find(&objects, "Service", host).expect("REDIS_URL names a Service of the manifests");
    assert!(
        service["spec"]["ports"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|p| p["port"].as_u64().map(|n| n.to_string()).as_deref() == Some(port)),
        "the Redis Service does not expose port {port}"
    );
    let jobs = kinds_for("Job");
    assert_eq!(jobs.len(), 1, "one migrate Job");
    let job = pod_spec(jobs[0]).expect("Job pod spec");
    assert_eq!(job["containers"][0]["args"][0].as_str(), Some("migrate"));
}

#[test]
fn forwarded_headers_are_believed_only_from_the_proxy_the_manifests_run() {
    let objects = objects();
    let config = find(&objects, "ConfigMap", "registry-server-config").expect("server ConfigMap");
    let trusted = config["data"]["TRUSTED_PROXIES"]
        .as_str()
        .unwrap_or_default();
    if trusted.is_empty() {
        return;
    }
    // The proxy: an Ingress to the server's public port, of one ingress class.
    let ingress = find(&objects, "Ingress", "registry-server").expect("an Ingress runs the proxy");
    let class = ingress["spec"]["ingressClassName"]
        .as_str()
        .expect("an ingress class");
    let backend = &ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
    assert_eq!(backend["name"].as_str(), Some("registry-server"));
    assert_eq!(backend["port"]["name"].as_str(), Some("http"));
    // Nothing else reaches the public port, so nothing else can send a believed header.
    let policy = find(&objects, "NetworkPolicy", "registry-server").expect("a NetworkPolicy");
    assert_eq!(
        policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str(),
        Some("registry-server")
    );
    let rules: Vec<&Value> = policy["spec"]["ingress"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter(|r| {
            r["ports"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|p| p["port"].as_str() == Some("http"))
        })
        .collect();
    assert_eq!(rules.len(), 1, "one rule admits traffic to the public port");
    let from = rules[0]["from"].as_sequence().expect("a source");
    assert_eq!(from.len(), 1, "only the ingress controller: {from:?}");
    let namespace = from[0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        .as_str()
        .expect("the controller's namespace");
    assert!(
        namespace.contains(class),
        "{namespace} is not the {class} controller's"
    );
    assert!(
        from[0]["podSelector"]["matchLabels"].is_mapping(),
        "and only its controller pods"
    );
    // The operators' port is not behind the Ingress or the Service.
    let service = find(&objects, "Service", "registry-server").expect("server Service");
    assert!(
        service["spec"]["ports"]
            .as_sequence()
            .into_iter()
            .flatten()
            .all(|p| p["targetPort"].as_str() != Some("admin")),
        "the Service exposes the operators' port"
    );
}

#[test]
fn the_backfill_indexed_job_runs_one_part_per_pod_of_our_indexer() {
    let kustomization = yaml("docker/k8s/backfill/kustomization.yaml");
    assert_eq!(
        kustomization["resources"][0].as_str(),
        Some("backfill-job.yaml")
    );
    let job = yaml("docker/k8s/backfill/backfill-job.yaml");
    assert_eq!(job["kind"].as_str(), Some("Job"));
    assert_eq!(job["spec"]["completionMode"].as_str(), Some("Indexed"));
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        Binary::of(container["image"].as_str().unwrap_or_default()),
        Some(Binary::Indexer)
    );
    let args: Vec<String> = container["args"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(scalar)
        .collect();
    assert_eq!(args.first().map(String::as_str), Some("backfill"));
    let parts = args
        .iter()
        .position(|a| a == "--parts")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse::<u64>().ok())
        .expect("--parts N");
    // One pod per part, all at once; each reads its part from JOB_COMPLETION_INDEX.
    assert_eq!(job["spec"]["completions"].as_u64(), Some(parts));
    assert_eq!(job["spec"]["parallelism"].as_u64(), Some(parts));
    for flag in ["--from", "--start", "--end"] {
        assert!(args.iter().any(|a| a == flag), "{flag} missing: {args:?}");
    }
    // The flags are the binary's.
    let main = std::fs::read_to_string(root().join("indexer/src/main.rs")).unwrap();
    for field in [
        "parts: Option<u32>",
        "env = \"JOB_COMPLETION_INDEX\"",
        "s3_region",
    ] {
        assert!(main.contains(field), "{field}");
    }
}
