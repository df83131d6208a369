-- A backfill range's current (or last) run: when it started and the range's checkpoint then,
-- so that its rate and the time left can be served (`analytics.indexerStatus`).
ALTER TABLE backfill_ranges
    ADD COLUMN run_started_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN run_first_ledger bigint;
UPDATE backfill_ranges SET run_started_at = started_at, run_first_ledger = first_ledger;
ALTER TABLE backfill_ranges ALTER COLUMN run_first_ledger SET NOT NULL;
