//! The development tools' integration tests: the seeder on a real database, the fake RPC
//! against Stellar RPC's OpenRPC spec. One binary, one module per tool.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod seed;
mod sim_rpc;
