//! The server's integration tests: one binary, one module per concern. Each test runs the real
//! server on port 0 against its own fresh database (`TestDb`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abi;
mod attacks;
mod auth;
mod chain_facts;
mod contracts;
mod cors;
mod diffs;
mod documents;
mod errors;
mod feed;
mod helpers;
mod http;
mod limits;
mod lookups;
mod redis;
mod sdl;
mod statements;
mod subscriptions;
mod traces;
mod verification;
mod writes;
