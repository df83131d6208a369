//! Checks of the deployment files (docker/) and of migrations/ against the code, the
//! Prometheus and Alertmanager tools' own checks, and the backup drill on real PostgreSQL.
//!
//! Run: `cargo nextest run -p registry-ops-tests` (part of `make test`, which installs
//! promtool and amtool first through `scripts/ensure-tools`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alertmanager;
mod backup;
mod compose;
mod dashboards;
mod docs;
mod images;
mod k8s;
mod migrations;
mod prometheus;
mod scripts;

use std::collections::BTreeSet;

use registry_ops_tests::{config_vars, default_port};

/// Which binary an image runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    Server,
    Indexer,
    Verifier,
}

impl Binary {
    /// Every binary an operator configures.
    pub const ALL: [Binary; 3] = [Binary::Server, Binary::Indexer, Binary::Verifier];
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
        } else if image_or_dockerfile.contains("soroban-registry/verifier")
            || image_or_dockerfile.ends_with("verifier.Dockerfile")
        {
            Some(Binary::Verifier)
        } else {
            None
        }
    }

    /// The variables it reads (its `Config::VARS`).
    pub fn vars(self) -> BTreeSet<String> {
        match self {
            Binary::Server => config_vars("server/src/config.rs"),
            Binary::Indexer => config_vars("indexer/src/config.rs"),
            Binary::Verifier => config_vars("verifier/src/config.rs"),
        }
    }

    /// Every port it listens on by default, with the variable that sets it.
    pub fn ports(self) -> Vec<(&'static str, u16)> {
        match self {
            Binary::Server => vec![
                ("PORT", default_port("server/src/config.rs", "PORT")),
                (
                    "ADMIN_PORT",
                    default_port("server/src/config.rs", "ADMIN_PORT"),
                ),
            ],
            Binary::Indexer => vec![(
                "INDEXER_METRICS_PORT",
                default_port("indexer/src/config.rs", "INDEXER_METRICS_PORT"),
            )],
            Binary::Verifier => vec![(
                "VERIFIER_METRICS_PORT",
                default_port("verifier/src/config.rs", "VERIFIER_METRICS_PORT"),
            )],
        }
    }

    /// The operators' port by default: probes and `/metrics` (`ADMIN_PORT`,
    /// `INDEXER_METRICS_PORT`).
    pub fn port(self) -> u16 {
        let var = self.port_var();
        self.ports()
            .into_iter()
            .find(|(v, _)| *v == var)
            .map(|(_, p)| p)
            .expect("the operators' port is one of the ports")
    }

    /// The variable that sets the operators' port.
    pub fn port_var(self) -> &'static str {
        match self {
            Binary::Server => "ADMIN_PORT",
            Binary::Indexer => "INDEXER_METRICS_PORT",
            Binary::Verifier => "VERIFIER_METRICS_PORT",
        }
    }

    /// The paths served on the operators' port.
    pub fn routes(self) -> BTreeSet<String> {
        match self {
            Binary::Server => {
                registry_ops_tests::routes_in("server/src/http/mod.rs", "admin_router")
            }
            Binary::Indexer | Binary::Verifier => {
                registry_ops_tests::routes("core/src/metrics_endpoint.rs")
            }
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
    assert_eq!(Binary::Server.port(), 9102);
    assert_eq!(Binary::Server.ports()[0], ("PORT", 3001));
    assert_eq!(Binary::Indexer.port(), 9101);
    for b in [Binary::Server, Binary::Indexer] {
        assert!(b.routes().contains("/health"), "{b:?}: {:?}", b.routes());
        assert!(b.routes().contains("/metrics"), "{b:?}: {:?}", b.routes());
        assert!(b.vars().contains("DATABASE_URL"), "{b:?}");
    }
    assert!(Binary::Server.routes().contains("/ready"));
    // The public port serves the API, not the operators' routes.
    let public = registry_ops_tests::routes_in("server/src/http/mod.rs", "router");
    assert!(public.contains("/graphql"), "{public:?}");
    assert!(
        !public.contains("/metrics") && !public.contains("/ready"),
        "{public:?}"
    );
}
