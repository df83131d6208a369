//! Decoding a ledger: `LedgerCloseMeta` (v0, v1, v2) from base64 XDR into the ledger's header
//! facts and its transactions, each with its envelope (joined by hash), result and meta.
//!
//! Envelopes live only in the transaction set and results in `txProcessing`, in apply order;
//! they are joined by hashing each envelope with the network id (for a fee bump, the outer
//! hash, which is what `txProcessing` records). Reads are bounded in depth and length, so a
//! hostile or corrupt ledger fails to decode instead of exhausting the process.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use stellar_xdr::{
    FeeBumpTransactionInnerTx, GeneralizedTransactionSet, LedgerCloseMeta,
    LedgerHeaderHistoryEntry, Limits, MuxedAccount, Operation, ReadXdr, TransactionEnvelope,
    TransactionMeta, TransactionPhase, TransactionResultPair, TransactionResultResult,
    TransactionSet, TxSetComponent,
};

/// Nesting limit while decoding ledger XDR (ScVal trees can nest deeply).
const XDR_DEPTH: u32 = 1000;

/// The newest protocol whose ledgers this build decodes: that of its stellar-xdr major (the
/// XDR definitions of protocol N ship as stellar-xdr N). A ledger of a newer protocol may use
/// union arms this build cannot read, or mean something new by ones it can; the indexer stops
/// before it rather than guess. Bump with stellar-xdr, before the network upgrades.
pub const MAX_PROTOCOL: u32 = 30;
/// The largest ledger the decoder accepts (a busy mainnet ledger is around a megabyte).
pub const MAX_LEDGER_BYTES: usize = 64 << 20;

/// Why a ledger could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The ledger is of a protocol newer than [`MAX_PROTOCOL`]: nothing in it can be trusted
    /// to mean what this build thinks, so indexing must stop until the indexer is upgraded.
    #[error(
        "ledger {seq} is of protocol {protocol}, newer than protocol {max}, the newest this registry-indexer reads: \
         upgrade registry-indexer to a release built for protocol {protocol} (its stellar-xdr must be {protocol} or newer) \
         and start it again; it resumes at ledger {seq}, and nothing from this ledger on was written",
        max = MAX_PROTOCOL
    )]
    UnsupportedProtocol {
        /// The ledger's sequence.
        seq: u32,
        /// The protocol its header names.
        protocol: u32,
    },
    /// The bytes do not decode (corrupt, truncated, or a shape this build lacks).
    #[error("ledger {seq}: {message}")]
    Malformed {
        /// The ledger's sequence as the RPC reported it.
        seq: u32,
        /// What failed.
        message: String,
    },
}

/// One transaction of a ledger.
#[derive(Debug, Clone)]
pub struct Tx {
    /// The hash `txProcessing` records (the outer hash of a fee bump).
    pub hash: [u8; 32],
    /// Its place in the ledger's apply order, from 1.
    pub index: u32,
    /// Whether the envelope is a fee bump (its operations are the inner transaction's).
    pub fee_bump: bool,
    /// The inner transaction's source account, when the envelope was found.
    pub source: Option<MuxedAccount>,
    /// The inner transaction's operations (empty when the envelope was not found).
    pub operations: Vec<Operation>,
    /// Whether the transaction (the inner one, for a fee bump) succeeded.
    pub success: bool,
    /// What applying it changed.
    pub meta: TransactionMeta,
}

/// A decoded ledger.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub seq: u32,
    pub hash: [u8; 32],
    pub close_time: DateTime<Utc>,
    pub protocol: u32,
    /// Transactions in apply order.
    pub txs: Vec<Tx>,
    /// Size of the `LedgerCloseMeta` XDR in bytes.
    pub xdr_bytes: usize,
}

fn header_facts(h: &LedgerHeaderHistoryEntry) -> ([u8; 32], u32, DateTime<Utc>, u32) {
    let close = i64::try_from(h.header.scp_value.close_time.0).unwrap_or(0);
    (
        h.hash.0,
        h.header.ledger_seq,
        DateTime::from_timestamp(close, 0).unwrap_or_default(),
        h.header.ledger_version,
    )
}

fn envelopes(set: &GeneralizedTransactionSet) -> Vec<&TransactionEnvelope> {
    let GeneralizedTransactionSet::V1(v1) = set;
    let mut out = Vec::new();
    for phase in v1.phases.iter() {
        match phase {
            TransactionPhase::V0(components) => {
                for TxSetComponent::TxsetCompTxsMaybeDiscountedFee(c) in components.iter() {
                    out.extend(c.txs.iter());
                }
            }
            TransactionPhase::V1(parallel) => {
                for stage in parallel.execution_stages.iter() {
                    for cluster in stage.0.iter() {
                        out.extend(cluster.0.iter());
                    }
                }
            }
        }
    }
    out
}

/// The source and operations of the transaction an envelope carries (the inner one for a fee
/// bump).
fn inner(env: &TransactionEnvelope) -> (MuxedAccount, Vec<Operation>) {
    match env {
        TransactionEnvelope::TxV0(e) => (
            MuxedAccount::Ed25519(e.tx.source_account_ed25519.clone()),
            e.tx.operations.to_vec(),
        ),
        TransactionEnvelope::Tx(e) => (e.tx.source_account.clone(), e.tx.operations.to_vec()),
        TransactionEnvelope::TxFeeBump(e) => {
            let FeeBumpTransactionInnerTx::Tx(inner) = &e.tx.inner_tx;
            (
                inner.tx.source_account.clone(),
                inner.tx.operations.to_vec(),
            )
        }
    }
}

fn succeeded(r: &TransactionResultResult) -> bool {
    matches!(
        r,
        TransactionResultResult::TxSuccess(_) | TransactionResultResult::TxFeeBumpInnerSuccess(_)
    )
}

/// Decodes one ledger's `metadataXdr`. `seq` is the sequence the RPC reported (for errors).
///
/// A ledger of a protocol newer than [`MAX_PROTOCOL`] is refused with
/// [`DecodeError::UnsupportedProtocol`] even when its bytes happen to decode.
pub fn decode(seq: u32, metadata_xdr: &str, network_id: [u8; 32]) -> Result<Ledger, DecodeError> {
    let err = |message: String| DecodeError::Malformed { seq, message };
    if metadata_xdr.len() > MAX_LEDGER_BYTES * 4 / 3 + 4 {
        return Err(err(format!(
            "metadataXdr is {} bytes, over the limit",
            metadata_xdr.len()
        )));
    }
    let meta = LedgerCloseMeta::from_xdr_base64(
        metadata_xdr,
        Limits {
            depth: XDR_DEPTH,
            len: MAX_LEDGER_BYTES,
        },
    )
    .map_err(|e| err(format!("LedgerCloseMeta does not decode: {e}")))?;
    from_meta(seq, meta, metadata_xdr.len() * 3 / 4, network_id)
}

/// The XDR limits for reading one ledger (or a batch of them, `len` bytes at most).
pub fn limits(len: usize) -> Limits {
    Limits {
        depth: XDR_DEPTH,
        len,
    }
}

/// A ledger's transaction set, of either shape.
enum TxSet {
    Classic(TransactionSet),
    Generalized(GeneralizedTransactionSet),
}

/// Reads a decoded `LedgerCloseMeta`, taking it apart (each transaction keeps its own
/// `TransactionMeta`, nothing is copied). `seq` is the sequence the source reported (for errors
/// and the check against the header); `xdr_bytes` its encoded size.
pub fn from_meta(
    seq: u32,
    meta: LedgerCloseMeta,
    xdr_bytes: usize,
    network_id: [u8; 32],
) -> Result<Ledger, DecodeError> {
    let err = |message: String| DecodeError::Malformed { seq, message };
    // Each version's processing entries have their own type, with the same two fields.
    macro_rules! parts {
        ($m:expr, $set:ident) => {
            (
                $m.ledger_header,
                TxSet::$set($m.tx_set),
                $m.tx_processing
                    .into_vec()
                    .into_iter()
                    .map(|p| (p.result, p.tx_apply_processing))
                    .collect::<Vec<(TransactionResultPair, TransactionMeta)>>(),
            )
        };
    }
    let (header, tx_set, processing) = match meta {
        LedgerCloseMeta::V0(m) => parts!(m, Classic),
        LedgerCloseMeta::V1(m) => parts!(m, Generalized),
        LedgerCloseMeta::V2(m) => parts!(m, Generalized),
    };
    let header = &header;
    let envs: Vec<&TransactionEnvelope> = match &tx_set {
        TxSet::Classic(set) => set.txs.iter().collect(),
        TxSet::Generalized(set) => envelopes(set),
    };
    let (hash, header_seq, close_time, protocol) = header_facts(header);
    if header_seq != seq {
        return Err(err(format!("header says ledger {header_seq}")));
    }
    if protocol > MAX_PROTOCOL {
        return Err(DecodeError::UnsupportedProtocol { seq, protocol });
    }
    let mut by_hash: HashMap<[u8; 32], &TransactionEnvelope> = HashMap::with_capacity(envs.len());
    for env in envs {
        let h = env
            .hash(network_id)
            .map_err(|e| err(format!("transaction envelope does not hash: {e}")))?;
        by_hash.insert(h, env);
    }
    let txs = processing
        .into_iter()
        .enumerate()
        .map(|(i, (result, meta))| {
            let hash = result.transaction_hash.0;
            let (source, operations, fee_bump) = match by_hash.get(&hash) {
                Some(env) => {
                    let (s, ops) = inner(env);
                    (
                        Some(s),
                        ops,
                        matches!(env, TransactionEnvelope::TxFeeBump(_)),
                    )
                }
                None => (None, Vec::new(), false),
            };
            Tx {
                hash,
                index: i as u32 + 1,
                fee_bump,
                source,
                operations,
                success: succeeded(&result.result.result),
                meta,
            }
        })
        .collect();
    Ok(Ledger {
        seq,
        hash,
        close_time,
        protocol,
        txs,
        xdr_bytes,
    })
}

/// The facts of a `LedgerHeaderHistoryEntry` (getLedgers' `headerXdr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The ledger's hash.
    pub hash: [u8; 32],
    /// Its sequence.
    pub seq: u32,
    /// Its close time.
    pub close_time: DateTime<Utc>,
    /// The protocol it was closed under.
    pub protocol: u32,
}

/// Decodes a `LedgerHeaderHistoryEntry`. The header's shape has been stable across
/// protocols, so its protocol can be read even when the ledger's meta cannot.
pub fn decode_header(header_xdr: &str) -> Result<Header, String> {
    let h = LedgerHeaderHistoryEntry::from_xdr_base64(
        header_xdr,
        Limits {
            depth: XDR_DEPTH,
            len: 1 << 20,
        },
    )
    .map_err(|e| format!("LedgerHeaderHistoryEntry does not decode: {e}"))?;
    let (hash, seq, close_time, protocol) = header_facts(&h);
    Ok(Header {
        hash,
        seq,
        close_time,
        protocol,
    })
}

/// Builds a transaction from the fields of a `getTransaction(s)` record: `envelopeXdr`,
/// `resultXdr` (a `TransactionResult`, or the `TransactionResultPair` some tools record) and
/// `resultMetaXdr`, at its `applicationOrder` in its ledger (1 when unknown).
pub fn tx_from_rpc(
    envelope_xdr: &str,
    result_xdr: &str,
    meta_xdr: &str,
    application_order: u32,
    network_id: [u8; 32],
) -> Result<Tx, String> {
    let limits = || Limits {
        depth: XDR_DEPTH,
        len: MAX_LEDGER_BYTES,
    };
    let env = TransactionEnvelope::from_xdr_base64(envelope_xdr, limits())
        .map_err(|e| format!("envelope: {e}"))?;
    let result = stellar_xdr::TransactionResult::from_xdr_base64(result_xdr, limits())
        .or_else(|e| {
            stellar_xdr::TransactionResultPair::from_xdr_base64(result_xdr, limits())
                .map(|p| p.result)
                .map_err(|_| e)
        })
        .map_err(|e| format!("result: {e}"))?;
    let meta =
        TransactionMeta::from_xdr_base64(meta_xdr, limits()).map_err(|e| format!("meta: {e}"))?;
    let hash = env.hash(network_id).map_err(|e| format!("hash: {e}"))?;
    let (source, operations) = inner(&env);
    Ok(Tx {
        hash,
        index: application_order.max(1),
        fee_bump: matches!(env, TransactionEnvelope::TxFeeBump(_)),
        source: Some(source),
        operations,
        success: succeeded(&result.result),
        meta,
    })
}
