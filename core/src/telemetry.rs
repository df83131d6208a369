//! One tracing setup for every binary: `RUST_LOG` filters the log lines, `LOG_FORMAT` picks
//! `text` (the default, for people) or `json` (one object per line, for log shippers), and
//! with `OTLP_ENDPOINT` set, spans are exported as OpenTelemetry traces over OTLP/HTTP, under
//! the binary's `service.name` (`OTEL_SERVICE_NAME` overrides its default).
//!
//! Two layers on one registry, each with its own filter:
//!
//! - the log layer, filtered by `RUST_LOG`;
//! - the trace layer (only with an endpoint), which takes the spans of the registry's own
//!   crates down to DEBUG (the per-loader and per-statement spans are DEBUG, so they cost
//!   nothing when nothing exports them) and nothing from other crates: in particular not the
//!   HTTP client's own spans, which would otherwise trace the export of traces.
//!
//! Span names: a span's `otel.name` field, when it has one, names the exported span (for
//! example `query Contracts` for a GraphQL operation). With tracing on, JSON log lines carry
//! `trace_id` and `span_id`, so a line leads to its trace and back.
//!
//! Export: spans are batched by the SDK's processor on its own thread and POSTed (protobuf) to
//! `<OTLP_ENDPOINT>/v1/traces` with the process's tokio runtime; [`Telemetry::shutdown`]
//! sends what is left before the process exits.

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::dispatcher::WeakDispatch;
use tracing::{Dispatch, Level, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, filter::Targets};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" | "pretty" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("unknown log format {s:?}")),
        }
    }
}

/// What [`install`] sets up.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// `LOG_FORMAT`.
    pub format: LogFormat,
    /// `RUST_LOG` (or the binary's default).
    pub filter: &'a str,
    /// The `service.name` of the exported spans: `soroban-registry-api`,
    /// `soroban-registry-indexer`, `soroban-registry-verifier` unless `OTEL_SERVICE_NAME` says
    /// otherwise (each binary's `Config` reads it: see [`crate::env::Env::service_name`]).
    pub service: &'a str,
    /// `OTLP_ENDPOINT`: the collector's OTLP/HTTP base URL (`http://jaeger:4318`), or its
    /// full traces URL (ending in `/v1/traces`). None: no traces are exported.
    pub otlp_endpoint: Option<&'a str>,
}

/// Why tracing could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter refused its configuration (a malformed endpoint).
    #[error("OTLP_ENDPOINT: {0}")]
    Exporter(String),
    /// Export needs a tokio runtime to send its requests on.
    #[error("OTLP export needs a tokio runtime: call install from within one")]
    NoRuntime,
}

/// The installed trace export; [`Telemetry::shutdown`] flushes it. Dropping it without a
/// shutdown loses the spans of the last batch interval.
#[derive(Debug, Default)]
#[must_use = "call shutdown() before the process exits, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports the spans still buffered (waiting at most a few seconds for the collector)
    /// and stops the exporter. Call it once the work is done, before the process exits.
    pub async fn shutdown(self) {
        if let Some(provider) = self.provider {
            // The SDK blocks its caller while it exports through the runtime, so not on a
            // runtime thread.
            // Shutting down exports what is queued; bounded, so an unreachable collector
            // cannot hold the process past its grace period.
            let _ = tokio::task::spawn_blocking(move || {
                provider.shutdown_with_timeout(Duration::from_secs(5))
            })
            .await;
        }
    }
}

/// The process's dispatcher, for looking up the OpenTelemetry context of a span (the log
/// formatter runs inside the dispatcher, where the default one cannot be borrowed again).
static DISPATCH: OnceLock<WeakDispatch> = OnceLock::new();

/// Installs the global subscriber for logs only. `filter` is the `RUST_LOG` value (or the
/// binary's default). Calling it twice is harmless: the second call does nothing.
pub fn init(format: LogFormat, filter: &str) {
    let _ = install(Options {
        format,
        filter,
        service: "registry",
        otlp_endpoint: None,
    });
}

/// Installs the global subscriber: logs, and with an endpoint, trace export. If a subscriber
/// is already installed (tests), this one is not, and no spans are exported.
pub fn install(opts: Options<'_>) -> Result<Telemetry, TelemetryError> {
    let filter = EnvFilter::try_new(opts.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match opts.format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .fmt_fields(JsonFields::new())
            .event_format(WithTraceIds(
                tracing_subscriber::fmt::format()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            ))
            .with_filter(filter)
            .boxed(),
    };
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![logs];
    let mut telemetry = Telemetry::default();
    if let Some(endpoint) = opts.otlp_endpoint.filter(|e| !e.is_empty()) {
        let provider = provider(endpoint, opts.service)?;
        let tracer = provider.tracer(opts.service.to_owned());
        let ours = Targets::new()
            .with_target("registry_server", Level::DEBUG)
            .with_target("registry_indexer", Level::DEBUG)
            .with_target("registry_verifier", Level::DEBUG)
            .with_target("registry_core", Level::DEBUG);
        layers.push(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(ours)
                .boxed(),
        );
        telemetry.provider = Some(provider);
    }
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layers));
    let weak = dispatch.downgrade();
    if dispatch.try_init().is_err() {
        // Another subscriber was installed first: ours receives nothing, export nothing.
        if let Some(provider) = telemetry.provider.take() {
            let _ = provider.shutdown();
        }
        return Ok(telemetry);
    }
    let _ = DISPATCH.set(weak);
    Ok(telemetry)
}

/// The OpenTelemetry trace id (32 hex digits) of the current span, when spans are exported.
pub fn current_trace_id() -> Option<String> {
    let span = tracing::Span::current();
    let id = span.id()?;
    let dispatch = DISPATCH.get()?.upgrade()?;
    ids_of(&id, &dispatch).map(|(trace, _)| trace)
}

/// The valid trace and span ids of span `id`, if the trace layer knows it.
fn ids_of(id: &tracing::span::Id, dispatch: &Dispatch) -> Option<(String, String)> {
    let cx = tracing_opentelemetry::get_otel_context(id, dispatch)?;
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}

fn provider(endpoint: &str, service: &str) -> Result<SdkTracerProvider, TelemetryError> {
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};

    let runtime = tokio::runtime::Handle::try_current().map_err(|_| TelemetryError::NoRuntime)?;
    let endpoint = endpoint.trim_end_matches('/');
    let url = if endpoint.ends_with("/v1/traces") {
        endpoint.to_owned()
    } else {
        format!("{endpoint}/v1/traces")
    };
    let client = TokioClient {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?,
        runtime,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_endpoint(url)
        .with_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
    // The builder's detectors add OTEL_RESOURCE_ATTRIBUTES' other attributes; the name is the
    // one the binary's configuration resolved (which already honours both variables).
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service.to_owned())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// The exporter's HTTP client: the workspace's reqwest, run on the process's tokio runtime
/// (the SDK's batch processor awaits it from its own thread, which has no runtime).
#[derive(Debug)]
struct TokioClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for TokioClient {
    async fn send_bytes(
        &self,
        request: opentelemetry_http::Request<bytes::Bytes>,
    ) -> Result<opentelemetry_http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let client = self.client.clone();
        let task = self.runtime.spawn(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = client.execute(request).await?;
            let mut out = opentelemetry_http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                out = out.header(name, value);
            }
            let body = response.bytes().await?;
            Ok::<_, opentelemetry_http::HttpError>(out.body(body)?)
        });
        task.await?
    }
}

/// A JSON event format that adds `trace_id` and `span_id` (of the innermost exported span)
/// in front of the inner format's fields.
struct WithTraceIds<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let ids = DISPATCH
            .get()
            .and_then(WeakDispatch::upgrade)
            .and_then(|dispatch| {
                ctx.lookup_current()?
                    .scope()
                    .find_map(|span| ids_of(&span.id(), &dispatch))
            });
        let Some((trace_id, span_id)) = ids else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => write!(
                writer,
                "{{\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\",{rest}"
            ),
            None => writer.write_str(&line),
        }
    }
}
