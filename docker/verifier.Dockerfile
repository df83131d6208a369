# syntax=docker/dockerfile:1.7
# registry-verifier: SEP-55 build verification (GitHub build attestations checked against
# Sigstore); works the verification queue in the registry's database.
#
#   docker build -f docker/verifier.Dockerfile -t soroban-registry/verifier .
#   docker run -e DATABASE_URL=postgres://… soroban-registry/verifier
#
# Build from the repository root (the Sigstore trust root is embedded at compile
# time).

ARG RUST_VERSION=1.95

# --- the binary ------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
# The static queries are checked at compile time against the metadata committed in .sqlx/;
# offline mode makes the build read it, with no database in reach.
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p registry-verifier --bin registry-verifier \
    && mkdir -p /out && cp target/release/registry-verifier /out/

# --- a static wget for the health check (distroless has no shell and no wget) --------------
FROM busybox:1.37-musl AS busybox

# --- runtime ---------------------------------------------------------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=busybox /bin/busybox /usr/local/bin/wget
COPY --from=builder /out/registry-verifier /usr/local/bin/registry-verifier
WORKDIR /app
# /metrics and /health on every interface inside the container, so Prometheus can scrape it;
# logs as JSON for the log shipper.
ENV VERIFIER_METRICS_HOST=0.0.0.0 \
    VERIFIER_METRICS_PORT=9103 \
    LOG_FORMAT=json \
    RUST_LOG=info
USER nonroot
EXPOSE 9103
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/wget", "-q", "-T", "2", "-O", "/dev/null", "http://127.0.0.1:9103/health"]
ENTRYPOINT ["/usr/local/bin/registry-verifier"]
