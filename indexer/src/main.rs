//! `registry-indexer`: follows one Stellar network through its RPC and fills the registry.
//!
//! Run: `registry-indexer` (or `registry-indexer run`) with `DATABASE_URL` and
//! `STELLAR_NETWORK` set (see `.env.example`). Other commands: `migrate` (`migrate status`
//! reports the schema's history without changing it), `retag`,
//! `spec FILE.wasm [--abi]`, `inspect-tx` / `inspect-ledger` (what the registry makes of a
//! transaction or a ledger).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use registry_core::Network;
use registry_core::env::Env;
use registry_core::telemetry::{self, LogFormat};
use registry_indexer::config::Config;
use registry_indexer::pipeline::Indexer;

#[derive(Parser)]
#[command(name = "registry-indexer", about = "Soroban Registry indexer")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Follow the network and index it (the default).
    Run,
    /// Apply pending database migrations to DATABASE_URL (`migrate status` reports them).
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateCommand>,
    },
    /// Re-apply the auto-tag rules to every contract.
    Retag,
    /// Write the history before the live indexer's first ledger from a SEP-54 ledger archive
    /// (STELLAR_NETWORK's), through the same write path. Killed, it resumes where it stopped
    /// when run again with the same range.
    Backfill {
        /// The archive: a directory, an http(s):// URL, or s3://bucket/prefix (read anonymously).
        #[arg(long = "from")]
        source: String,
        /// The first ledger of the range.
        #[arg(long)]
        start: u32,
        /// The last ledger of the range (before the live indexer's first).
        #[arg(long)]
        end: u32,
        /// Run part K of N of the range (K/N, 1-based): N processes, on one machine or many,
        /// each with its own checkpoint.
        #[arg(long, conflicts_with = "parts")]
        part: Option<String>,
        /// Split the range into N parts and run the one `--part-index` numbers (0-based): what
        /// a Kubernetes Indexed Job runs, its pods numbered by JOB_COMPLETION_INDEX.
        #[arg(long)]
        parts: Option<u32>,
        /// With --parts: which part (0-based).
        #[arg(long, env = "JOB_COMPLETION_INDEX", requires = "parts")]
        part_index: Option<u32>,
        /// The bucket's region, for s3:// sources.
        #[arg(long, default_value = "us-east-1")]
        s3_region: String,
        /// An S3-compatible endpoint (path-style), for s3:// sources.
        #[arg(long)]
        s3_endpoint: Option<String>,
        /// Batch objects downloaded and decoded ahead (each holds `ledgersPerBatch` ledgers in
        /// memory: keep it small for large batches).
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
    },
    /// Print a WASM file's spec entries as JSON (stellar-xdr's serde form), or with --abi the
    /// registry's ABI model.
    Spec {
        /// The WASM module.
        file: PathBuf,
        /// Print the registry's ABI model instead of the raw entries.
        #[arg(long)]
        abi: bool,
    },
    /// Print, as JSON, what the registry extracts from one transaction: uploads, deployments,
    /// upgrades, invocations (with depth and caller) and events per contract. FILE (or - for
    /// stdin) holds a JSON object with base64 `tx`, `result` and `meta`, or a getTransaction
    /// response.
    InspectTx {
        /// The network the transaction is from (its id is part of contract ids and hashes).
        #[arg(long, default_value = "testnet")]
        network: Network,
        /// The file, or - for stdin.
        file: PathBuf,
    },
    /// Print, as JSON, what the registry extracts from a ledger: FILE (or -) holds a base64
    /// LedgerCloseMeta (getLedgers' metadataXdr, bare or in its JSON object) or a SEP-54 archive
    /// file (.xdr.zst).
    InspectLedger {
        /// The network the ledger is from.
        #[arg(long, default_value = "testnet")]
        network: Network,
        /// The file, or - for stdin.
        file: PathBuf,
    },
}

/// `registry-indexer migrate …`; without one, the migrations are applied.
#[derive(Subcommand)]
enum MigrateCommand {
    /// Report every migration of this binary and of DATABASE_URL's `_sqlx_migrations`:
    /// applied (and when), pending, checksum_mismatch, dirty (failed) or unknown (applied by a
    /// newer binary). Reads only: it works with the read-only role and creates nothing.
    #[command(after_help = "\
Exit status:
  0  every migration is applied and matches its file
  1  the database could not be reached or read
  2  DATABASE_URL is not set, or bad arguments
  3  migrations are pending (and nothing else is wrong): `registry-indexer migrate` applies them
  4  problems: a checksum mismatch, a dirty (failed) migration, or one unknown to this binary
     (applied by a newer release; `migrate` and `run` leave those and go on, the others stop
     them until resolved) (wins over 3)")]
    Status {
        /// Print JSON instead of a table: {"status": "current"|"pending"|"problems",
        /// "exit_code", "counts": {state: n}, "migrations": [{"version", "description",
        /// "state", "known", "applied_at"}]}.
        #[arg(long)]
        json: bool,
    },
}

/// `registry-indexer migrate status`: prints the report and exits with its status.
async fn migrate_status(json: bool) -> ! {
    use registry_indexer::migrate;
    let url = database_url();
    let mut conn = match migrate::connect_read_only(&url).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("registry-indexer migrate status: cannot connect to the database: {e}");
            std::process::exit(1);
        }
    };
    let status = match migrate::status(&mut conn).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("registry-indexer migrate status: cannot read _sqlx_migrations: {e}");
            std::process::exit(1);
        }
    };
    if json {
        println!("{:#}", status.to_json());
    } else {
        print!("{}", status.to_table());
    }
    std::process::exit(status.exit_code());
}

/// The bytes of FILE, or of stdin for `-`.
fn read_input(file: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut out)?;
    } else {
        out = std::fs::read(file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    }
    Ok(out)
}

fn database_url() -> String {
    match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(u) => u,
        None => {
            eprintln!("registry-indexer: DATABASE_URL is not set: expected a postgres:// URL");
            std::process::exit(2);
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn backfill(
    config: &Config,
    source: &str,
    start: u32,
    end: u32,
    part: Option<&str>,
    s3_region: String,
    s3_endpoint: Option<String>,
    concurrency: usize,
) -> Result<(), String> {
    use registry_indexer::archive::{Reader, S3Options, Source};
    use registry_indexer::history::{self, Plan};
    if start < 2 || start > end {
        return Err(format!(
            "--start {start} --end {end}: expected 2 <= start <= end"
        ));
    }
    let s3 = S3Options {
        region: Some(s3_region),
        endpoint: s3_endpoint,
    };
    let source = Source::parse(source, &s3)?;
    let reader = Reader::open(source, config.network, concurrency, 5).await?;
    let (first, last) = match part {
        None => (start, end),
        Some(p) => {
            let (k, n) = p
                .split_once('/')
                .and_then(|(k, n)| Some((k.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
                .ok_or_else(|| format!("--part {p}: expected K/N, e.g. 2/8"))?;
            history::part(start, end, k, n, reader.layout.ledgers_per_batch)
                .ok_or_else(|| format!("--part {p}: no such part of {start}-{end}"))?
        }
    };
    let pool = registry_indexer::migrate::connect(config.database_url.expose(), 4)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let plan = Plan {
        network: config.network,
        first,
        last,
        batch_ledgers: config.batch_ledgers,
    };
    tracing::info!(
        first,
        last,
        "backfilling ledgers {first}-{last} of {}",
        config.network
    );
    let client = registry_indexer::rpc::Client::new(
        &config.rpc_url,
        config.rpc_timeout,
        registry_indexer::rpc::Retry {
            attempts: config.rpc_attempts,
            ..Default::default()
        },
    );
    let started = std::time::Instant::now();
    let summary = history::run(&pool, &client, &reader, &plan).await?;
    let secs = started.elapsed().as_secs_f64().max(0.001);
    println!(
        "backfilled ledgers {first}-{last} of {}: {} written now, {:.0} ledgers/s, {:.1} MB of XDR/s",
        config.network,
        summary.ledgers,
        summary.ledgers as f64 / secs,
        summary.xdr_bytes as f64 / secs / 1e6
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let format = std::env::var("LOG_FORMAT")
        .ok()
        .and_then(|f| f.parse().ok())
        .unwrap_or(LogFormat::Text);
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => {
            let mut env = Env::from_process();
            let config = Config::from_env(&mut env);
            if let Err(problems) = env.finish() {
                eprintln!("registry-indexer: invalid configuration:\n{problems}");
                std::process::exit(2);
            }
            let config = config?;
            let telemetry = telemetry::install(telemetry::Options {
                format,
                filter: &config.log_filter,
                service: &config.service_name,
                otlp_endpoint: config.otlp_endpoint.as_deref(),
            })?;
            let metrics_addr = registry_indexer::metrics::serve(config.metrics_addr).await?;
            tracing::info!(metrics = %metrics_addr, network = %config.network, rpc = %registry_core::env::redact_endpoint(&config.rpc_url), "starting registry-indexer");
            let (indexer, _lock) = match Indexer::start(config).await {
                Ok(x) => x,
                Err(e) => {
                    tracing::error!("registry-indexer cannot start: {e}");
                    eprintln!("registry-indexer: {e}");
                    std::process::exit(1);
                }
            };
            let result = indexer.run(registry_core::signal::shutdown()).await;
            telemetry.shutdown().await;
            if let Err(e) = result {
                tracing::error!("registry-indexer stopped: {e}");
                eprintln!("registry-indexer: {e}");
                std::process::exit(1);
            }
        }
        Command::Migrate {
            action: Some(MigrateCommand::Status { json }),
        } => {
            telemetry::init(format, &filter);
            migrate_status(json).await;
        }
        Command::Migrate { action: None } => {
            telemetry::init(format, &filter);
            let pool = registry_indexer::migrate::connect(&database_url(), 2).await?;
            let applied = registry_indexer::migrate::run(&pool).await?;
            registry_indexer::migrate::warn_of_newer_migrations(&pool).await;
            tracing::info!(applied, "migrations applied: {applied} new, schema current");
        }
        Command::Backfill {
            source,
            start,
            end,
            part,
            parts,
            part_index,
            s3_region,
            s3_endpoint,
            concurrency,
        } => {
            let part = match (part, parts, part_index) {
                (Some(p), _, _) => Some(p),
                (None, Some(n), Some(i)) => Some(format!("{}/{n}", i + 1)),
                (None, Some(_), None) => {
                    eprintln!(
                        "registry-indexer backfill: --parts needs --part-index (or JOB_COMPLETION_INDEX)"
                    );
                    std::process::exit(2);
                }
                (None, None, _) => None,
            };
            let mut env = Env::from_process();
            let config = Config::from_env(&mut env);
            if let Err(problems) = env.finish() {
                eprintln!("registry-indexer: invalid configuration:\n{problems}");
                std::process::exit(2);
            }
            let config = config?;
            telemetry::init(format, &filter);
            let _metrics = registry_indexer::metrics::serve(config.metrics_addr).await?;
            if let Err(e) = backfill(
                &config,
                &source,
                start,
                end,
                part.as_deref(),
                s3_region,
                s3_endpoint,
                concurrency,
            )
            .await
            {
                eprintln!("registry-indexer backfill: {e}");
                std::process::exit(1);
            }
        }
        Command::Retag => {
            telemetry::init(format, &filter);
            let pool = registry_indexer::migrate::connect(&database_url(), 2).await?;
            let changed = registry_indexer::retag(&pool).await?;
            println!("auto-tags re-applied: {changed} tag rows added or removed");
        }
        Command::Spec { file, abi } => {
            let code = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let decoded = registry_core::spec::decode_wasm(&code);
            if let Some(err) = &decoded.spec_error {
                eprintln!("registry-indexer: {}: {err}", file.display());
                if decoded.spec.is_none() {
                    std::process::exit(1);
                }
            }
            let out = if abi {
                serde_json::to_string_pretty(&decoded.spec)?
            } else {
                serde_json::to_string_pretty(&decoded.raw_spec)?
            };
            println!("{out}");
        }
        Command::InspectTx { network, file } => {
            let text = String::from_utf8(read_input(&file)?)
                .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", file.display()))?;
            match registry_indexer::inspect::inspect_tx(network, &text) {
                Ok(report) => println!("{}", serde_json::to_string_pretty(&report)?),
                Err(e) => {
                    eprintln!("registry-indexer: {}: {e}", file.display());
                    std::process::exit(1);
                }
            }
        }
        Command::InspectLedger { network, file } => {
            let bytes = read_input(&file)?;
            match registry_indexer::inspect::inspect_ledger(network, &bytes) {
                Ok(report) => println!("{}", serde_json::to_string_pretty(&report)?),
                Err(e) => {
                    eprintln!("registry-indexer: {}: {e}", file.display());
                    std::process::exit(1);
                }
            }
        }
    }
    Ok(())
}
