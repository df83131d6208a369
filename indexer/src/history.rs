//! `registry-indexer backfill`: the history before the live indexer's first ledger, read from
//! a SEP-54 ledger archive and written through the live indexer's write path
//! (`store::write_batch`, [`Target::Backfill`]).
//!
//! A backfill writes one range (`--start`..=`--end`, or part K of N of it), recorded in
//! `backfill_ranges` with its own checkpoint. Ranges are disjoint from each other and end
//! before the live indexer's first ledger, so nothing is counted twice. Addresses the registry
//! does not know are looked up through the RPC's `getLedgerEntries`, as live indexing does
//! (`STELLAR_RPC_URL`), so both write the same rows. A backfill killed at
//! any point resumes from its checkpoint. It downloads and decodes a bounded number of batch
//! objects ahead, in a pool of blocking workers, and writes ledgers in order. At the end a gap
//! check names any ledger of the range not written.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use futures::StreamExt;
use registry_core::Network;
use sqlx::PgPool;

use crate::archive::{Reader, ledger_seq};
use crate::extract::extract;
use crate::ledger::from_meta;
use crate::rpc::Client;
use crate::store::{self, IndexedLedger, Target};

/// A backfill to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub network: Network,
    /// The range's first and last ledger.
    pub first: u32,
    pub last: u32,
    /// Ledgers per database transaction.
    pub batch_ledgers: u32,
}

/// Part `k` (1-based) of `n` of `first..=last`: contiguous, as even as the archive's batches
/// allow (parts start on batch boundaries), together exactly the range.
pub fn part(first: u32, last: u32, k: u32, n: u32, ledgers_per_batch: u32) -> Option<(u32, u32)> {
    if n == 0 || k == 0 || k > n || first > last {
        return None;
    }
    let total = u64::from(last) - u64::from(first) + 1;
    let lpb = u64::from(ledgers_per_batch.max(1));
    let boundary = |i: u64| -> u64 {
        if i == 0 {
            return u64::from(first);
        }
        if i == u64::from(n) {
            return u64::from(last) + 1;
        }
        let raw = u64::from(first) + total * i / u64::from(n);
        (raw / lpb * lpb).clamp(u64::from(first), u64::from(last) + 1)
    };
    let (start, end) = (boundary(u64::from(k - 1)), boundary(u64::from(k)));
    (start < end).then(|| (start as u32, (end - 1) as u32))
}

/// What a backfill did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub ledgers: u64,
    pub xdr_bytes: u64,
}

/// Registers the range (or finds it, to resume) and returns the first ledger to write. Refuses
/// a range that overlaps another backfill's or reaches the live indexer's first ledger.
pub async fn register(pool: &PgPool, plan: &Plan) -> Result<u32, String> {
    let db = |e: sqlx::Error| format!("database: {e}");
    let mut tx = pool.begin().await.map_err(db)?;
    store::locks::ranges(&mut tx, plan.network)
        .await
        .map_err(db)?;
    let live: Option<Option<i64>> = sqlx::query_scalar!(
        "SELECT first_ledger FROM indexer_cursors WHERE network = $1",
        plan.network as Network,
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    if let Some(Some(live_first)) = live {
        if i64::from(plan.last) >= live_first {
            return Err(format!(
                "the live indexer of {} wrote from ledger {live_first}: a backfill must end before \
                 it (--end {})",
                plan.network,
                live_first - 1
            ));
        }
    }
    let overlapping = sqlx::query!(
        "SELECT first_ledger, last_ledger FROM backfill_ranges
         WHERE network = $1 AND first_ledger <= $3 AND last_ledger >= $2
           AND NOT (first_ledger = $2 AND last_ledger = $3)",
        plan.network as Network,
        i64::from(plan.first),
        i64::from(plan.last),
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    if let Some(o) = overlapping {
        return Err(format!(
            "ledgers {}-{} of {} are another backfill's range: ranges may not overlap (run the \
             same range again to resume it)",
            o.first_ledger, o.last_ledger, plan.network
        ));
    }
    sqlx::query!(
        "INSERT INTO backfill_ranges (network, first_ledger, last_ledger, next_ledger, run_first_ledger)
         VALUES ($1, $2, $3, $2, $2) ON CONFLICT (network, first_ledger) DO NOTHING",
        plan.network as Network,
        i64::from(plan.first),
        i64::from(plan.last),
    )
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    // This run starts now, from the range's checkpoint (its rate is measured from here).
    let next: i64 = sqlx::query_scalar!(
        "UPDATE backfill_ranges SET run_started_at = now(), run_first_ledger = next_ledger
         WHERE network = $1 AND first_ledger = $2 AND last_ledger = $3 RETURNING next_ledger",
        plan.network as Network,
        i64::from(plan.first),
        i64::from(plan.last),
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(next as u32)
}

/// Runs the backfill of `plan` from `reader` until its range is written (or an error).
/// Addresses the ledgers mention that the registry does not know are looked up through
/// `client`'s `getLedgerEntries`, as the live indexer does, so both write the same rows.
pub async fn run(
    pool: &PgPool,
    client: &Client,
    reader: &Reader,
    plan: &Plan,
) -> Result<Summary, String> {
    let next = register(pool, plan).await?;
    let total = u64::from(plan.last - plan.first) + 1;
    let mut done = u64::from(next - plan.first);
    let mut summary = Summary::default();
    metrics::gauge!("registry_indexer_backfill_ledgers_total").set(total as f64);
    metrics::gauge!("registry_indexer_backfill_ledgers_done").set(done as f64);
    if next > plan.last {
        return gap_check(pool, plan).await.map(|()| summary);
    }
    if next > plan.first {
        tracing::info!(
            next,
            "resuming the backfill of {}-{} at ledger {next}",
            plan.first,
            plan.last
        );
    }
    let network = plan.network;
    let network_id = network.network_id();
    let started = Instant::now();
    let bar = std::io::stderr().is_terminal();
    // The extracted ledgers of each archive batch, in order, a bounded number ahead; each
    // ledger's `LedgerCloseMeta` is dropped as soon as its changes are extracted.
    let mut batches = std::pin::pin!(reader.ledgers(next, plan.last, move |meta, bytes| {
        let seq = ledger_seq(&meta);
        let d =
            from_meta(seq, meta, bytes, network_id).map_err(|e| format!("ledger {seq}: {e}"))?;
        let changes = extract(network, &d);
        Ok((
            IndexedLedger {
                seq,
                hash: d.hash,
                close_time: d.close_time,
                changes,
            },
            bytes,
        ))
    }));
    let target = Target::Backfill {
        first: plan.first,
        last: plan.last,
    };
    let mut pending: Vec<IndexedLedger> = Vec::new();
    let mut expected = next;
    loop {
        let item = batches.next().await;
        let end = item.is_none();
        if let Some(batch) = item {
            for (ledger, bytes) in batch? {
                if ledger.seq != expected {
                    return Err(format!(
                        "the archive gave ledger {} where {expected} was expected",
                        ledger.seq
                    ));
                }
                expected += 1;
                summary.xdr_bytes += bytes as u64;
                pending.push(ledger);
            }
        }
        while pending.len() >= plan.batch_ledgers as usize || (end && !pending.is_empty()) {
            let take = pending.len().min(plan.batch_ledgers as usize);
            let chunk: Vec<IndexedLedger> = pending.drain(..take).collect();
            let wasms = crate::pipeline::decode_uploads(&chunk).await;
            let seen = crate::pipeline::observe(pool, client, network, &chunk).await?;
            let written = write_retrying(pool, network, &chunk, &wasms, &seen, target).await?;
            done += u64::from(written.ledgers);
            summary.ledgers += u64::from(written.ledgers);
            let rate = summary.ledgers as f64 / started.elapsed().as_secs_f64().max(0.001);
            metrics::gauge!("registry_indexer_backfill_ledgers_done").set(done as f64);
            metrics::gauge!("registry_indexer_backfill_ledgers_per_second").set(rate);
            metrics::counter!("registry_indexer_ledgers_total")
                .increment(u64::from(written.ledgers));
            let eta = Duration::from_secs_f64((total - done) as f64 / rate.max(0.001));
            if bar {
                let width = 30;
                let filled = (done * width / total.max(1)) as usize;
                eprint!(
                    "\r[{}{}] {done}/{total} ledgers, {rate:.0}/s, {} left ",
                    "#".repeat(filled),
                    ".".repeat(width as usize - filled),
                    humantime(eta)
                );
            } else {
                tracing::info!(
                    done,
                    total,
                    rate = rate as u64,
                    "backfilled through ledger {} ({done}/{total}, {rate:.0} ledgers/s, {} left)",
                    chunk.last().map_or(0, |l| l.seq),
                    humantime(eta)
                );
            }
        }
        if end {
            break;
        }
    }
    if bar {
        eprintln!();
    }
    gap_check(pool, plan).await?;
    Ok(summary)
}

/// Writes a chunk, again when PostgreSQL aborted its transaction for a deadlock or a
/// serialization failure (parts of one backfill write the same WASM and contract rows at
/// once; the transaction rolled back whole, so writing it again is exact).
async fn write_retrying(
    pool: &PgPool,
    network: Network,
    chunk: &[IndexedLedger],
    wasms: &std::collections::HashMap<registry_core::WasmHash, registry_core::spec::DecodedWasm>,
    seen: &store::Observations,
    target: Target,
) -> Result<store::Written, String> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match store::write_batch(pool, network, chunk, wasms, seen, target).await {
            Ok(w) => return Ok(w),
            Err(sqlx::Error::Database(e))
                if attempt < 8 && matches!(e.code().as_deref(), Some("40P01" | "40001")) =>
            {
                tracing::warn!(attempt, error = %e, "the batch was aborted ({e}); writing it again");
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
            }
            Err(e) => return Err(format!("database: {e}")),
        }
    }
}

/// Fails naming the ledgers of the range not written.
async fn gap_check(pool: &PgPool, plan: &Plan) -> Result<(), String> {
    let next: i64 = sqlx::query_scalar!(
        "SELECT next_ledger FROM backfill_ranges WHERE network = $1 AND first_ledger = $2 AND last_ledger = $3",
        plan.network as Network,
        i64::from(plan.first),
        i64::from(plan.last),
    )
    .fetch_one(pool)
    .await
    .map_err(|e| format!("database: {e}"))?;
    if next != i64::from(plan.last) + 1 {
        return Err(format!(
            "ledgers {next}-{} of the range were not written",
            plan.last
        ));
    }
    Ok(())
}

fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_range_exactly_once_on_batch_boundaries() {
        for (first, last, n, lpb) in [
            (2, 10_001, 4, 64),
            (2, 100, 3, 1),
            (1000, 1005, 8, 1),
            (2, 50, 2, 64),
        ] {
            let parts: Vec<(u32, u32)> = (1..=n)
                .filter_map(|k| part(first, last, k, n, lpb))
                .collect();
            assert_eq!(parts.first().unwrap().0, first);
            assert_eq!(parts.last().unwrap().1, last);
            for w in parts.windows(2) {
                assert_eq!(w[0].1 + 1, w[1].0, "{parts:?}");
                assert_eq!(w[1].0 % lpb, 0, "{parts:?}");
            }
        }
        assert_eq!(part(2, 10, 0, 2, 1), None);
        assert_eq!(part(2, 10, 3, 2, 1), None);
    }
}
