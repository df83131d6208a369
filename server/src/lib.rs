//! `registry-server`: the registry's GraphQL API.
//!
//! - [`app`]: `App::build(Config)` wires everything and binds; `App::run` serves.
//! - [`config`]: every environment variable the server reads.
//! - [`http`]: routes (`/graphql`, `/health`, `/ready`, `/metrics`), rate limiting, GraphQL
//!   over HTTP.
//! - [`schema`]: GraphQL types and resolvers (no SQL); [`loaders`]: per-request batching;
//!   [`db`]: all SQL; [`cache`]: cross-request caches.
//! - [`feed`]: the live feed (the hub's one LISTEN connection and in-process fan-out, the
//!   replay from the event log, shared executions), apart from any transport.
//! - [`trace`]: the trace id of the current request (a leaf module).
//! - [`error`]: the one error type and the codes clients see.
//! - [`guard`]: the checks every document passes first, on every transport (work counted with
//!   fragments expanded, in linear time, before validation).
//!
//! - [`auth`]: sign-in (SEP-10) and tokens; [`home_domain`]: the stellar.toml a contract's
//!   home domain publishes (who may claim it).
//!
//! The indexer is the only writer of what comes from the chain; the server writes only what
//! publishers own (`db::writes`, as its own database role), and the verifier only verdicts.

pub mod app;
pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod documents;
pub mod error;
pub mod feed;
pub mod guard;
pub mod home_domain;
pub mod http;
pub mod loaders;
pub mod schema;
pub mod shared_limits;
pub mod state;
pub mod trace;

pub use app::App;
pub use config::Config;
