-- What the indexer needs beyond the core tables.

-- Constructor arguments of a direct deployment (stellar-xdr JSON of the ScVals).
ALTER TABLE contracts ADD COLUMN constructor_args jsonb;
-- A contract first seen through its activity (deployed before the indexer's first ledger):
-- its creation facts are those of the first ledger it was seen in.
ALTER TABLE contracts ADD COLUMN deployed_before_indexing boolean NOT NULL DEFAULT false;
-- Its executable or code still has to be read with getLedgerEntries (retried until it works).
ALTER TABLE contracts ADD COLUMN needs_backfill boolean NOT NULL DEFAULT false;
ALTER TABLE contracts ADD COLUMN backfill_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE contracts ADD COLUMN backfill_error text;
CREATE INDEX contracts_needs_backfill_idx ON contracts (network, pk) WHERE needs_backfill;

-- Callers seen per contract and day, so distinct_callers counts each caller once per day
-- however many batches it spans.
CREATE TABLE contract_daily_callers (
    contract_pk bigint NOT NULL REFERENCES contracts (pk) ON DELETE CASCADE,
    day         date NOT NULL,
    caller      text NOT NULL,
    PRIMARY KEY (contract_pk, day, caller)
);

-- Ledgers the indexer could not decode after its retries: recorded, logged and counted,
-- never skipped silently. Re-indexing them needs an RPC that serves them intact.
CREATE TABLE skipped_ledgers (
    network    network NOT NULL,
    ledger     bigint NOT NULL,
    error      text NOT NULL,
    skipped_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network, ledger)
);

CREATE INDEX registry_events_network_kind_idx ON registry_events (network, kind, id);
