//! Closed sets of values stored in enum columns and shown as GraphQL enums: what kind of
//! contract a row is, how far its verification got, and where a tag came from.

use serde::{Deserialize, Serialize};

/// What executes a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(
    feature = "sqlx",
    sqlx(type_name = "contract_kind", rename_all = "snake_case")
)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ContractKind {
    /// Uploaded WASM code.
    Wasm,
    /// The built-in Stellar Asset Contract of a classic asset.
    StellarAsset,
}

/// Whether the contract's WASM was reproduced from its claimed source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(
    feature = "sqlx",
    sqlx(type_name = "verification_status", rename_all = "snake_case")
)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum VerificationStatus {
    /// No build attestation has been checked (its meta names no `source_repo`, and nobody
    /// asked).
    Unverified,
    /// A verification is queued: the verifier has not given its verdict yet.
    Pending,
    /// A GitHub build attestation of the WASM's hash verified completely (SEP-55): signed
    /// through Sigstore by a workflow of the WASM's `source_repo`, logged, naming this hash.
    Verified,
    /// The attestation is missing or did not hold; the verdict says why.
    Failed,
}

/// Where a tag on a contract came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(
    feature = "sqlx",
    sqlx(type_name = "tag_source", rename_all = "snake_case")
)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum TagSource {
    /// Derived by the indexer from the contract's interface (see the auto-tag rules).
    Auto,
    /// Set by a person (the publisher or a curator).
    Manual,
}

/// What a version row of a contract's history records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(
    feature = "sqlx",
    sqlx(type_name = "version_kind", rename_all = "snake_case")
)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum VersionKind {
    /// The contract's deployment, as indexed.
    Deployed,
    /// A change of its executable, as indexed.
    Upgraded,
    /// The executable the contract had when the registry first saw it, its deployment being
    /// older than the indexed history: a state observed at that ledger, not a change.
    Observed,
}
