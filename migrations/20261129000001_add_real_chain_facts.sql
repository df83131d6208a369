-- What the real chain needs beyond the first schema: every executable change of a contract
-- (several can happen in one ledger), which version rows are observed rather than deployed,
-- the asset of a Stellar Asset Contract, nested calls counted apart from top-level ones,
-- addresses known not to be contracts, and names from the on-chain Stellar Registry.

-- Versions are ordered by ledger, then by the transaction's place in the ledger's apply order
-- (1-based; 0 for a state observed at that ledger), then by the operation. A deployment and
-- an upgrade in one ledger, or two upgrades, are distinct rows.
CREATE TYPE version_kind AS ENUM ('deployed', 'upgraded', 'observed');
ALTER TABLE contract_versions ADD COLUMN tx_index integer NOT NULL DEFAULT 0 CHECK (tx_index >= 0);
ALTER TABLE contract_versions ADD COLUMN op_index integer NOT NULL DEFAULT 0 CHECK (op_index >= 0);
ALTER TABLE contract_versions ADD COLUMN kind version_kind;
UPDATE contract_versions SET kind = CASE
    WHEN tx_hash IS NULL THEN 'observed'::version_kind
    WHEN old_wasm_pk IS NULL THEN 'deployed'::version_kind
    ELSE 'upgraded'::version_kind END;
ALTER TABLE contract_versions ALTER COLUMN kind SET NOT NULL;
ALTER TABLE contract_versions DROP CONSTRAINT contract_versions_contract_pk_ledger_key;
ALTER TABLE contract_versions ADD CONSTRAINT contract_versions_contract_pk_ledger_tx_index_op_index_key
    UNIQUE (contract_pk, ledger, tx_index, op_index);

-- A Stellar Asset Contract's asset: the asset code and its issuer's G… address; for lumens
-- the code 'native' with no issuer (an issued asset may be called 'native' too: it has an
-- issuer, and the issuer is what tells them apart).
ALTER TABLE contracts ADD COLUMN asset_code text CHECK (asset_code ~ '^[A-Za-z0-9]{1,12}$');
ALTER TABLE contracts ADD COLUMN asset_issuer text CHECK (asset_issuer ~ '^G[A-Z2-7]{55}$');
ALTER TABLE contracts ADD CONSTRAINT contracts_asset_check
    CHECK ((asset_issuer IS NULL AND (asset_code IS NULL OR asset_code = 'native'))
        OR (asset_issuer IS NOT NULL AND asset_code IS NOT NULL));
CREATE INDEX contracts_asset_code_idx ON contracts (upper(asset_code)) WHERE asset_code IS NOT NULL;

-- The name a contract is registered under in its network's root Stellar Registry.
ALTER TABLE contracts ADD COLUMN registered_name text;
CREATE UNIQUE INDEX contracts_network_registered_name_idx ON contracts (network, registered_name)
    WHERE registered_name IS NOT NULL;

-- Calls made by other contracts (depth > 0), apart from the transactions' own calls.
ALTER TABLE contract_daily_stats ADD COLUMN sub_invocations bigint NOT NULL DEFAULT 0 CHECK (sub_invocations >= 0);
ALTER TABLE contract_function_stats ADD COLUMN sub_calls bigint NOT NULL DEFAULT 0 CHECK (sub_calls >= 0);

-- Why some contractmetav0 entries were lost (the stream stopped decoding).
ALTER TABLE wasm_codes ADD COLUMN meta_error text;

-- Addresses seen in activity that getLedgerEntries showed are not deployed contracts (a
-- Stellar Asset Contract address of an asset whose contract nobody deployed, a failed call
-- naming an unknown contract). A deployment of one removes its row.
CREATE TABLE absent_contracts (
    network        network NOT NULL,
    contract_id    text NOT NULL CHECK (contract_id ~ '^C[A-Z2-7]{55}$'),
    checked_ledger bigint NOT NULL,
    checked_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network, contract_id)
);

-- WASMs published in a root Stellar Registry: a name and version naming a hash.
CREATE TABLE registry_releases (
    network   network NOT NULL,
    name      text NOT NULL,
    version   text NOT NULL,
    wasm_pk   bigint NOT NULL REFERENCES wasm_codes (pk),
    author    text,
    ledger    bigint NOT NULL,
    PRIMARY KEY (network, name, version)
);
CREATE INDEX registry_releases_wasm_pk_idx ON registry_releases (wasm_pk);

-- Retries of a WASM whose bytes the RPC could not serve (archived code): spaced out, and
-- given up after a few; a later restore in the chain brings the bytes anyway.
ALTER TABLE wasm_codes ADD COLUMN fetch_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX wasm_codes_missing_code_idx ON wasm_codes (fetch_attempts, pk) WHERE code IS NULL;

-- Deleting a contract (a row an older indexer made at an address with no contract) cascades
-- to its events.
CREATE INDEX registry_events_contract_pk_idx ON registry_events (contract_pk);

-- The search document also holds a Stellar Asset Contract's asset code and issuer, and the
-- registered name (hyphens read as spaces too), at the weight of a name. The trigger passes
-- them from the row (a BEFORE INSERT trigger cannot read the row back from the table).
CREATE FUNCTION contract_search_document(c_pk bigint, c_name text, c_description text, c_wasm_pk bigint,
                                         c_names text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('english', coalesce(c_name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(c_names, '')), 'A')
        || setweight(to_tsvector('english', coalesce((
               SELECT string_agg(replace(t.name, '-', ' '), ' ')
               FROM contract_tags ct JOIN tags t ON t.pk = ct.tag_pk
               WHERE ct.contract_pk = c_pk), '')), 'B')
        || setweight(to_tsvector('english', coalesce((
               SELECT array_to_string(w.function_names, ' ') || ' ' ||
                      replace(array_to_string(w.function_names, ' '), '_', ' ')
               FROM wasm_codes w WHERE w.pk = c_wasm_pk), '')), 'B')
        || setweight(to_tsvector('english', coalesce(c_description, '')), 'C')
$$;

-- The names a contract is searched by besides its display name.
CREATE FUNCTION contract_search_names(asset_code text, asset_issuer text, registered_name text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(' ', asset_code, asset_issuer, registered_name, replace(registered_name, '-', ' '))
$$;

CREATE OR REPLACE FUNCTION contracts_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := contract_search_document(NEW.pk, NEW.name, NEW.description, NEW.wasm_pk,
        contract_search_names(NEW.asset_code, NEW.asset_issuer, NEW.registered_name));
    RETURN NEW;
END
$$;

DROP TRIGGER contracts_search_refresh ON contracts;
CREATE TRIGGER contracts_search_refresh
    BEFORE INSERT OR UPDATE OF name, description, wasm_pk, asset_code, asset_issuer, registered_name ON contracts
    FOR EACH ROW EXECUTE FUNCTION contracts_search_refresh();

CREATE OR REPLACE FUNCTION contract_tags_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contracts SET search = contract_search_document(pk, name, description, wasm_pk,
        contract_search_names(asset_code, asset_issuer, registered_name))
    WHERE pk = CASE WHEN TG_OP = 'DELETE' THEN OLD.contract_pk ELSE NEW.contract_pk END;
    RETURN NULL;
END
$$;

DROP FUNCTION contract_search_document(bigint, text, text, bigint);

-- What the indexer of each network is doing, for the explorer's home page and operators:
-- following the network, catching up, unable to reach its RPC (and retrying), or stopped
-- with a reason. Written on each change of state; a row without a cursor is an indexer that
-- has not written a ledger yet.
CREATE TABLE indexer_states (
    network    network PRIMARY KEY,
    state      text NOT NULL CHECK (state IN ('starting', 'catching_up', 'following', 'rpc_unreachable', 'retrying', 'stopped')),
    rpc_url    text NOT NULL,
    detail     text,
    since      timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
