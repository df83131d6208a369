//! A simulated Stellar network: a synthetic chain ([`chain`]) and a JSON-RPC server over it
//! ([`server`]) with knobs for every fault the indexer must survive. Tests, `make demo` and
//! the ingest benchmark run the indexer against it; nothing leaves 127.0.0.1.

pub mod chain;
pub mod server;
