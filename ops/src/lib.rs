//! What the deployment files must agree on with the code, read from the code itself.
//!
//! The checks live in `tests/ops/`: the compose file, the Kubernetes manifests, the Prometheus
//! and Alertmanager configs, the Grafana dashboards and the backup drill. This library reads
//! the facts they are checked against straight from the sources, so a renamed variable,
//! metric, route or port fails a test instead of a deployment:
//!
//! - [`env_example_vars`]: every variable `.env.example` documents;
//! - [`config_vars`]: the variables a binary reads (its `Config::VARS`);
//! - [`default_port`]: a port's default in a binary's `config.rs`;
//! - [`routes`]: the paths a router serves;
//! - [`exported_metrics`]: every metric the binaries register, as Prometheus exposes them;
//! - [`promql_metrics`]: the metric names a PromQL expression reads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// A file of the repository, by its path from the root. Panics (these are test helpers) with
/// the path when it cannot be read.
pub fn read(rel: &str) -> String {
    let path = root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A YAML file of the repository.
pub fn yaml(rel: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
}

/// Every document of a (possibly multi-document) YAML file.
pub fn yaml_docs(rel: &str) -> Vec<serde_yaml::Value> {
    use serde::Deserialize;
    let text = read(rel);
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| {
            serde_yaml::Value::deserialize(d)
                .unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// Every variable documented in `.env.example` (`NAME=` or `# NAME=` at a line's start).
pub fn env_example_vars() -> BTreeSet<String> {
    registry_core::env::documented_vars(&read(".env.example"))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The variables a binary reads: the string literals of `pub const VARS` in its `config.rs`
/// (`rel`).
pub fn config_vars(rel: &str) -> BTreeSet<String> {
    let text = read(rel);
    let start = text
        .find("pub const VARS")
        .unwrap_or_else(|| panic!("{rel} has no `pub const VARS`"));
    let end = start
        + text[start..]
            .find("];")
            .unwrap_or_else(|| panic!("{rel}: VARS does not end with `];`"));
    let re = Regex::new(r#""([A-Z][A-Z0-9_]*)""#).expect("static regex");
    re.captures_iter(&text[start..end])
        .map(|c| c[1].to_owned())
        .collect()
}

/// The default of port variable `var` in a binary's `config.rs` (`rel`): the number after
/// `"VAR",` in its `env.int(...)` call.
pub fn default_port(rel: &str, var: &str) -> u16 {
    let re = Regex::new(&format!(r#""{var}",\s*(\d+)"#)).expect("valid regex");
    let text = read(rel);
    let caps = re
        .captures(&text)
        .unwrap_or_else(|| panic!("{rel}: no default found for {var}"));
    caps[1]
        .parse()
        .unwrap_or_else(|e| panic!("{rel}: {var}'s default is not a port: {e}"))
}

/// The paths a router file (`rel`) serves: every `.route("/path", …)`.
pub fn routes(rel: &str) -> BTreeSet<String> {
    routes_of(&read(rel))
}

/// The paths the function `name` of the Rust file `rel` routes (from its `fn name(` to the
/// next line that closes an item).
pub fn routes_in(rel: &str, name: &str) -> BTreeSet<String> {
    let text = read(rel);
    let start = text
        .find(&format!("fn {name}("))
        .unwrap_or_else(|| panic!("{rel} has no fn {name}"));
    let body = &text[start..];
    let end = body.find("\n}\n").unwrap_or(body.len());
    routes_of(&body[..end])
}

fn routes_of(text: &str) -> BTreeSet<String> {
    let re = Regex::new(r#"\.route\(\s*"(/[^"]*)""#).expect("static regex");
    re.captures_iter(text).map(|c| c[1].to_owned()).collect()
}

/// Every `.rs` file under `dir` (relative to the root), recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A metric registered in the code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Metric {
    /// `counter`, `gauge` or `histogram`.
    pub kind: String,
    /// Its name as registered.
    pub name: String,
}

/// Every metric registered with `counter!`, `gauge!` or `histogram!` in the binaries'
/// sources (`server/src`, `indexer/src`, `core/src`).
pub fn registered_metrics() -> BTreeSet<Metric> {
    let re = Regex::new(r#"\b(counter|gauge|histogram)!\(\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)""#)
        .expect("static regex");
    let mut files = Vec::new();
    for dir in ["server/src", "indexer/src", "verifier/src", "core/src"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut out = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for c in re.captures_iter(&text) {
            out.insert(Metric {
                kind: c[1].to_owned(),
                name: c[2].to_owned(),
            });
        }
    }
    out
}

/// The series names Prometheus sees from the binaries: every registered metric, a histogram
/// (or summary) also as `_bucket`, `_sum` and `_count`, and `up`, which Prometheus adds to
/// every target.
pub fn exported_metrics() -> BTreeSet<String> {
    let mut out = BTreeSet::from(["up".to_owned()]);
    for m in registered_metrics() {
        if m.kind == "histogram" {
            for suffix in ["_bucket", "_sum", "_count"] {
                out.insert(format!("{}{suffix}", m.name));
            }
        }
        out.insert(m.name);
    }
    out
}

/// PromQL words that look like identifiers but are not metric names.
const PROMQL_KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
    "atan2",
];

/// The metric names a PromQL expression reads. Label matchers, ranges, strings, grouping
/// clauses, function names, numbers, durations and Grafana variables (`$x`) are not names.
/// For a Grafana `label_values(expr, label)` query, the names in `expr`.
pub fn promql_metrics(expr: &str) -> BTreeSet<String> {
    let expr = expr.trim();
    if let Some(inner) = expr
        .strip_prefix("label_values(")
        .and_then(|s| s.strip_suffix(')'))
    {
        return match inner.rsplit_once(',') {
            Some((q, _label)) => promql_metrics(q),
            None => BTreeSet::new(),
        };
    }
    let strings = Regex::new(r#""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`"#).expect("static");
    let braces = Regex::new(r"\{[^}]*\}").expect("static");
    let brackets = Regex::new(r"\[[^\]]*\]").expect("static");
    let grouping = Regex::new(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
        .expect("static");
    let s = strings.replace_all(expr, " ");
    let s = braces.replace_all(&s, " ");
    let s = brackets.replace_all(&s, " ");
    let s = grouping.replace_all(&s, " ");
    let chars: Vec<char> = s.chars().collect();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let word = |i: &mut usize| {
            let start = *i;
            while *i < chars.len()
                && (chars[*i].is_ascii_alphanumeric() || chars[*i] == '_' || chars[*i] == ':')
            {
                *i += 1;
            }
            chars[start..*i].iter().collect::<String>()
        };
        if c == '$' {
            i += 1;
            word(&mut i);
        } else if c.is_ascii_digit() || c == '.' {
            // A number or a duration (5m, 1.5e3, 0x1f).
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let w = word(&mut i);
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let is_call = j < chars.len() && chars[j] == '(';
            if !is_call && !PROMQL_KEYWORDS.contains(&w.to_ascii_lowercase().as_str()) {
                out.insert(w);
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The port and path of an `http://host:port/path` URL (port 80 when absent).
pub fn url_port_path(url: &str) -> Option<(u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let port = match authority.rsplit_once(':') {
        Some((_, p)) => p.parse().ok()?,
        None => 80,
    };
    Some((port, path))
}

/// A YAML scalar (string, number or bool) as a string.
pub fn scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(expr: &str) -> Vec<String> {
        promql_metrics(expr).into_iter().collect()
    }

    #[test]
    fn promql_names_skip_functions_labels_ranges_and_grouping() {
        assert_eq!(
            names(
                r#"histogram_quantile(0.99, sum by (job, le) (rate(a_seconds_bucket{job="x", code=~"A|B"}[5m])))"#
            ),
            ["a_seconds_bucket"]
        );
        assert_eq!(
            names(
                "a{state=\"active\"} / ignoring(state) b > 0.9 and on(job) up == 1 unless c offset 1h"
            ),
            ["a", "b", "c", "up"]
        );
        assert_eq!(
            names("sum(rate(x_total{instance=~\"$instance\"}[$__rate_interval])) * 1e3"),
            ["x_total"]
        );
        assert_eq!(names("absent(up{job=\"i\"})"), ["up"]);
        assert_eq!(names("label_values(up{job=\"s\"}, instance)"), ["up"]);
        assert_eq!(names("topk(10, sum without (le) (y))"), ["y"]);
    }

    #[test]
    fn urls_split_into_port_and_path() {
        assert_eq!(
            url_port_path("http://127.0.0.1:3001/ready"),
            Some((3001, "/ready".into()))
        );
        assert_eq!(url_port_path("http://x"), Some((80, "/".into())));
        assert_eq!(url_port_path("https://x"), None);
    }

    #[test]
    fn the_binaries_register_the_metrics_the_alerts_are_built_on() {
        let exported = exported_metrics();
        for m in [
            "registry_server_graphql_requests_total",
            "registry_server_graphql_request_duration_seconds_bucket",
            "registry_indexer_lag_ledgers",
            "up",
        ] {
            assert!(exported.contains(m), "{m} not found among {exported:?}");
        }
    }
}
