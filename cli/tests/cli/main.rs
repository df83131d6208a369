//! The `registry` binary against a real `registry-server` on a seeded database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod diff;
mod errors;
mod helpers;
mod reads;
mod watch;
