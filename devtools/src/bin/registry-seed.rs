//! `registry-seed`: fills the registry with deterministic, realistic data.
//!
//! Run: `DATABASE_URL=… registry-seed --count 5000 --seed 42` (or `make seed`). The same
//! `--seed` and `--anchor` give the same rows. `--samples DIR` also writes variables files for
//! the benchmark queries.
//!
//! `registry-seed --deploy 1 --network mainnet` instead writes new deployments into an existing
//! registry through the indexer's own write path (one ledger past the checkpoint each, in one
//! transaction with its event and NOTIFY), so live subscribers see them; it prints their ids.

use chrono::{DateTime, Timelike, Utc};
use clap::Parser;
use sqlx::Connection;

use anyhow::Context;
use registry_core::{ContractId, Network, WasmHash};
use registry_devtools::seed::{SeedOptions, seed};
use registry_indexer::extract::{At, Change, Executable};
use registry_indexer::store::{IndexedLedger, write_batch};

#[derive(Parser)]
#[command(
    name = "registry-seed",
    about = "Fill the registry with deterministic, realistic data"
)]
struct Args {
    /// Contracts to create (publishers, WASM codes and statistics scale with it).
    #[arg(long, default_value_t = 5000)]
    count: usize,
    /// RNG seed: the same seed and anchor give the same rows.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The data set's "now" (RFC 3339); default: the current hour.
    #[arg(long)]
    anchor: Option<DateTime<Utc>>,
    /// Empty every registry table first (otherwise a non-empty registry is refused).
    #[arg(long)]
    reset: bool,
    /// Write benchmark variables (Q2_detail.vars.json, Q3_search.vars.json) into this folder.
    #[arg(long)]
    samples: Option<std::path::PathBuf>,
    /// Instead of seeding: deploy this many new contracts through the indexer's write path,
    /// running the network's most used WASM, and print their ids.
    #[arg(long)]
    deploy: Option<u32>,
    /// The network of `--deploy`.
    #[arg(long, default_value = "mainnet")]
    network: Network,
    /// Database URL.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
}

const SEARCH_PHRASES: &[&str] = &[
    "swap",
    "lending pool",
    "oracle",
    "bridge",
    "token",
    "staking vault",
    "royalties",
    "governance",
    "auction",
    "escrow",
    "stablecoin",
    "perpetual futures",
    "yield farming",
    "treasury multisig",
    "insurance",
    "lottery",
    "remittance",
    "payroll",
    "flash loan",
    "identity",
    "launchpad",
    "carbon credit",
    "bond market",
    "index fund",
    "phoenix",
    "blend",
    "aqua",
    "soro",
    "comet router",
    "nova",
    "kepler vault",
    "audited",
    "upgradeable",
    "transfer",
    "market maker",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let args = Args::parse();
    let now = Utc::now();
    let anchor = args.anchor.unwrap_or_else(|| {
        now.with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(now)
    });
    let opts = SeedOptions {
        count: args.count,
        seed: args.seed,
        anchor,
    };
    if let Some(n) = args.deploy {
        if let Err(e) = deploy(&args.database_url, args.network, n).await {
            eprintln!("registry-seed: {e:#}");
            std::process::exit(1);
        }
        return Ok(());
    }
    let mut conn = sqlx::PgConnection::connect(&args.database_url).await?;
    let (data, elapsed) = match seed(&mut conn, &opts, args.reset).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("registry-seed: {e}");
            std::process::exit(1);
        }
    };
    let c = &data.counts;
    println!(
        "seeded {} contracts, {} wasm codes, {} publishers, {} tags, {} versions, {} contract tags, {} daily stats, {} function stats in {:.1} s (seed {}, anchor {})",
        c.contracts,
        c.wasm_codes,
        c.publishers,
        c.tags,
        c.contract_versions,
        c.contract_tags,
        c.daily_stats,
        c.function_stats,
        elapsed.as_secs_f64(),
        args.seed,
        anchor.to_rfc3339()
    );
    if let Some(dir) = args.samples {
        std::fs::create_dir_all(&dir)?;
        let detail: Vec<serde_json::Value> = data
            .samples
            .iter()
            .map(|(n, id)| serde_json::json!({ "network": n.as_str().to_uppercase(), "contractId": id }))
            .collect();
        let search: Vec<serde_json::Value> = SEARCH_PHRASES
            .iter()
            .map(|q| serde_json::json!({ "q": q }))
            .collect();
        std::fs::write(
            dir.join("Q2_detail.vars.json"),
            serde_json::to_string_pretty(&detail)?,
        )?;
        std::fs::write(
            dir.join("Q3_search.vars.json"),
            serde_json::to_string_pretty(&search)?,
        )?;
    }
    Ok(())
}

/// Writes `count` deployments on `network`, one ledger each past the indexer's checkpoint.
async fn deploy(url: &str, network: Network, count: u32) -> anyhow::Result<()> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .context("connecting to the database")?;
    let checkpoint: Option<i64> = sqlx::query_scalar!(
        "SELECT last_ledger FROM indexer_cursors WHERE network = $1",
        network as Network,
    )
    .fetch_optional(&pool)
    .await?;
    let wasm: Option<Vec<u8>> = sqlx::query_scalar!(
        "SELECT w.hash FROM contracts c JOIN wasm_codes w ON w.pk = c.wasm_pk \
         WHERE c.network = $1 AND w.abi IS NOT NULL \
         GROUP BY w.hash ORDER BY count(*) DESC, w.hash LIMIT 1",
        network as Network,
    )
    .fetch_optional(&pool)
    .await?;
    let wasm = wasm
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
        .with_context(|| {
            format!("no WASM contract on {network} to copy: seed the registry first")
        })?;
    let first = u32::try_from(checkpoint.unwrap_or(0) + 1).context("ledger out of range")?;
    for seq in first..first + count {
        let contract = ContractId(rand::random());
        let ledger = IndexedLedger {
            seq,
            hash: rand::random(),
            close_time: Utc::now(),
            changes: vec![Change::ContractDeployed {
                contract,
                executable: Executable::wasm(WasmHash(wasm)),
                asset: None,
                deployer: None,
                at: At {
                    tx: rand::random(),
                    tx_index: 1,
                    op_index: 0,
                },
                constructor_args: None,
            }],
        };
        write_batch(
            &pool,
            network,
            &[ledger],
            &Default::default(),
            &Default::default(),
            registry_indexer::store::Target::Live {
                network_latest: seq,
            },
        )
        .await?;
        println!("{contract}");
    }
    Ok(())
}
