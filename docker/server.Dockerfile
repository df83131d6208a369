# syntax=docker/dockerfile:1.7
# registry-server: the GraphQL API and the web explorer's built files.
#
#   docker build -f docker/server.Dockerfile -t soroban-registry/server .
#   docker run -e DATABASE_URL=postgres://… -p 3001:3001 soroban-registry/server
#
# Build from the repository root (the context needs the whole workspace: the migrations are
# embedded at compile time and web/ builds against schema.graphql).

ARG RUST_VERSION=1.95
ARG NODE_VERSION=22

# --- the web explorer (web/dist) ------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS web
WORKDIR /src
# web/ generates its GraphQL types from the committed SDL one level up.
COPY schema.graphql ./
COPY web/package.json web/package-lock.json web/
RUN cd web && npm ci --no-audit --no-fund
COPY web/ web/
RUN cd web && npm run build

# --- the binary ------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
# The static queries are checked at compile time against the metadata committed in .sqlx/;
# offline mode makes the build read it, with no database in reach.
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p registry-server \
    && mkdir -p /out && cp target/release/registry-server /out/

# --- a static wget for the health check (distroless has no shell and no wget) --------------
FROM busybox:1.37-musl AS busybox

# --- runtime ---------------------------------------------------------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=busybox /bin/busybox /usr/local/bin/wget
COPY --from=builder /out/registry-server /usr/local/bin/registry-server
COPY --from=web /src/web/dist /app/web
WORKDIR /app
# Listen on every interface inside the container; logs as JSON for the log shipper.
ENV HOST=0.0.0.0 \
    PORT=3001 \
    ADMIN_PORT=9102 \
    WEB_DIR=/app/web \
    LOG_FORMAT=json \
    RUST_LOG=info
USER nonroot
EXPOSE 3001 9102
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/wget", "-q", "-T", "2", "-O", "/dev/null", "http://127.0.0.1:9102/health"]
ENTRYPOINT ["/usr/local/bin/registry-server"]
