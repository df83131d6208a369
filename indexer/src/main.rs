//! `registry-indexer`: the registry's single writer.
//!
//! Run: `registry-indexer migrate` applies `migrations/` to `DATABASE_URL` (`make migrate`).

use clap::{Parser, Subcommand};
use registry_core::telemetry::{self, LogFormat};

#[derive(Parser)]
#[command(name = "registry-indexer", about = "Soroban Registry indexer")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending database migrations to DATABASE_URL.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    telemetry::init(
        LogFormat::Text,
        &std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
    );
    match cli.command {
        Command::Migrate => {
            let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
                eprintln!("registry-indexer: DATABASE_URL is not set: expected a postgres:// URL");
                std::process::exit(2);
            };
            let pool = registry_indexer::migrate::connect(&url, 2).await?;
            let applied = registry_indexer::migrate::run(&pool).await?;
            tracing::info!(applied, "migrations applied: {applied} new, schema current");
        }
    }
    Ok(())
}
