//! `registry-core`: what the registry's server and indexer must agree on.
//!
//! - [`ids`]: networks, strkeys (`ContractId`, `AccountId`), `WasmHash`, and the surrogate
//!   keys of the database. All parsing of user-supplied identifiers happens here.
//! - [`kinds`]: the closed value sets stored in enum columns.
//! - [`spec`]: reading a WASM module's interface (`contractspecv0`) and metadata into the
//!   registry's ABI model, with bounded, panic-free decoding.
//! - [`text`]: escaping of untrusted strings from contract specs.
//! - [`stellar`]: contract-id derivation and strkeys of XDR addresses.
//! - [`notify`]: the `registry_events` channel and its payload.
//! - [`env`]: configuration from the environment, every problem reported at once.
//! - [`autotag`]: the rules that derive tags from a contract's interface, in one table.
//! - `fixtures` (feature `fixtures`): the real WASM modules of `tests/fixtures`, embedded.
//! - `db` (feature `sqlx`): the embedded migrations. `telemetry` (feature `telemetry`): the
//!   tracing setup and trace export. `testing` (feature `test-util`): a fresh database per
//!   test; `otlp_receiver` (same feature): a local OTLP receiver for tests of trace export.
//!   `metrics_endpoint` (feature `metrics-endpoint`): the `/metrics` and `/health` port of the
//!   indexer and the verifier.
//!
//! This crate does no I/O of its own outside `db`, `telemetry`, `metrics_endpoint` and the
//! test support.
#![warn(missing_docs)]

pub mod autotag;
pub mod env;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod ids;
pub mod kinds;
pub mod notify;
pub mod spec;
pub mod stellar;
pub mod text;

#[cfg(feature = "sqlx")]
pub mod db;
#[cfg(feature = "metrics-endpoint")]
pub mod metrics_endpoint;
#[cfg(feature = "test-util")]
pub mod otlp_receiver;
#[cfg(feature = "signal")]
pub mod signal;
#[cfg(feature = "telemetry")]
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod testing;

pub use ids::{
    AccountId, ContractId, ContractPk, EventId, LedgerSeq, Network, PublisherPk, TagPk, WasmHash,
    WasmPk,
};
pub use kinds::{ContractKind, TagSource, VerificationStatus, VersionKind};
