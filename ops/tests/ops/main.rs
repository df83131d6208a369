//! Checks of the deployment files (docker/) against the code, the Prometheus and
//! Alertmanager tools' own checks, and the backup drill on real PostgreSQL.
//!
//! Run: `cargo nextest run -p registry-ops-tests` (part of `make test`, which installs
//! promtool and amtool first through `scripts/ensure-tools`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backup;
mod compose;
mod dashboards;
mod docs;
mod images;
mod k8s;
mod prometheus;
mod scripts;

use std::collections::BTreeSet;

use registry_ops_tests::{config_vars, default_port};

/// Which binary an image runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    Server,
    Indexer,
}

impl Binary {
    /// From an image name or a Dockerfile path, if it is one of ours.
    pub fn of(image_or_dockerfile: &str) -> Option<Binary> {
        if image_or_dockerfile.contains("soroban-registry/server")
            || image_or_dockerfile.ends_with("server.Dockerfile")
        {
            Some(Binary::Server)
        } else if image_or_dockerfile.contains("soroban-registry/indexer")
            || image_or_dockerfile.ends_with("indexer.Dockerfile")
        {
            Some(Binary::Indexer)
        } else {
            None
        }
    }

    /// The variables it reads (its `Config::VARS`).
    pub fn vars(self) -> BTreeSet<String> {
        match self {
            Binary::Server => config_vars("server/src/config.rs"),
            Binary::Indexer => config_vars("indexer/src/config.rs"),
        }
    }

    /// The port of its HTTP listener by default (`PORT`, `INDEXER_METRICS_PORT`).
    pub fn port(self) -> u16 {
        match self {
            Binary::Server => default_port("server/src/config.rs", "PORT"),
            Binary::Indexer => default_port("indexer/src/config.rs", "INDEXER_METRICS_PORT"),
        }
    }

    /// The variable that sets that port.
    pub fn port_var(self) -> &'static str {
        match self {
            Binary::Server => "PORT",
            Binary::Indexer => "INDEXER_METRICS_PORT",
        }
    }

    /// The paths its HTTP listener serves.
    pub fn routes(self) -> BTreeSet<String> {
        match self {
            Binary::Server => registry_ops_tests::routes("server/src/http/mod.rs"),
            Binary::Indexer => registry_ops_tests::routes("indexer/src/metrics.rs"),
        }
    }
}

/// Problems found by a check, reported all at once.
#[derive(Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn push(&mut self, p: impl Into<String>) {
        self.0.push(p.into());
    }

    pub fn check(&mut self, ok: bool, p: impl FnOnce() -> String) {
        if !ok {
            self.0.push(p());
        }
    }

    #[track_caller]
    pub fn assert_none(self) {
        assert!(self.0.is_empty(), "\n  {}", self.0.join("\n  "));
    }
}

#[test]
fn the_code_facts_the_checks_rely_on_are_found() {
    assert_eq!(Binary::Server.port(), 3001);
    assert_eq!(Binary::Indexer.port(), 9101);
    for b in [Binary::Server, Binary::Indexer] {
        assert!(b.routes().contains("/health"), "{b:?}: {:?}", b.routes());
        assert!(b.routes().contains("/metrics"), "{b:?}: {:?}", b.routes());
        assert!(b.vars().contains("DATABASE_URL"), "{b:?}");
    }
    assert!(Binary::Server.routes().contains("/ready"));
}
