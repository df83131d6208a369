# syntax=docker/dockerfile:1.7
# registry-indexer: follows one Stellar network and fills the registry; also the image of the
# one-off migrate job (`registry-indexer migrate`).
#
#   docker build -f docker/indexer.Dockerfile -t soroban-registry/indexer .
#   docker run -e DATABASE_URL=postgres://… -e STELLAR_NETWORK=testnet soroban-registry/indexer
#   docker run -e DATABASE_URL=postgres://… soroban-registry/indexer migrate
#
# Build from the repository root (the migrations and the spec fixtures are embedded at
# compile time).

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
    cargo build --release --locked -p registry-indexer --bin registry-indexer \
    && mkdir -p /out && cp target/release/registry-indexer /out/

# --- a static wget for the health check (distroless has no shell and no wget) --------------
FROM busybox:1.37-musl AS busybox

# --- runtime ---------------------------------------------------------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=busybox /bin/busybox /usr/local/bin/wget
COPY --from=builder /out/registry-indexer /usr/local/bin/registry-indexer
WORKDIR /app
# /metrics and /health on every interface inside the container, so Prometheus can scrape it;
# logs as JSON for the log shipper.
ENV INDEXER_METRICS_HOST=0.0.0.0 \
    INDEXER_METRICS_PORT=9101 \
    LOG_FORMAT=json \
    RUST_LOG=info
USER nonroot
EXPOSE 9101
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/wget", "-q", "-T", "2", "-O", "/dev/null", "http://127.0.0.1:9101/health"]
ENTRYPOINT ["/usr/local/bin/registry-indexer"]
CMD ["run"]
