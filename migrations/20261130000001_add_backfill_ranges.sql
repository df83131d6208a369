-- Backfill from SEP-54 ledger archives: the ranges a backfill writes, each with its own
-- checkpoint, disjoint from each other and from what the live indexer writes.

-- The first ledger the live indexer wrote on a network: a backfill must end before it. Rows
-- of an older indexer did not record it; the lowest ledger anything was recorded at stands in
-- (the live indexer wrote nothing before it).
ALTER TABLE indexer_cursors ADD COLUMN first_ledger bigint CHECK (first_ledger >= 0);
UPDATE indexer_cursors ic SET first_ledger = least(
    ic.last_ledger,
    (SELECT min(c.created_ledger) FROM contracts c WHERE c.network = ic.network),
    (SELECT min(w.first_seen_ledger) FROM wasm_codes w WHERE w.first_seen_network = ic.network));

-- One row per range a backfill (or one part of it) writes; `next_ledger` is its checkpoint.
CREATE TABLE backfill_ranges (
    network      network NOT NULL,
    first_ledger bigint NOT NULL CHECK (first_ledger >= 2),
    last_ledger  bigint NOT NULL,
    next_ledger  bigint NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network, first_ledger),
    CHECK (first_ledger <= last_ledger),
    CHECK (next_ledger BETWEEN first_ledger AND last_ledger + 1)
);

-- A backfilled batch is announced by one summary event, not one per contract.
ALTER TABLE registry_events DROP CONSTRAINT registry_events_kind_check;
ALTER TABLE registry_events ADD CONSTRAINT registry_events_kind_check
    CHECK (kind IN ('contract_deployed', 'contract_upgraded', 'ledger_indexed',
                    'contract_claimed', 'contract_released', 'contract_verified',
                    'ledgers_backfilled'));
