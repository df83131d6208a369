//! The verifier against a real database and a fake GitHub serving bundles signed by a test
//! Sigstore (a generated CA and transparency log: no real attestation of a WASM is public in
//! a form the tests can ship, so real cryptography over generated keys stands in).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod github;
mod queue;
mod traces;
mod verdicts;
