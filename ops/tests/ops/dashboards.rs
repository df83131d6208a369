//! Grafana: the provisioned dashboards parse, use the provisioned data sources, and query
//! only metrics the binaries export.

use std::collections::BTreeSet;

use registry_ops_tests::{exported_metrics, promql_metrics, read, root, scalar, yaml};
use serde_json::Value;

use crate::Problems;

const DASHBOARDS: &str = "docker/observability/grafana/dashboards";

fn dashboards() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(root().join(DASHBOARDS))
        .expect("dashboards folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".json"))
        .map(|f| {
            let v = serde_json::from_str(&read(&format!("{DASHBOARDS}/{f}")))
                .unwrap_or_else(|e| panic!("{f} is not valid JSON: {e}"));
            (f, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every panel, including those inside collapsed rows.
fn panels(v: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in v["panels"].as_array().into_iter().flatten() {
        out.push(p);
        out.extend(panels(p));
    }
    out
}

fn datasource_uids() -> BTreeSet<String> {
    let ds = yaml("docker/observability/grafana/provisioning/datasources/datasources.yaml");
    ds["datasources"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|d| scalar(&d["uid"]))
        .collect()
}

#[test]
fn there_are_dashboards_for_the_api_the_indexer_and_the_live_feed() {
    let uids: BTreeSet<String> = dashboards()
        .iter()
        .filter_map(|(_, d)| d["uid"].as_str().map(str::to_owned))
        .collect();
    for uid in ["registry-api", "registry-indexer", "registry-live-feed"] {
        assert!(uids.contains(uid), "no dashboard {uid}: {uids:?}");
    }
    assert_eq!(
        uids.len(),
        dashboards().len(),
        "dashboard uids must be unique"
    );
}

#[test]
fn dashboards_query_only_exported_metrics_through_provisioned_data_sources() {
    let exported = exported_metrics();
    let sources = datasource_uids();
    let mut problems = Problems::default();
    for (file, dashboard) in dashboards() {
        let mut queries = Vec::new();
        for panel in panels(&dashboard) {
            let title = panel["title"].as_str().unwrap_or_default();
            for target in panel["targets"].as_array().into_iter().flatten() {
                let ds = if target["datasource"].is_object() {
                    &target["datasource"]
                } else {
                    &panel["datasource"]
                };
                let uid = ds["uid"].as_str().unwrap_or_default();
                problems.check(sources.contains(uid), || {
                    format!("{file} / {title}: data source {uid:?} is not provisioned")
                });
                if ds["type"].as_str() == Some("prometheus") {
                    let expr = target["expr"].as_str().unwrap_or_default().to_owned();
                    queries.push((title.to_owned(), expr));
                }
            }
        }
        for var in dashboard["templating"]["list"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if var["type"].as_str() == Some("query") {
                let q = var["query"]["query"]
                    .as_str()
                    .or(var["query"].as_str())
                    .unwrap_or_default();
                queries.push((format!("variable {}", var["name"]), q.to_owned()));
            }
        }
        problems.check(!queries.is_empty(), || {
            format!("{file}: no Prometheus query")
        });
        for (title, expr) in queries {
            let used = promql_metrics(&expr);
            problems.check(!used.is_empty(), || {
                format!("{file} / {title}: no metric in {expr}")
            });
            for m in used {
                problems.check(exported.contains(&m), || {
                    format!("{file} / {title}: {m} is not exported by the binaries")
                });
            }
        }
    }
    problems.assert_none();
}

#[test]
fn every_metric_the_binaries_export_is_on_a_dashboard() {
    let mut used = BTreeSet::new();
    for (_, dashboard) in dashboards() {
        for panel in panels(&dashboard) {
            for target in panel["targets"].as_array().into_iter().flatten() {
                used.extend(promql_metrics(target["expr"].as_str().unwrap_or_default()));
            }
        }
    }
    let missing: Vec<String> = registry_ops_tests::registered_metrics()
        .into_iter()
        .filter(|m| !used.contains(&m.name) && !used.contains(&format!("{}_bucket", m.name)))
        .map(|m| m.name)
        .collect();
    assert!(missing.is_empty(), "not on any dashboard: {missing:?}");
}
