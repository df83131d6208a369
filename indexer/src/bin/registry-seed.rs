//! `registry-seed`: fills the registry with deterministic, realistic data.
//!
//! Run: `DATABASE_URL=… registry-seed --count 5000 --seed 42` (or `make seed`). The same
//! `--seed` and `--anchor` give the same rows. `--samples DIR` also writes variables files for
//! the benchmark queries.

use chrono::{DateTime, Timelike, Utc};
use clap::Parser;
use sqlx::Connection;

use registry_indexer::seed::{SeedOptions, seed};

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
