//! The indexer's own HTTP port: `/metrics` (Prometheus) and `/health`.
//!
//! Exported: `registry_indexer_last_ledger`, `registry_indexer_network_latest_ledger`,
//! `registry_indexer_lag_ledgers`, `registry_indexer_lag_seconds`,
//! `registry_indexer_batch_duration_seconds`, `registry_indexer_ledgers_total`,
//! `registry_indexer_rows_written_total{table}`, `registry_indexer_rpc_errors_total{kind}`,
//! `registry_indexer_skipped_ledgers_total`, `registry_indexer_backfill_pending`,
//! `registry_indexer_xdr_bytes_total`; during `backfill`, `registry_indexer_backfill_ledgers_done`,
//! `…_total` and `…_per_second`.

pub use registry_core::metrics_endpoint::{handle, serve};
