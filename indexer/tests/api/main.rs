//! The indexer's integration tests: one binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod archive;
mod commands;
pub mod exactly_once;
mod hostile;
mod names;
pub mod pipeline;
mod real;
mod recorded;
mod sim_chain;
mod traces;
