//! `registry-verifier`: works the build-verification queue until stopped.
//!
//! Run with `DATABASE_URL` set (see `.env.example`); `VERIFIER_GITHUB_TOKEN` raises GitHub's
//! rate limit.

use registry_core::env::Env;
use registry_core::telemetry::{self, LogFormat};
use registry_verifier::config::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    if std::env::args()
        .nth(1)
        .is_some_and(|a| a == "--help" || a == "-h")
    {
        println!(
            "registry-verifier: SEP-55 build verification of the registry's WASMs\n\n\
             Takes jobs from the verification_jobs queue, checks each WASM's GitHub build\n\
             attestation (Sigstore bundle, certificate identity, transparency log, SLSA\n\
             provenance) and records the verdict. Configured by the environment: see\n\
             .env.example (DATABASE_URL, VERIFIER_*)."
        );
        return Ok(());
    }
    let mut env = Env::from_process();
    let config = Config::from_env(&mut env);
    if let Err(problems) = env.finish() {
        eprintln!("registry-verifier: invalid configuration:\n{problems}");
        std::process::exit(2);
    }
    let config = config?;
    let format = config.log_format.parse().unwrap_or(LogFormat::Text);
    let telemetry = telemetry::install(telemetry::Options {
        format,
        filter: &config.log_filter,
        service: &config.service_name,
        otlp_endpoint: config.otlp_endpoint.as_deref(),
    })?;
    let metrics = registry_core::metrics_endpoint::serve(config.metrics_addr).await?;
    let worker = match registry_verifier::worker(&config).await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!("registry-verifier cannot start: {e}");
            eprintln!("registry-verifier: {e}");
            std::process::exit(1);
        }
    };
    tracing::info!(metrics = %metrics, github = %config.github_api_url, "starting registry-verifier");
    worker.run(registry_core::signal::shutdown()).await;
    telemetry.shutdown().await;
    Ok(())
}
