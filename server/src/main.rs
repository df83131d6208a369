//! `registry-server`: serves the registry's GraphQL API.
//!
//! Run: `DATABASE_URL=postgres://… registry-server` (or `make run`). Every variable is listed
//! in `.env.example`. `registry-server --print-schema` prints the SDL (`make schema`);
//! `registry-server --new-signing-key` prints a fresh secret seed for `AUTH_SIGNING_KEY`.

use registry_core::env::Env;
use registry_core::telemetry::{self, LogFormat};
use registry_server::{App, Config};

/// mimalloc: the server allocates many small, short-lived values per request (GraphQL values,
/// futures); glibc malloc spent a quarter of the CPU on them under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages off for this process. mimalloc asks the kernel for huge pages on its
/// arena (`madvise`), and a 2 MiB page is resident as soon as one byte of it is touched: under
/// 32 concurrent answers the server's high-water mark was 73-74 MB with them and 70 MB after
/// this call, 28 MB against 22 MB idle, for the same requests per second (benches/README.md).
/// Pages faulted in before it (the runtime's start) stay as they are.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("registry-server: transparent huge pages stay on: {e}");
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    disable_transparent_huge_pages();
    if std::env::args().any(|a| a == "--print-schema") {
        print!("{}", registry_server::schema::sdl());
        return Ok(());
    }
    if std::env::args().any(|a| a == "--new-signing-key") {
        println!(
            "{}",
            registry_server::auth::sep10::ServerKey::generate().seed()
        );
        return Ok(());
    }
    let _ = dotenvy::dotenv();
    let mut env = Env::from_process();
    let config = Config::from_env(&mut env);
    if let Err(problems) = env.finish() {
        eprintln!("registry-server: invalid configuration:\n{problems}");
        std::process::exit(2);
    }
    let config = config?;
    let telemetry = telemetry::install(telemetry::Options {
        format: config.log_format.parse().unwrap_or(LogFormat::Text),
        filter: &config.log_filter,
        service: &config.service_name,
        otlp_endpoint: config.otlp_endpoint.as_deref(),
    })?;
    tracing::info!(database = %config.database_url.redacted_url(), listen = %config.listen, traces = telemetry.exporting(), "starting registry-server");
    let app = App::build(config).await?;
    tracing::info!(
        port = app.port(),
        admin_port = app.admin_port(),
        "listening on port {} (operators: /metrics, /ready on port {})",
        app.port(),
        app.admin_port()
    );
    let result = app.run(registry_core::signal::shutdown()).await;
    telemetry.shutdown().await;
    Ok(result?)
}
