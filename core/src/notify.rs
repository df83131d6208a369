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

use crate::ids::EventId;

/// The one channel the registry notifies on.
pub const CHANNEL: &str = "registry_events";

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
}

impl EventKind {
    /// The value stored in `registry_events.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ContractDeployed => "contract_deployed",
            EventKind::ContractUpgraded => "contract_upgraded",
            EventKind::LedgerIndexed => "ledger_indexed",
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
            other => Err(format!("unknown event kind {other:?}")),
        }
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
