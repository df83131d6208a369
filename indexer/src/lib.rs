//! `registry-indexer`: the registry's only writer.
//!
//! - [`migrate`]: applies `migrations/` (the indexer owns the schema's history).
//! - [`seed`]: deterministic, realistic data for development and benchmarks.

pub mod migrate;
pub mod seed;
