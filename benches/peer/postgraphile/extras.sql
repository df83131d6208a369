-- PostGraphile-only additions for the benchmark, applied to the bench database after the
-- registry's migrations (idempotent). Nothing here is used by the registry itself.

-- Query.searchContracts(q): the same semantics as the registry's `contracts(filter: {search},
-- orderBy: RELEVANCE)`: websearch_to_tsquery over contracts.search, best rank first, ties by
-- newest pk.
CREATE OR REPLACE FUNCTION search_contracts(q text) RETURNS SETOF contracts
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT c.*
    FROM contracts c
    WHERE c.search @@ websearch_to_tsquery('english', q)
    ORDER BY ts_rank(c.search, websearch_to_tsquery('english', q)) DESC, c.pk DESC
$$;

-- Subscription.contractCreated: PostGraphile's feed is a NOTIFY per inserted contract row.
CREATE OR REPLACE FUNCTION notify_contract_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('contract_created', NEW.pk::text);
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS contracts_notify_created ON contracts;
CREATE TRIGGER contracts_notify_created
    AFTER INSERT ON contracts
    FOR EACH ROW EXECUTE FUNCTION notify_contract_created();
