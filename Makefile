# Soroban Registry. `make run` and `make test` do all the set-up on a fresh machine.
# Without DATABASE_URL, a private PostgreSQL cluster is started under .data/ (scripts/db-up);
# `make test` without REDIS_URL starts a private Redis there too (scripts/redis-up).

SHELL := /bin/bash
CARGO ?= cargo
DB_URL = $$(scripts/database-url registry)

.PHONY: run demo web web-dist release run-server migrate seed db-up db-down test lint sqlx-prepare fmt schema bench fuzz deny snapshots clean-db tools

## run: migrate, then run the indexer (STELLAR_NETWORK, default testnet), the build verifier and the API on PORT (3001)
run: tools release web-dist
	@scripts/run-stack

## demo: the whole system on a simulated local network (no internet needed)
demo: tools release web-dist
	@scripts/run-stack demo

## web: build the web explorer into web/dist (served by the API server at /)
web:
	@cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

# The explorer, built only when missing.
web-dist:
	@[[ -f web/dist/index.html ]] || $(MAKE) --no-print-directory web

release:
	$(CARGO) build --release -p registry-server -p registry-indexer -p registry-verifier -p registry-devtools

## run-server: serve the API only (the database must be migrated)
run-server:
	@export DATABASE_URL=$(DB_URL); $(CARGO) run --release -p registry-server

## migrate: apply migrations/ to the database
migrate:
	@export DATABASE_URL=$(DB_URL); $(CARGO) run --release -p registry-indexer -- migrate

## seed: fill the database with deterministic data (COUNT=5000 SEED=42; RESET=1 replaces existing rows)
seed: migrate
	@export DATABASE_URL=$(DB_URL); $(CARGO) run --release -p registry-devtools --bin registry-seed -- \
	  --count $${COUNT:-5000} --seed $${SEED:-42} $${RESET:+--reset}

## db-up / db-down: start or stop the private PostgreSQL cluster
db-up:
	@scripts/db-up
db-down:
	@scripts/db-up --stop

## test: the whole suite (unit, integration, end to end) against real PostgreSQL and Redis
test:
	@scripts/ensure-tools --test
	@export TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$$(scripts/db-up)}; \
	export TEST_REDIS_URL=$${TEST_REDIS_URL:-$${REDIS_URL:-$$(scripts/redis-up)}}; \
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --all-features --no-tests=warn; \
	else \
	  $(CARGO) test --workspace --all-features; \
	fi && \
	scripts/test-web

## lint: formatting, clippy (warnings are errors), and the checked queries' metadata (.sqlx/)
lint: tools
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	@scripts/sqlx-check

## sqlx-prepare: rewrite .sqlx/ after a checked query or a migration changed
sqlx-prepare:
	@scripts/sqlx-check --prepare

fmt:
	$(CARGO) fmt --all

## schema: regenerate schema.graphql from the server's code
schema:
	$(CARGO) run -q -p registry-server -- --print-schema > schema.graphql

## snapshots: review changed insta snapshots
snapshots:
	INSTA_UPDATE=always $(MAKE) test || true
	@echo "review the *.snap.new files, then move them over the .snap files"

## fuzz: coverage-guided fuzzing of the spec decoder and the ABI model (FUZZ_SECONDS=600)
fuzz:
	@scripts/fuzz

## bench: whole-system load benchmarks (see benches/README.md)
bench: tools
	benches/run

## tools: install what the build and tests need and the machine lacks
tools:
	@scripts/ensure-tools
