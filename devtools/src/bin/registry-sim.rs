//! `registry-sim`: serves a simulated Stellar network on 127.0.0.1: a fake Stellar RPC over a
//! synthetic chain that produces a ledger every `--interval-ms`. `make demo` runs the indexer
//! against it; nothing leaves the machine.
//!
//! Run: `registry-sim --port 8100 --interval-ms 2000 --profile demo`.

use std::time::Duration;

use clap::Parser;
use registry_core::Network;
use registry_core::telemetry::{self, LogFormat};
use registry_devtools::sim::chain::{Chain, Profile};
use registry_devtools::sim::server::SimRpc;

#[derive(Parser)]
#[command(
    name = "registry-sim",
    about = "A simulated Stellar network behind a fake RPC"
)]
struct Cli {
    #[arg(long, default_value_t = 8100)]
    port: u16,
    /// A new ledger every this many milliseconds (0: serve the initial ledgers only).
    #[arg(long, default_value_t = 2000)]
    interval_ms: u64,
    /// What the ledgers hold: demo (a little of everything, often), test (small), or mainnet
    /// (300 transactions and about 1,000 events per ledger).
    #[arg(long, default_value = "demo")]
    profile: String,
    /// Ledgers generated before serving.
    #[arg(long, default_value_t = 20)]
    initial: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the initial ledgers as a SEP-54 ledger archive in this directory (64 ledgers
    /// per batch, 10 batches per partition), for `registry-indexer backfill`.
    #[arg(long)]
    archive: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let format = std::env::var("LOG_FORMAT")
        .ok()
        .and_then(|f| f.parse().ok())
        .unwrap_or(LogFormat::Text);
    telemetry::init(format, &filter);
    let mut profile = match cli.profile.as_str() {
        "demo" => Profile::demo(),
        "test" => Profile::test(),
        "mainnet" => Profile::mainnet(),
        other => anyhow::bail!("unknown profile {other:?}: expected demo, test or mainnet"),
    };
    if cli.interval_ms > 0 {
        profile.close_seconds = (cli.interval_ms / 1000).max(1) as i64;
    }
    let start = chrono::Utc::now().timestamp() - i64::from(cli.initial) * profile.close_seconds;
    if let Some(dir) = &cli.archive {
        // The same chain (same seed, profile and start), generated once more for the archive.
        use stellar_xdr::{LedgerCloseMeta, Limits, ReadXdr};
        let mut chain = Chain::new(Network::Local, profile.clone(), cli.seed, 2).starting_at(start);
        let ledgers = (0..cli.initial)
            .map(|_| {
                LedgerCloseMeta::from_xdr_base64(&chain.next_ledger().metadata_xdr, Limits::none())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let layout = registry_indexer::archive::Layout {
            network_passphrase: Network::Local.passphrase().into(),
            compression: "zstd".into(),
            ledgers_per_batch: 64,
            batches_per_partition: 10,
        };
        registry_indexer::archive::write_archive(dir, &layout, 2, ledgers, "xdr.zst")
            .map_err(anyhow::Error::msg)?;
        tracing::info!(
            "wrote ledgers 2-{} as an archive in {}",
            cli.initial + 1,
            dir.display()
        );
    }
    let chain = Chain::new(Network::Local, profile, cli.seed, 2).starting_at(start);
    let started = std::time::Instant::now();
    let rpc = SimRpc::start(chain, cli.initial, cli.port).await?;
    tracing::info!(
        "generated {} ledgers in {:.1} s",
        cli.initial,
        started.elapsed().as_secs_f64()
    );
    if cli.interval_ms > 0 {
        rpc.produce_every(Duration::from_millis(cli.interval_ms));
    }
    tracing::info!(url = %rpc.url, "simulated local network: fake Stellar RPC at {} (a ledger every {} ms)", rpc.url, cli.interval_ms);
    registry_core::signal::shutdown().await;
    Ok(())
}
