//! Reading configuration from the environment, reporting every problem at once.
//!
//! Each binary builds its `Config` in `main` through an [`Env`]: every getter records a
//! problem instead of failing, and [`Env::finish`] returns them all, one line each, naming the
//! variable, the bad value and what was expected. No other code reads the environment.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

/// Every problem found in the environment, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

/// The variables an env file documents: `NAME=` or `# NAME=` (commented: the default) at the
/// start of a line. `.env.example` is checked against the binaries' variables with it.
pub fn documented_vars(text: &str) -> BTreeSet<&str> {
    text.lines()
        .filter_map(|line| {
            let line = line.strip_prefix('#').map_or(line, str::trim_start);
            let (name, _) = line.split_once('=')?;
            let mut chars = name.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_uppercase())
                && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            valid.then_some(name)
        })
        .collect()
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

/// A view of environment variables that collects problems.
pub struct Env {
    vars: HashMap<String, String>,
    problems: Vec<String>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    /// A fixed set of variables (tests, or a config built in code).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            problems: Vec::new(),
        }
    }

    /// The raw value; an empty value counts as unset.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The Stellar RPC of `network`: `STELLAR_RPC_URL`, else `STELLAR_RPC_<NETWORK>`, else the
    /// network's public RPC; a value that is not an http(s) URL is reported (without its
    /// credentials).
    pub fn rpc_url(&mut self, network: crate::Network) -> String {
        let per_network = format!("STELLAR_RPC_{}", network.as_str().to_uppercase());
        let url = self
            .raw("STELLAR_RPC_URL")
            .or(self.raw(&per_network))
            .unwrap_or(network.default_rpc())
            .to_owned();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            self.problem(format!(
                "STELLAR_RPC_URL / {per_network}={:?}: expected an http:// or https:// URL",
                redact_endpoint(&url)
            ));
        }
        url
    }

    /// Records a problem that a getter could not see (a cross-field rule).
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    /// Parses `name`, or returns `None` when it is unset (or invalid, which is recorded).
    pub fn opt<T>(&mut self, name: &str, expected: &str) -> Option<T>
    where
        T: FromStr,
    {
        let raw = self.raw(name)?.to_owned();
        match raw.trim().parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.problems
                    .push(format!("{name}={raw:?}: expected {expected}"));
                None
            }
        }
    }

    /// An optional `http://` or `https://` URL (`expected` says what it should point at); any
    /// other value is a problem and reads as unset.
    pub fn http_url(&mut self, name: &str, expected: &str) -> Option<String> {
        let raw = self.raw(name)?.trim().to_owned();
        if raw.starts_with("http://") || raw.starts_with("https://") {
            Some(raw)
        } else {
            self.problems.push(format!(
                "{name}={raw:?}: expected the http:// or https:// URL of {expected}"
            ));
            None
        }
    }

    /// Parses `name`, falling back to `default` when unset or invalid (invalid is recorded).
    pub fn get<T: FromStr>(&mut self, name: &str, default: T, expected: &str) -> T {
        self.opt(name, expected).unwrap_or(default)
    }

    /// An integer in `min..=max`.
    pub fn int<T>(&mut self, name: &str, default: T, min: T, max: T) -> T
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
    {
        let expected = format!("an integer from {min} to {max}");
        match self.opt::<T>(name, &expected) {
            Some(v) if v >= min && v <= max => v,
            Some(v) => {
                self.problems
                    .push(format!("{name}=\"{v}\": expected {expected}"));
                default
            }
            None => default,
        }
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    pub fn bool(&mut self, name: &str, default: bool) -> bool {
        let Some(raw) = self.raw(name).map(str::to_ascii_lowercase) else {
            return default;
        };
        match raw.trim() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => {
                self.problems
                    .push(format!("{name}={raw:?}: expected true or false"));
                default
            }
        }
    }

    /// A string, or `default` when unset.
    pub fn string(&mut self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or(default).to_owned()
    }

    /// The `service.name` traces are exported under: `OTEL_SERVICE_NAME`, else the
    /// `service.name` of `OTEL_RESOURCE_ATTRIBUTES` (comma-separated `key=value` pairs, values
    /// percent-encoded), else `default`; an empty value counts as unset. The OpenTelemetry
    /// specification's order: `OTEL_SERVICE_NAME` wins.
    pub fn service_name(&mut self, default: &str) -> String {
        if let Some(name) = self.raw("OTEL_SERVICE_NAME").map(str::trim)
            && !name.is_empty()
        {
            return name.to_owned();
        }
        let from_attributes = self.raw("OTEL_RESOURCE_ATTRIBUTES").and_then(|attrs| {
            attrs
                .split(',')
                .filter_map(|pair| pair.split_once('='))
                .filter(|(key, _)| key.trim() == "service.name")
                .map(|(_, value)| percent_decode(value.trim()))
                .next_back()
        });
        match from_attributes {
            Some(Ok(name)) if !name.is_empty() => name,
            Some(Err(())) => {
                self.problem(
                    "OTEL_RESOURCE_ATTRIBUTES: service.name is not valid percent-encoded UTF-8",
                );
                default.to_owned()
            }
            _ => default.to_owned(),
        }
    }

    /// Ends the pass: `Ok` when no problem was recorded.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(self.problems))
        }
    }
}

/// `%XX` sequences decoded (W3C Baggage's encoding of `OTEL_RESOURCE_ATTRIBUTES` values).
fn percent_decode(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// An endpoint URL as it may be logged or shown: scheme, host and port. Credentials become
/// `***@`, and a path or query, where RPC providers put API keys, becomes `/***`.
pub fn redact_endpoint(url: &str) -> String {
    let Some(s) = url.find("://") else {
        return "***".into();
    };
    let (scheme, rest) = (&url[..s], &url[s + 3..]);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = (&rest[..end], &rest[end..]);
    let (creds, host) = match authority.rfind('@') {
        Some(at) => ("***@", &authority[at + 1..]),
        None => ("", authority),
    };
    let tail = if tail.is_empty() || tail == "/" {
        tail
    } else {
        "/***"
    };
    format!("{scheme}://{creds}{host}{tail}")
}

/// A secret (a database URL with a password) that never reaches a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with its password replaced, for logs.
    pub fn redacted_url(&self) -> String {
        match (self.0.find("://"), self.0.rfind('@')) {
            (Some(s), Some(at)) if at > s => {
                let creds = &self.0[s + 3..at];
                let user = creds.split(':').next().unwrap_or("");
                format!("{}{}:***{}", &self.0[..s + 3], user, &self.0[at..])
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_name_comes_from_otel_service_name_then_resource_attributes() {
        let name = |pairs: &[(&str, &str)]| {
            let mut env = Env::from_pairs(pairs.iter().copied());
            let name = env.service_name("soroban-registry-api");
            (name, env.finish().map_err(|e| e.to_string()))
        };
        let ok = |s: &str| (s.to_owned(), Ok(()));
        assert_eq!(name(&[]), ok("soroban-registry-api"));
        assert_eq!(
            name(&[("OTEL_SERVICE_NAME", "")]),
            ok("soroban-registry-api")
        );
        assert_eq!(name(&[("OTEL_SERVICE_NAME", " api-eu ")]), ok("api-eu"));
        let attrs = "deployment.environment=prod, service.name = api%20eu%2C1";
        assert_eq!(name(&[("OTEL_RESOURCE_ATTRIBUTES", attrs)]), ok("api eu,1"));
        assert_eq!(
            name(&[
                ("OTEL_RESOURCE_ATTRIBUTES", attrs),
                ("OTEL_SERVICE_NAME", "wins")
            ]),
            ok("wins")
        );
        assert_eq!(
            name(&[("OTEL_RESOURCE_ATTRIBUTES", "service.name=")]),
            ok("soroban-registry-api")
        );
        assert_eq!(
            name(&[("OTEL_RESOURCE_ATTRIBUTES", "service.namespace=x")]),
            ok("soroban-registry-api")
        );
        let (fallback, problems) = name(&[("OTEL_RESOURCE_ATTRIBUTES", "service.name=a%zz")]);
        assert_eq!(fallback, "soroban-registry-api");
        assert!(
            problems.unwrap_err().contains("OTEL_RESOURCE_ATTRIBUTES"),
            "a bad value is reported"
        );
    }

    #[test]
    fn endpoints_are_shown_without_credentials_or_keys() {
        for (url, shown) in [
            (
                "https://user:pw@rpc.example.com:8443/v1/KEY123?apikey=K",
                "https://***@rpc.example.com:8443/***",
            ),
            (
                "https://rpc.example.com/KEY123/",
                "https://rpc.example.com/***",
            ),
            (
                "https://rpc.example.com?apikey=K",
                "https://rpc.example.com/***",
            ),
            (
                "https://soroban-testnet.stellar.org",
                "https://soroban-testnet.stellar.org",
            ),
            ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/"),
            ("not a url with KEY123", "***"),
        ] {
            assert_eq!(redact_endpoint(url), shown, "{url}");
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_variable() {
        let mut env = Env::from_pairs([("PORT", "http"), ("POLL", "0"), ("FLAG", "maybe")]);
        assert_eq!(env.int::<u16>("PORT", 3001, 1, 65535), 3001);
        assert_eq!(env.int::<u32>("POLL", 5, 1, 300), 5);
        assert!(env.bool("FLAG", true));
        let err = env.finish().unwrap_err();
        assert_eq!(
            err.0,
            vec![
                "PORT=\"http\": expected an integer from 1 to 65535",
                "POLL=\"0\": expected an integer from 1 to 300",
                "FLAG=\"maybe\": expected true or false",
            ]
        );
    }

    #[test]
    fn unset_and_empty_variables_take_the_default() {
        let mut env = Env::from_pairs([("EMPTY", "")]);
        assert_eq!(env.int::<u32>("EMPTY", 7, 1, 10), 7);
        assert_eq!(env.string("MISSING", "x"), "x");
        assert!(env.finish().is_ok());
    }

    #[test]
    fn an_url_must_be_http_or_https() {
        let mut env = Env::from_pairs([("OK", "http://jaeger:4318"), ("BAD", "jaeger:4317")]);
        assert_eq!(
            env.http_url("OK", "a collector").as_deref(),
            Some("http://jaeger:4318")
        );
        assert_eq!(env.http_url("BAD", "a collector"), None);
        assert_eq!(env.http_url("UNSET", "a collector"), None);
        assert_eq!(
            env.finish().unwrap_err().0,
            vec!["BAD=\"jaeger:4317\": expected the http:// or https:// URL of a collector"]
        );
    }
}
