//! `registry-indexer`: the registry's only writer.
//!
//! - [`ledger`]: `LedgerCloseMeta` XDR → a ledger's transactions (envelope, result, meta).
//! - [`extract`]: pure: a decoded ledger → the registry's changes.
//! - [`migrate`]: applies `migrations/` (the indexer owns the schema's history).
//! - [`seed`]: deterministic, realistic data for development and benchmarks.

pub mod extract;
pub mod ledger;
pub mod migrate;
pub mod rpc;
pub mod seed;
pub mod sim;
