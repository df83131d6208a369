//! `registry-indexer`: the registry's only writer.
//!
//! - [`pipeline`]: the one loop (fetch → decode → extract → write + checkpoint + notify).
//! - [`rpc`]: the Stellar RPC client (exact wire types, retries with jitter).
//! - [`ledger`]: `LedgerCloseMeta` XDR → a ledger's transactions (envelope, result, meta).
//! - [`extract`]: pure: a decoded ledger → the registry's changes.
//! - [`xdr`]: the one mapping from Stellar's XDR to the registry's words (executables,
//!   instances, assets, ledger keys).
//! - [`names`]: names from the on-chain Stellar Registry's events.
//! - [`store`]: all the indexer's SQL; one transaction per batch: rows, statistics,
//!   checkpoint, events, NOTIFY.
//! - [`backfill`]: what `getLedgerEntries` tells: which addresses are contracts, the bytes of
//!   WASMs no indexed ledger uploaded, CAP-85 references.
//! - [`archive`]: SEP-54 ledger archives: object keys, batch decoding, directory, HTTP and
//!   S3 sources.
//! - [`history`]: `backfill`: the history before the live indexer's first ledger, from a
//!   SEP-54 archive, through the same write path, in disjoint ranges with their own
//!   checkpoints.
//! - [`inspect`]: `inspect-tx` / `inspect-ledger`: what the registry makes of a transaction
//!   or a ledger, as JSON.
//! - [`locks`] (in `store`): every advisory lock (one indexer per network and database).
//! - [`config`], [`metrics`]: environment and the `/metrics` + `/health` port.
//! - [`migrate`] (in `store`): applies `migrations/` (the indexer owns the schema's history).
//!
//! The simulated network and the seeder are development tools, in `registry-devtools`.

pub mod archive;
pub mod backfill;
pub mod config;
pub mod extract;
pub mod history;
pub mod inspect;
pub mod ledger;
pub mod metrics;
pub mod names;
pub mod pipeline;
pub mod rpc;
pub mod store;
pub mod xdr;

pub use store::{locks, migrate, retag};
