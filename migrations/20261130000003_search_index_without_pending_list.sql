-- The search index takes each new document at once. With GIN's pending list (`fastupdate`,
-- PostgreSQL's default) new documents wait in an unsorted list that every search reads in full
-- until a vacuum merges it; after a burst of deployments or a seed, searches of common words
-- were several times slower, and the planner, costing that list, read the whole table instead.
-- The indexer writes a few contracts per ledger, so the cost moves to writes that can afford it.
ALTER INDEX contracts_search_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('contracts_search_idx'::regclass);
