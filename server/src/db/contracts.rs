//! Contracts: lookups, filtered keyset pages and counts.
//!
//! Pages are keyset pages over `(sort expression, pk)`, in the direction of the ordering (or
//! its reverse, for `last`/`before`); the sort expressions match the indexes of the migration.
//! Nested lists (a publisher's, a wasm's or a tag's contracts) run the same page once for many
//! parents with `unnest … CROSS JOIN LATERAL`, so a nested list costs one statement however
//! many parents it has.

use chrono::{DateTime, NaiveDate, Utc};
use registry_core::spec::sac::stellar_asset_spec;
use registry_core::{
    AccountId, ContractId, ContractKind, ContractPk, Network, PublisherPk, VerificationStatus,
    WasmHash, WasmPk,
};
use sqlx::postgres::PgRow;
use sqlx::{Column, FromRow, Postgres, QueryBuilder, Row};

use super::Db;
use crate::error::Result;

/// The columns of a contract as the API needs them, with the wasm's hash and size and the
/// publisher's address and name joined in (they are shown in nearly every list).
#[derive(Debug, Clone)]
pub struct ContractRow {
    pub pk: ContractPk,
    pub network: Network,
    pub contract_id: ContractId,
    pub kind: ContractKind,
    pub wasm_pk: Option<WasmPk>,
    pub wasm_hash: Option<WasmHash>,
    pub wasm_size: Option<i32>,
    pub deployer: Option<String>,
    pub created_ledger: i64,
    pub created_at: DateTime<Utc>,
    pub created_tx: Option<Vec<u8>>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub publisher_pk: Option<PublisherPk>,
    pub publisher_address: Option<AccountId>,
    pub publisher_name: Option<String>,
    pub verification: VerificationStatus,
    pub asset_code: Option<String>,
    pub asset_issuer: Option<String>,
    pub registered_name: Option<String>,
    /// The value the page was sorted by (only on page queries).
    pub sort_at: Option<DateTime<Utc>>,
    pub sort_text: Option<String>,
    pub sort_num: Option<i64>,
    pub sort_rank: Option<f32>,
    /// The parent a nested page row belongs to (only on scoped page queries).
    pub scope_key: Option<i64>,
}

/// The columns of a page's rows, in the order `ContractRow::from_row` reads them; then the
/// sort value (named by [`sort_expr`]) and, on scoped pages, `scope_key`.
const PAGE_COLUMNS: &str = "x.pk, x.network, x.contract_id, x.kind, x.wasm_pk, w.hash AS wasm_hash, \
     w.size_bytes AS wasm_size, x.deployer, x.created_ledger, x.created_at, x.created_tx, x.name, x.description, \
     x.publisher_pk, p.address AS publisher_address, p.display_name AS publisher_name, x.verification, \
     x.asset_code, x.asset_issuer, x.registered_name";

/// A page's row, read by position: a page has tens to hundreds of rows of 21 columns, and
/// reading each column by name (a hashed lookup and a type check per column per row) cost more
/// than the rest of the decoding. The statement is this module's own (`push_page`), so the
/// positions are known; debug builds check the names.
impl<'r> FromRow<'r, PgRow> for ContractRow {
    fn from_row(row: &'r PgRow) -> sqlx::Result<Self> {
        #[cfg(debug_assertions)]
        {
            let names: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
            let expected: Vec<&str> = PAGE_COLUMNS
                .split(',')
                .map(|c| c.trim().rsplit([' ', '.']).next().unwrap_or(""))
                .collect();
            debug_assert_eq!(
                names[..expected.len()],
                expected[..],
                "a page's columns moved"
            );
        }
        let mut c = ContractRow {
            pk: row.try_get_unchecked(0)?,
            network: row.try_get_unchecked(1)?,
            contract_id: row.try_get_unchecked(2)?,
            kind: row.try_get_unchecked(3)?,
            wasm_pk: row.try_get_unchecked(4)?,
            wasm_hash: row.try_get_unchecked(5)?,
            wasm_size: row.try_get_unchecked(6)?,
            deployer: row.try_get_unchecked(7)?,
            created_ledger: row.try_get_unchecked(8)?,
            created_at: row.try_get_unchecked(9)?,
            created_tx: row.try_get_unchecked(10)?,
            name: row.try_get_unchecked(11)?,
            description: row.try_get_unchecked(12)?,
            publisher_pk: row.try_get_unchecked(13)?,
            publisher_address: row.try_get_unchecked(14)?,
            publisher_name: row.try_get_unchecked(15)?,
            verification: row.try_get_unchecked(16)?,
            asset_code: row.try_get_unchecked(17)?,
            asset_issuer: row.try_get_unchecked(18)?,
            registered_name: row.try_get_unchecked(19)?,
            sort_at: None,
            sort_text: None,
            sort_num: None,
            sort_rank: None,
            scope_key: None,
        };
        if let Some(sort) = row.columns().get(20) {
            match sort.name() {
                "sort_at" => c.sort_at = row.try_get_unchecked(20)?,
                "sort_text" => c.sort_text = row.try_get_unchecked(20)?,
                "sort_num" => c.sort_num = row.try_get_unchecked(20)?,
                "sort_rank" => c.sort_rank = row.try_get_unchecked(20)?,
                other => {
                    return Err(sqlx::Error::ColumnNotFound(format!(
                        "a sort value, not {other}"
                    )));
                }
            }
        }
        if row.len() > 21 {
            c.scope_key = row.try_get_unchecked(21)?;
        }
        Ok(c)
    }
}

/// Conditions on contracts; every field narrows the set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ContractFilter {
    pub network: Option<Network>,
    pub kind: Option<ContractKind>,
    pub tag: Option<String>,
    pub publisher_address: Option<AccountId>,
    pub deployer: Option<String>,
    pub verification: Option<VerificationStatus>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub implements_function: Option<String>,
    pub search: Option<String>,
    /// sha256 of the contract's current WASM.
    pub wasm_hash: Option<WasmHash>,
}

/// How a page is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    /// Newest deployment first.
    Newest,
    /// Oldest deployment first.
    Oldest,
    /// By name (the contract id for unnamed contracts), A to Z.
    Name,
    /// Most invocations in the last `days` days (UTC, today included) first.
    MostInvoked { days: i32 },
    /// Best text-search match first (needs a search filter).
    Relevance,
}

/// A position in an ordering: the sort value and the tie-breaking pk of a row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortValue {
    At(DateTime<Utc>),
    Text(String),
    Num(i64),
    /// A text-search rank, as the bits of its `real` value (exact, and hashable).
    RankBits(u32),
}

/// One page request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageQuery {
    pub filter: ContractFilter,
    pub order: Order,
    /// Start strictly after this position (in the direction of travel).
    pub seek: Option<(SortValue, ContractPk)>,
    /// Travel against the ordering (`last`/`before`); rows come back in travel order.
    pub backward: bool,
    /// Rows to fetch (callers ask for one more than they show, to learn if more exist).
    pub limit: i64,
    /// The UTC day "today" is, for invocation windows.
    pub today: NaiveDate,
    /// Which related rows the page's selection reads.
    pub joins: Joins,
}

/// Which related rows a page's selection reads: its WASM's hash and size (`wasm`, `wasmHash`)
/// and its publisher's address and name (`publisher`). A page read without one leaves its
/// columns null: looking them up costs PostgreSQL two index probes per row, half of the
/// statement for 20 publishers' newest contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Joins {
    pub wasm: bool,
    pub publisher: bool,
}

impl Joins {
    pub const NONE: Joins = Joins {
        wasm: false,
        publisher: false,
    };

    /// What either reads.
    pub fn union(self, other: Joins) -> Joins {
        Joins {
            wasm: self.wasm || other.wasm,
            publisher: self.publisher || other.publisher,
        }
    }
}

/// Which parent a nested page is scoped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Publisher,
    Wasm,
    Tag,
}

impl Scope {
    fn condition(self) -> &'static str {
        match self {
            Scope::Publisher => "c.publisher_pk = q.key",
            Scope::Wasm => "c.wasm_pk = q.key",
            Scope::Tag => {
                "EXISTS (SELECT 1 FROM contract_tags st WHERE st.contract_pk = c.pk AND st.tag_pk = q.key)"
            }
        }
    }
}

/// The filter's conditions; `source` reading word ranks leaves out the search's, which its
/// rank rows already hold (a row exists for each word of each document).
fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &ContractFilter, source: Source) {
    if let Some(n) = f.network {
        qb.push(" AND c.network = ").push_bind(n);
    }
    if let Some(k) = f.kind {
        qb.push(" AND c.kind = ").push_bind(k);
    }
    if let Some(tag) = &f.tag {
        qb.push(" AND EXISTS (SELECT 1 FROM contract_tags ct JOIN tags t ON t.pk = ct.tag_pk WHERE ct.contract_pk = c.pk AND t.name = ")
            .push_bind(tag.clone())
            .push(")");
    }
    if let Some(a) = &f.publisher_address {
        qb.push(" AND c.publisher_pk = (SELECT pk FROM publishers WHERE address = ")
            .push_bind(*a)
            .push(")");
    }
    if let Some(d) = &f.deployer {
        qb.push(" AND c.deployer = ").push_bind(d.clone());
    }
    if let Some(v) = f.verification {
        qb.push(" AND c.verification = ").push_bind(v);
    }
    if let Some(t) = f.created_after {
        qb.push(" AND c.created_at >= ").push_bind(t);
    }
    if let Some(t) = f.created_before {
        qb.push(" AND c.created_at < ").push_bind(t);
    }
    if let Some(func) = &f.implements_function {
        // A Stellar asset contract has no WASM; it implements the built-in interface.
        let sac_implements = stellar_asset_spec().function(func).is_some();
        qb.push(" AND (c.wasm_pk IN (SELECT pk FROM wasm_codes WHERE function_names @> ARRAY[")
            .push_bind(func.clone())
            .push("]::text[])");
        if sac_implements {
            qb.push(" OR c.kind = 'stellar_asset'");
        }
        qb.push(")");
    }
    if let Some(q) = f.search.as_ref().filter(|_| source == Source::Contracts) {
        qb.push(" AND c.search @@ websearch_to_tsquery('english', ")
            .push_bind(q.clone())
            .push(")");
    }
    if let Some(h) = &f.wasm_hash {
        qb.push(" AND c.wasm_pk = (SELECT pk FROM wasm_codes WHERE hash = ")
            .push_bind(*h)
            .push(")");
    }
}

/// The sort expression of an ordering, whether it runs descending, and the column it is
/// selected as.
fn sort_expr(order: Order) -> (&'static str, bool, &'static str) {
    match order {
        Order::Newest => ("c.created_at", true, "sort_at"),
        Order::Oldest => ("c.created_at", false, "sort_at"),
        Order::Name => ("lower(coalesce(c.name, c.contract_id))", false, "sort_text"),
        Order::MostInvoked { .. } => ("coalesce(inv.n, 0)", true, "sort_num"),
        Order::Relevance => ("ts_rank(c.search, ", true, "sort_rank"),
    }
}

/// Where a page's rows come from. A relevance page of a one-word search reads the word's ranks
/// (`contract_search_ranks`: `ts_rank` of the word in each contract's document, kept by a
/// trigger) in rank order and stops after the page; any other search ranks every match.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Contracts,
    WordRanks,
}

fn push_sort_expr(qb: &mut QueryBuilder<'_, Postgres>, q: &PageQuery, source: Source) {
    if source == Source::WordRanks {
        qb.push("r.rank");
        return;
    }
    let (expr, _, _) = sort_expr(q.order);
    qb.push(expr);
    if q.order == Order::Relevance {
        push_query(qb, q).push(")");
    }
}

/// `websearch_to_tsquery('english', <the search>)`.
fn push_query<'a, 'q>(
    qb: &'q mut QueryBuilder<'a, Postgres>,
    q: &PageQuery,
) -> &'q mut QueryBuilder<'a, Postgres> {
    qb.push("websearch_to_tsquery('english', ")
        .push_bind(q.filter.search.clone().unwrap_or_default())
        .push(")")
}

/// The contract columns of `ContractRow`, as selected from `contracts c`.
const CONTRACT_COLUMNS: &str = "c.pk, c.network, c.contract_id, c.kind, c.wasm_pk, c.deployer, c.created_ledger, \
     c.created_at, c.created_tx, c.name, c.description, c.publisher_pk, c.verification, c.asset_code, c.asset_issuer, \
     c.registered_name";

/// The page is chosen and cut from `contracts` alone, then joined to its wasm and publisher:
/// joining first would make PostgreSQL hash every WASM and publisher for a 20-row page.
fn push_page(qb: &mut QueryBuilder<'_, Postgres>, q: &PageQuery, scope: Option<Scope>) {
    let (_, desc, column) = sort_expr(q.order);
    let descending = desc != q.backward;
    let dir = if descending { " DESC" } else { " ASC" };
    qb.push("SELECT ")
        .push(PAGE_COLUMNS)
        .push(", x.sort_value AS ")
        .push(column);
    if scope.is_some() {
        qb.push(", q.key AS scope_key");
    }
    qb.push(" FROM (");
    let search = q.filter.search.as_deref().unwrap_or_default();
    if q.order == Order::Relevance && single_word(search) {
        push_candidates(qb, q, scope, Source::WordRanks, descending, false);
    } else if q.order == Order::Relevance {
        // Whether PostgreSQL's parser makes one word of the text (stop words, hyphens,
        // quotes) is known only to it: it runs only the branch whose condition holds.
        push_candidates(qb, q, scope, Source::WordRanks, descending, true);
        qb.push(" UNION ALL ");
        push_candidates(qb, q, scope, Source::Contracts, descending, true);
    } else {
        push_candidates(qb, q, scope, Source::Contracts, descending, false);
    }
    // One index lookup per row of the page: a plain join lets the planner hash every WASM or
    // publisher for the page's few rows.
    qb.push(") x");
    qb.push(if q.joins.wasm {
        " LEFT JOIN LATERAL (SELECT w.hash, w.size_bytes FROM wasm_codes w WHERE w.pk = x.wasm_pk LIMIT 1) w ON true"
    } else {
        " CROSS JOIN (SELECT NULL::bytea AS hash, NULL::integer AS size_bytes) w"
    });
    qb.push(if q.joins.publisher {
        " LEFT JOIN LATERAL (SELECT p.address, p.display_name FROM publishers p WHERE p.pk = x.publisher_pk LIMIT 1) p ON true"
    } else {
        " CROSS JOIN (SELECT NULL::text AS address, NULL::text AS display_name) p"
    });
    qb.push(" ORDER BY x.sort_value")
        .push(dir)
        .push(", x.pk")
        .push(dir);
}

/// Whether a search is one word whatever PostgreSQL's parser and dictionaries make of it: a
/// single run of ASCII letters and digits that starts with a letter, or has no `e` (which
/// after leading digits starts an exponent: "1e5x" is the number 1e5, then the word "x"), is
/// one token (a word, a number or both), which the English configuration turns into one
/// lexeme or, for a stop word, none (and no rank row holds an empty term, as no document
/// matches an empty query). Its page is read from the kept ranks alone, a statement that
/// keeps one plan per connection; a statement that must also hold the branch for several
/// words is planned afresh on every execution, since which branch runs depends on the bound
/// text (0.4 ms of PostgreSQL's time).
pub fn single_word(search: &str) -> bool {
    let word = search.trim();
    let starts_with_letter = word.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    !word.is_empty()
        && word.len() <= 256
        && word.bytes().all(|b| b.is_ascii_alphanumeric())
        && (starts_with_letter || !word.bytes().any(|b| b.eq_ignore_ascii_case(&b'e')))
}

/// One `(SELECT … LIMIT n)` of a page's rows with their sort value; `gated`, it runs only for
/// searches PostgreSQL makes one word of (word ranks) or only for the others (contracts).
fn push_candidates(
    qb: &mut QueryBuilder<'_, Postgres>,
    q: &PageQuery,
    scope: Option<Scope>,
    source: Source,
    descending: bool,
    gated: bool,
) {
    let dir = if descending { " DESC" } else { " ASC" };
    qb.push("(SELECT ").push(CONTRACT_COLUMNS).push(", ");
    push_sort_expr(qb, q, source);
    qb.push(" AS sort_value FROM ");
    match source {
        Source::WordRanks => {
            // The word as a subquery: PostgreSQL estimates an unknown word in every plan,
            // so a custom plan (for one word's frequency) never looks cheaper than the one
            // generic plan, which it then keeps instead of planning each search.
            qb.push("contract_search_ranks r JOIN contracts c ON c.pk = r.contract_pk WHERE r.term = (SELECT ");
            push_query(qb, q).push("::text)");
        }
        Source::Contracts => {
            qb.push("contracts c");
            if let Order::MostInvoked { .. } = q.order {
                qb.push(" LEFT JOIN inv ON inv.contract_pk = c.pk");
            }
            qb.push(" WHERE true");
        }
    }
    if gated {
        qb.push(" AND numnode(");
        push_query(qb, q).push(if source == Source::WordRanks {
            ") = 1"
        } else {
            ") <> 1"
        });
    }
    if let Some(scope) = scope {
        qb.push(" AND ").push(scope.condition());
    }
    push_filter(qb, &q.filter, source);
    if let Some((value, pk)) = &q.seek {
        qb.push(" AND (");
        push_sort_expr(qb, q, source);
        qb.push(", c.pk) ")
            .push(if descending { "<" } else { ">" })
            .push(" (");
        match value {
            SortValue::At(t) => qb.push_bind(*t),
            SortValue::Text(s) => qb.push_bind(s.clone()),
            SortValue::Num(n) => qb.push_bind(*n),
            SortValue::RankBits(r) => qb.push_bind(f32::from_bits(*r)),
        };
        qb.push(", ").push_bind(*pk).push(")");
    }
    qb.push(" ORDER BY ");
    push_sort_expr(qb, q, source);
    qb.push(dir)
        .push(", c.pk")
        .push(dir)
        // The page size is written into the text: with it bound, PostgreSQL plans for an
        // unknown limit and so replans every execution (a custom plan); written, it keeps one
        // plan per size for the connection. `limit` is a number the paging code chose.
        .push(" LIMIT ")
        .push(q.limit)
        .push(")");
}

fn push_invocations_cte(qb: &mut QueryBuilder<'_, Postgres>, q: &PageQuery) {
    if let Order::MostInvoked { days } = q.order {
        let since = q.today - chrono::Days::new(days.max(1) as u64 - 1);
        qb.push("WITH inv AS (SELECT contract_pk, sum(invocations)::bigint AS n FROM contract_daily_stats WHERE day >= ")
            .push_bind(since)
            .push(" AND day <= ")
            .push_bind(q.today)
            .push(" GROUP BY contract_pk) ");
    }
}

/// One page of contracts.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql contracts::page", otel.kind = "client", db.system = "postgresql"))]
pub async fn page(db: &Db, q: &PageQuery) -> Result<Vec<ContractRow>> {
    let mut qb = QueryBuilder::new("");
    push_invocations_cte(&mut qb, q);
    push_page(&mut qb, q, None);
    db.count()?;
    Ok(qb
        .build_query_as::<ContractRow>()
        .fetch_all(&db.pool)
        .await?)
}

/// The same page for many parents at once; rows carry their parent in `scope_key`.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql contracts::pages_scoped", otel.kind = "client", db.system = "postgresql"))]
pub async fn pages_scoped(
    db: &Db,
    q: &PageQuery,
    scope: Scope,
    keys: &[i64],
) -> Result<Vec<ContractRow>> {
    let mut qb = QueryBuilder::new("");
    push_invocations_cte(&mut qb, q);
    qb.push("SELECT x.* FROM unnest(")
        .push_bind(keys.to_vec())
        .push("::bigint[]) AS q(key) CROSS JOIN LATERAL (");
    push_page(&mut qb, q, Some(scope));
    qb.push(") x");
    db.count()?;
    Ok(qb
        .build_query_as::<ContractRow>()
        .fetch_all(&db.pool)
        .await?)
}

/// How many contracts match a filter.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql contracts::count", otel.kind = "client", db.system = "postgresql"))]
pub async fn count(db: &Db, filter: &ContractFilter) -> Result<i64> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM contracts c WHERE true");
    push_filter(&mut qb, filter, Source::Contracts);
    db.count()?;
    Ok(qb.build_query_scalar::<i64>().fetch_one(&db.pool).await?)
}

/// How many contracts match a filter, per parent.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql contracts::counts_scoped", otel.kind = "client", db.system = "postgresql"))]
pub async fn counts_scoped(
    db: &Db,
    filter: &ContractFilter,
    scope: Scope,
    keys: &[i64],
) -> Result<Vec<(i64, i64)>> {
    let mut qb = QueryBuilder::new("SELECT q.key, (SELECT count(*) FROM contracts c WHERE ");
    qb.push(scope.condition());
    push_filter(&mut qb, filter, Source::Contracts);
    qb.push(") FROM unnest(")
        .push_bind(keys.to_vec())
        .push("::bigint[]) AS q(key)");
    db.count()?;
    Ok(qb
        .build_query_as::<(i64, i64)>()
        .fetch_all(&db.pool)
        .await?)
}

// The whole-row lookups are one checked statement each, with the columns of a page row
// written out (no sort values): a statement per lookup keeps each plan a plain index scan
// (one statement with the lookups OR-ed together was replanned on every execution).

/// A contract by its network and strkey.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql contracts::by_key", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_key(
    db: &Db,
    network: Network,
    contract_id: &ContractId,
) -> Result<Option<ContractRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        ContractRow,
        r#"SELECT c.pk AS "pk: ContractPk", c.network AS "network: Network",
         c.contract_id AS "contract_id: ContractId", c.kind AS "kind: ContractKind",
         c.wasm_pk AS "wasm_pk: WasmPk", w.hash AS "wasm_hash?: WasmHash", w.size_bytes AS "wasm_size?",
         c.deployer, c.created_ledger, c.created_at, c.created_tx, c.name, c.description,
         c.publisher_pk AS "publisher_pk: PublisherPk", p.address AS "publisher_address?: AccountId",
         p.display_name AS "publisher_name?", c.verification AS "verification: VerificationStatus",
         c.asset_code, c.asset_issuer, c.registered_name,
         NULL::timestamptz AS "sort_at", NULL::text AS "sort_text", NULL::bigint AS "sort_num",
         NULL::real AS "sort_rank", NULL::bigint AS "scope_key"
         FROM contracts c LEFT JOIN wasm_codes w ON w.pk = c.wasm_pk
         LEFT JOIN publishers p ON p.pk = c.publisher_pk
         WHERE c.network = $1 AND c.contract_id = $2"#,
        network as Network,
        contract_id as &ContractId,
    )
    .fetch_optional(&db.pool)
    .await?)
}

/// A contract by the name it is registered under in its network's root Stellar Registry.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql contracts::by_registered_name", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_registered_name(
    db: &Db,
    network: Network,
    name: &str,
) -> Result<Option<ContractRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        ContractRow,
        r#"SELECT c.pk AS "pk: ContractPk", c.network AS "network: Network",
         c.contract_id AS "contract_id: ContractId", c.kind AS "kind: ContractKind",
         c.wasm_pk AS "wasm_pk: WasmPk", w.hash AS "wasm_hash?: WasmHash", w.size_bytes AS "wasm_size?",
         c.deployer, c.created_ledger, c.created_at, c.created_tx, c.name, c.description,
         c.publisher_pk AS "publisher_pk: PublisherPk", p.address AS "publisher_address?: AccountId",
         p.display_name AS "publisher_name?", c.verification AS "verification: VerificationStatus",
         c.asset_code, c.asset_issuer, c.registered_name,
         NULL::timestamptz AS "sort_at", NULL::text AS "sort_text", NULL::bigint AS "sort_num",
         NULL::real AS "sort_rank", NULL::bigint AS "scope_key"
         FROM contracts c LEFT JOIN wasm_codes w ON w.pk = c.wasm_pk
         LEFT JOIN publishers p ON p.pk = c.publisher_pk
         WHERE c.network = $1 AND c.registered_name = $2"#,
        network as Network,
        name,
    )
    .fetch_optional(&db.pool)
    .await?)
}

/// Contracts by surrogate key (any order; missing keys are absent).
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql contracts::by_pks", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_pks(db: &Db, pks: &[ContractPk]) -> Result<Vec<ContractRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        ContractRow,
        r#"SELECT c.pk AS "pk: ContractPk", c.network AS "network: Network",
         c.contract_id AS "contract_id: ContractId", c.kind AS "kind: ContractKind",
         c.wasm_pk AS "wasm_pk: WasmPk", w.hash AS "wasm_hash?: WasmHash", w.size_bytes AS "wasm_size?",
         c.deployer, c.created_ledger, c.created_at, c.created_tx, c.name, c.description,
         c.publisher_pk AS "publisher_pk: PublisherPk", p.address AS "publisher_address?: AccountId",
         p.display_name AS "publisher_name?", c.verification AS "verification: VerificationStatus",
         c.asset_code, c.asset_issuer, c.registered_name,
         NULL::timestamptz AS "sort_at", NULL::text AS "sort_text", NULL::bigint AS "sort_num",
         NULL::real AS "sort_rank", NULL::bigint AS "scope_key"
         FROM contracts c LEFT JOIN wasm_codes w ON w.pk = c.wasm_pk
         LEFT JOIN publishers p ON p.pk = c.publisher_pk
         WHERE c.pk = ANY($1)"#,
        pks as &[ContractPk],
    )
    .fetch_all(&db.pool)
    .await?)
}
