//! The NOTIFY contract between the indexer (the only writer) and every server process.
//!
//! - The indexer appends rows to `registry_events` and, in the same transaction, calls
//!   `pg_notify('registry_events', '<id>')` where `<id>` is the highest event id it wrote.
//!   PostgreSQL delivers the notification only at commit, so a listener never hears of rows it
//!   cannot read yet.
//! - A payload therefore means "every event up to this id is committed". A listener reads
//!   `registry_events WHERE id > <last id it delivered> ORDER BY id`; gaps in the id sequence
//!   (rolled-back batches) and lost notifications (a dropped connection) cost nothing but a
//!   re-read from the last delivered id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::ids::{AccountId, ContractId, EventId, WasmHash};
use crate::kinds::ContractKind;

/// The one channel the registry notifies on.
pub const CHANNEL: &str = "registry_events";

/// The transaction-scoped advisory lock every writer of `registry_events` (the indexer's
/// batches, the API server's claims) takes before its first row: event ids are then committed
/// in the order they were issued, so a listener that reads `id > <last delivered>` never
/// passes a row that commits later with a lower id.
pub const EVENTS_LOCK: i64 = 0x7265_6765_7665_6e74;

/// What a `registry_events` row records. Stored in `registry_events.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A contract appeared on a network.
    ContractDeployed,
    /// A contract's executable changed.
    ContractUpgraded,
    /// A batch of ledgers was indexed (one event per batch, carrying its last ledger).
    LedgerIndexed,
    /// A publisher claimed a contract (written by the API server).
    ContractClaimed,
    /// A publisher released a contract it had claimed (written by the API server).
    ContractReleased,
    /// The build of a contract's WASM was verified, or failed verification (written by the
    /// verifier, one event per contract running the WASM).
    ContractVerified,
    /// A batch of old ledgers was written by a backfill from a ledger archive (one event per
    /// batch, instead of one per contract: history does not flood live subscribers).
    LedgersBackfilled,
}

impl EventKind {
    /// The value stored in `registry_events.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ContractDeployed => "contract_deployed",
            EventKind::ContractUpgraded => "contract_upgraded",
            EventKind::LedgerIndexed => "ledger_indexed",
            EventKind::ContractClaimed => "contract_claimed",
            EventKind::ContractReleased => "contract_released",
            EventKind::ContractVerified => "contract_verified",
            EventKind::LedgersBackfilled => "ledgers_backfilled",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "contract_deployed" => Ok(EventKind::ContractDeployed),
            "contract_upgraded" => Ok(EventKind::ContractUpgraded),
            "ledger_indexed" => Ok(EventKind::LedgerIndexed),
            "contract_claimed" => Ok(EventKind::ContractClaimed),
            "contract_released" => Ok(EventKind::ContractReleased),
            "contract_verified" => Ok(EventKind::ContractVerified),
            "ledgers_backfilled" => Ok(EventKind::LedgersBackfilled),
            other => Err(format!("unknown event kind {other:?}")),
        }
    }
}

/// The `payload` of a `registry_events` row, one shape per [`EventKind`]: written by the
/// indexer (and, for claims, by the API server), read by every server process. Stored as JSON
/// with camelCase keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventPayload {
    /// Of a `contract_deployed` row.
    ContractDeployed(Deployed),
    /// Of a `contract_upgraded` row.
    ContractUpgraded(Upgraded),
    /// Of a `ledger_indexed` row.
    LedgerIndexed(LedgerIndexed),
    /// Of a `contract_claimed` row.
    ContractClaimed(Claim),
    /// Of a `contract_released` row.
    ContractReleased(Claim),
    /// Of a `contract_verified` row.
    ContractVerified(Verified),
    /// Of a `ledgers_backfilled` row.
    LedgersBackfilled(Backfilled),
}

/// A backfill wrote a batch of old ledgers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backfilled {
    /// The batch's first ledger.
    pub first: u32,
    /// Its last ledger.
    pub last: u32,
    /// Contracts it deployed.
    pub deployed: u32,
}

/// A verdict on the build of the WASM a contract runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    /// The contract.
    pub contract_id: ContractId,
    /// The WASM whose build was checked.
    pub wasm_hash: WasmHash,
    /// Whether its build attestation held.
    pub verified: bool,
}

/// A publisher claimed or released a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    /// The contract.
    pub contract_id: ContractId,
    /// The publisher's account.
    pub publisher: AccountId,
}

/// A contract appeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployed {
    /// The contract.
    pub contract_id: ContractId,
    /// What executes it.
    pub kind: ContractKind,
    /// Its WASM; absent for a contract with a built-in executable.
    pub wasm_hash: Option<WasmHash>,
}

/// A contract's executable changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upgraded {
    /// The contract.
    pub contract_id: ContractId,
    /// The WASM before, when it was one.
    pub old_wasm_hash: Option<WasmHash>,
    /// The WASM after, when it is one.
    pub new_wasm_hash: Option<WasmHash>,
}

/// A batch of ledgers was indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerIndexed {
    /// The batch's last ledger.
    pub ledger: u32,
    /// Its close time.
    pub closed_at: DateTime<Utc>,
    /// Ledgers in the batch.
    pub ledgers: u32,
}

impl EventPayload {
    /// The kind stored beside the payload.
    pub fn kind(&self) -> EventKind {
        match self {
            EventPayload::ContractDeployed(_) => EventKind::ContractDeployed,
            EventPayload::ContractUpgraded(_) => EventKind::ContractUpgraded,
            EventPayload::LedgerIndexed(_) => EventKind::LedgerIndexed,
            EventPayload::ContractClaimed(_) => EventKind::ContractClaimed,
            EventPayload::ContractReleased(_) => EventKind::ContractReleased,
            EventPayload::ContractVerified(_) => EventKind::ContractVerified,
            EventPayload::LedgersBackfilled(_) => EventKind::LedgersBackfilled,
        }
    }

    /// The JSON stored in `registry_events.payload`.
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            EventPayload::ContractDeployed(p) => serde_json::to_value(p),
            EventPayload::ContractUpgraded(p) => serde_json::to_value(p),
            EventPayload::LedgerIndexed(p) => serde_json::to_value(p),
            EventPayload::ContractClaimed(p) | EventPayload::ContractReleased(p) => {
                serde_json::to_value(p)
            }
            EventPayload::ContractVerified(p) => serde_json::to_value(p),
            EventPayload::LedgersBackfilled(p) => serde_json::to_value(p),
        };
        v.expect("event payloads serialise")
    }

    /// Reads a stored payload of `kind`; an error names what does not fit.
    pub fn from_json(kind: EventKind, json: serde_json::Value) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            EventKind::ContractDeployed => {
                EventPayload::ContractDeployed(serde_json::from_value(json)?)
            }
            EventKind::ContractUpgraded => {
                EventPayload::ContractUpgraded(serde_json::from_value(json)?)
            }
            EventKind::LedgerIndexed => EventPayload::LedgerIndexed(serde_json::from_value(json)?),
            EventKind::ContractClaimed => {
                EventPayload::ContractClaimed(serde_json::from_value(json)?)
            }
            EventKind::ContractReleased => {
                EventPayload::ContractReleased(serde_json::from_value(json)?)
            }
            EventKind::ContractVerified => {
                EventPayload::ContractVerified(serde_json::from_value(json)?)
            }
            EventKind::LedgersBackfilled => {
                EventPayload::LedgersBackfilled(serde_json::from_value(json)?)
            }
        })
    }
}

/// Encodes the payload of a notification: the highest event id of the committed batch.
pub fn encode_payload(last: EventId) -> String {
    last.0.to_string()
}

/// Decodes a notification payload; `None` for anything but a positive decimal id (a foreign
/// `NOTIFY` on the channel must not take a listener down, it only triggers a re-read).
pub fn decode_payload(payload: &str) -> Option<EventId> {
    payload
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(EventId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_and_rejects_garbage() {
        assert_eq!(
            decode_payload(&encode_payload(EventId(42))),
            Some(EventId(42))
        );
        assert_eq!(decode_payload("hello"), None);
        assert_eq!(decode_payload("-3"), None);
    }

    #[test]
    fn payloads_keep_the_stored_shape_and_round_trip() {
        let contract: ContractId = "CDLZFC3SYJYDZT7K67VZ75HPJVIEUVNIXF47ZG2FB2RMQQVU2HHGCYSC"
            .parse()
            .unwrap();
        let hash = WasmHash([7; 32]);
        let deployed = EventPayload::ContractDeployed(Deployed {
            contract_id: contract,
            kind: ContractKind::Wasm,
            wasm_hash: Some(hash),
        });
        // The column's JSON as earlier releases wrote it, key for key.
        assert_eq!(
            deployed.to_json(),
            serde_json::json!({ "contractId": contract.to_string(), "kind": "wasm", "wasmHash": hash.to_string() })
        );
        let ledger = EventPayload::LedgerIndexed(LedgerIndexed {
            ledger: 9,
            closed_at: "2026-11-29T10:00:00Z".parse().unwrap(),
            ledgers: 3,
        });
        for p in [deployed, ledger] {
            assert_eq!(EventPayload::from_json(p.kind(), p.to_json()).unwrap(), p);
        }
        // A payload of another kind, or a malformed id, is refused with a reason.
        let err = EventPayload::from_json(
            EventKind::ContractUpgraded,
            serde_json::json!({ "contractId": "CNOTANID" }),
        )
        .unwrap_err();
        assert!(err.to_string().contains("contract id"), "{err}");
    }

    #[test]
    fn kinds_round_trip_through_their_column_values() {
        for k in [
            EventKind::ContractDeployed,
            EventKind::ContractUpgraded,
            EventKind::LedgerIndexed,
        ] {
            assert_eq!(k.as_str().parse::<EventKind>().unwrap(), k);
        }
    }
}
