-- The rank of every word of every contract's search document, so that a search for one word
-- reads its best matches in rank order and stops after a page, instead of ranking every match
-- (a common word matches thousands of contracts). `rank` is `ts_rank(search, term::tsquery)`,
-- the very value a one-word search ranks by, so both give the same order; searches of several
-- words still rank their matches. `term` is the word as a one-word query's text ('token'),
-- which is what `websearch_to_tsquery(…)::text` gives for a one-word search (the word is
-- quoted for tsquery's input, backslashes and quotes escaped, so it reads back as itself).
CREATE TABLE contract_search_ranks (
    contract_pk bigint NOT NULL REFERENCES contracts (pk) ON DELETE CASCADE,
    term        text NOT NULL,
    rank        real NOT NULL,
    PRIMARY KEY (contract_pk, term)
);
CREATE INDEX contract_search_ranks_term_rank_idx ON contract_search_ranks (term, rank DESC, contract_pk DESC);

-- The rows of one contract's document.
CREATE FUNCTION contract_search_terms(doc tsvector)
RETURNS TABLE (term text, rank real) LANGUAGE sql IMMUTABLE AS $$
    SELECT t.term, ts_rank(doc, t.term::tsquery)
    FROM (SELECT DISTINCT ('''' || replace(replace(w, '\', '\\'), '''', '''''') || '''')::tsquery::text AS term
          FROM unnest(tsvector_to_array(doc)) AS w) t
$$;

-- Kept with the document: on insert, and whenever an update changes it (a name, a
-- description, its WASM's functions, a tag).
CREATE FUNCTION contract_search_ranks_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM contract_search_ranks WHERE contract_pk = NEW.pk;
    END IF;
    INSERT INTO contract_search_ranks (contract_pk, term, rank)
    SELECT NEW.pk, t.term, t.rank FROM contract_search_terms(NEW.search) t;
    RETURN NULL;
END
$$;

CREATE TRIGGER contract_search_ranks_insert
    AFTER INSERT ON contracts
    FOR EACH ROW EXECUTE FUNCTION contract_search_ranks_refresh();
CREATE TRIGGER contract_search_ranks_update
    AFTER UPDATE ON contracts
    FOR EACH ROW WHEN (OLD.search IS DISTINCT FROM NEW.search)
    EXECUTE FUNCTION contract_search_ranks_refresh();

INSERT INTO contract_search_ranks (contract_pk, term, rank)
SELECT c.pk, t.term, t.rank FROM contracts c CROSS JOIN LATERAL contract_search_terms(c.search) t;
