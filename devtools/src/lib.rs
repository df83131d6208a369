//! `registry-devtools`: what develops and exercises the registry without a real network.
//!
//! - [`sim`]: a synthetic, protocol-correct Stellar chain and a fake Stellar RPC over it
//!   (`registry-sim`, for `make demo`, the indexer's tests and the ingest benchmark).
//! - [`seed`]: deterministic, realistic registry data (`registry-seed`, for `make seed`, the
//!   explorer's tests and the API benchmarks).
//! - [`hostile`]: the documents of the attacks the server is hardened against (its tests and
//!   the attack benchmark).
//!
//! Nothing here is part of the indexer or the server: they never depend on this crate.

pub mod hostile;
pub mod seed;
pub mod sim;
