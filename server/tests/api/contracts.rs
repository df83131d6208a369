//! `contracts`: paging in both directions, every filter, every ordering, totalCount.

use serde_json::{Value, json};

use crate::helpers::{PUBLISHER, TestApp, data, first_error, known, seeded};

const PAGE: &str = r#"
query Page($first: Int, $after: String, $last: Int, $before: String, $filter: ContractFilter, $order: ContractOrder) {
  contracts(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { contractId name createdAt } }
  }
}"#;

fn ids(body: &Value) -> Vec<String> {
    data(body)["contracts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["contractId"].as_str().unwrap().to_owned())
        .collect()
}

async fn all_ids_in_sql_order(app: &TestApp, order_sql: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(&format!(
        "SELECT contract_id FROM contracts c ORDER BY {order_sql}"
    ))
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn paging_forward_visits_every_contract_once_in_newest_order() {
    let app = TestApp::spawn().await;
    seeded(&app.db, 120).await;
    let expected = all_ids_in_sql_order(&app, "c.created_at DESC, c.pk DESC").await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .graphql(PAGE, json!({ "first": 25, "after": after }))
            .await;
        let conn = &data(&body)["contracts"];
        assert_eq!(conn["totalCount"], 120);
        seen.extend(ids(&body));
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn paging_backward_from_the_end_visits_every_contract_in_list_order() {
    let app = TestApp::spawn().await;
    seeded(&app.db, 60).await;
    let expected = all_ids_in_sql_order(&app, "lower(coalesce(c.name, c.contract_id)), c.pk").await;
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let body = app
            .graphql(
                PAGE,
                json!({ "last": 7, "before": before, "order": "NAME" }),
            )
            .await;
        let conn = &data(&body)["contracts"];
        pages.push(ids(&body));
        if !conn["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
            break;
        }
        before = conn["pageInfo"]["startCursor"].as_str().map(str::to_owned);
    }
    let seen: Vec<String> = pages.into_iter().rev().flatten().collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn first_and_last_pages_report_their_edges() {
    let app = TestApp::spawn().await;
    known(&app.db).await;
    let first = app.graphql(PAGE, json!({ "first": 2 })).await;
    let info = &data(&first)["contracts"]["pageInfo"];
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["hasPreviousPage"], false);
    let rest = app
        .graphql(PAGE, json!({ "first": 2, "after": info["endCursor"] }))
        .await;
    let info = &data(&rest)["contracts"]["pageInfo"];
    assert_eq!(info["hasNextPage"], false);
    assert_eq!(info["hasPreviousPage"], true);
    assert_eq!(ids(&rest).len(), 2);
}

#[tokio::test]
async fn empty_registry_gives_an_empty_page() {
    let app = TestApp::spawn().await;
    let body = app.graphql(PAGE, json!({ "first": 10 })).await;
    let conn = &data(&body)["contracts"];
    assert_eq!(conn["edges"], json!([]));
    assert_eq!(conn["totalCount"], 0);
    assert_eq!(
        conn["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null })
    );
}

#[tokio::test]
async fn cursor_from_another_ordering_is_bad_user_input() {
    let app = TestApp::spawn().await;
    known(&app.db).await;
    let body = app.graphql(PAGE, json!({ "first": 1 })).await;
    let cursor = data(&body)["contracts"]["pageInfo"]["endCursor"].clone();
    let body = app
        .graphql(
            PAGE,
            json!({ "first": 1, "after": cursor, "order": "NAME" }),
        )
        .await;
    let (code, message) = first_error(&body);
    assert_eq!(code, "BAD_USER_INPUT");
    assert!(
        message.contains("issued for ordering NEWEST, not NAME"),
        "{message}"
    );
}

async fn filtered(app: &TestApp, filter: Value) -> Vec<String> {
    let mut v = ids(&app
        .graphql(PAGE, json!({ "first": 50, "filter": filter }))
        .await);
    v.sort();
    v
}

#[tokio::test]
async fn every_filter_narrows_to_the_matching_contracts() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<String>>()
    };
    assert_eq!(
        filtered(&app, json!({ "network": "MAINNET" })).await,
        sorted(vec![&k.hello, &k.custom])
    );
    assert_eq!(
        filtered(&app, json!({ "kind": "STELLAR_ASSET" })).await,
        vec![k.sac.clone()]
    );
    assert_eq!(
        filtered(&app, json!({ "tag": "testing" })).await,
        vec![k.custom.clone()]
    );
    assert_eq!(
        filtered(&app, json!({ "tag": "Example" })).await,
        sorted(vec![&k.hello, &k.custom])
    );
    assert_eq!(
        filtered(&app, json!({ "publisher": PUBLISHER })).await,
        sorted(vec![&k.hello, &k.custom])
    );
    assert_eq!(
        filtered(&app, json!({ "deployer": PUBLISHER })).await.len(),
        4
    );
    assert_eq!(
        filtered(&app, json!({ "verification": "VERIFIED" })).await,
        vec![k.custom.clone()]
    );
    assert_eq!(
        filtered(&app, json!({ "createdAfter": "2026-01-02T00:00:00Z", "createdBefore": "2026-02-01T00:00:00Z" })).await,
        sorted(vec![&k.custom, &k.sac])
    );
    assert_eq!(
        filtered(&app, json!({ "implementsFunction": "strukt" })).await,
        vec![k.custom.clone()]
    );
    // A Stellar asset contract implements the token interface without a WASM.
    assert_eq!(
        filtered(&app, json!({ "implementsFunction": "transfer" })).await,
        vec![k.sac.clone()]
    );
    assert_eq!(
        filtered(&app, json!({ "wasmHash": k.hello_hash })).await,
        sorted(vec![&k.hello, &k.unnamed])
    );
    assert_eq!(
        filtered(&app, json!({ "search": "greets" })).await,
        vec![k.hello.clone()]
    );
    assert_eq!(
        filtered(&app, json!({ "search": "testing" })).await,
        vec![k.custom.clone()],
        "tags are searchable"
    );
    assert_eq!(
        filtered(&app, json!({ "search": "tuple strukt" })).await,
        vec![k.custom.clone()],
        "function names are searchable"
    );
    assert_eq!(
        filtered(
            &app,
            json!({ "network": "MAINNET", "tag": "testing", "verification": "UNVERIFIED" })
        )
        .await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn total_count_follows_the_filter() {
    let app = TestApp::spawn().await;
    seeded(&app.db, 200).await;
    let expected: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contracts WHERE network = 'testnet' AND kind = 'wasm'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let body = app
        .graphql(
            PAGE,
            json!({ "first": 1, "filter": { "network": "TESTNET", "kind": "WASM" } }),
        )
        .await;
    assert_eq!(data(&body)["contracts"]["totalCount"], expected);
}

#[tokio::test]
async fn most_invoked_orders_by_the_window_sum() {
    let app = TestApp::spawn().await;
    seeded(&app.db, 300).await;
    for (order, days) in [
        ("MOST_INVOKED_1D", 1),
        ("MOST_INVOKED_7D", 7),
        ("MOST_INVOKED_30D", 30),
    ] {
        let expected: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT c.contract_id FROM contracts c LEFT JOIN (SELECT contract_pk, sum(invocations) n FROM contract_daily_stats \
             WHERE day > (now() AT TIME ZONE 'UTC')::date - {days} GROUP BY 1) s ON s.contract_pk = c.pk \
             ORDER BY coalesce(s.n, 0) DESC, c.pk DESC LIMIT 30"
        ))
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        let mut got = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..3 {
            let body = app
                .graphql(PAGE, json!({ "first": 10, "after": after, "order": order }))
                .await;
            got.extend(ids(&body));
            after = data(&body)["contracts"]["pageInfo"]["endCursor"]
                .as_str()
                .map(str::to_owned);
        }
        assert_eq!(got, expected, "{order}");
    }
}

#[tokio::test]
async fn relevance_ranks_search_hits_and_needs_a_search() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(
            PAGE,
            json!({ "first": 5, "order": "RELEVANCE", "filter": { "search": "hello" } }),
        )
        .await;
    // "Hello World" matches by name (weight A); the custom-types contract only by a function name.
    assert_eq!(ids(&body)[0], k.hello);
    assert!(ids(&body).contains(&k.custom));
    let body = app
        .graphql(PAGE, json!({ "first": 5, "order": "RELEVANCE" }))
        .await;
    let (code, message) = first_error(&body);
    assert_eq!(code, "BAD_USER_INPUT");
    assert!(message.contains("needs `filter.search`"), "{message}");
}

#[tokio::test]
async fn oldest_and_name_orderings_sort_as_named() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(PAGE, json!({ "first": 4, "order": "OLDEST" }))
        .await;
    assert_eq!(
        ids(&body),
        vec![
            k.hello.clone(),
            k.custom.clone(),
            k.sac.clone(),
            k.unnamed.clone()
        ]
    );
    let body = app
        .graphql(PAGE, json!({ "first": 4, "order": "NAME" }))
        .await;
    // Unnamed contracts sort by their address ("CA…" before "Custom").
    assert_eq!(
        ids(&body),
        vec![
            k.unnamed.clone(),
            k.custom.clone(),
            k.hello.clone(),
            k.sac.clone()
        ]
    );
}

#[tokio::test]
async fn new_contracts_go_straight_into_the_search_index() {
    // A pending list of unsorted new documents would be read in full by every search until a
    // vacuum merged it; cleaning it reports how many pages it held.
    let app = TestApp::spawn().await;
    seeded(&app.db, 300).await;
    let pending: i64 =
        sqlx::query_scalar("SELECT gin_clean_pending_list('contracts_search_idx'::regclass)")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(pending, 0, "pages of documents waiting outside the index");
}

/// The contracts a search matches, best first, ranked by PostgreSQL over every match: the
/// order the API must give whichever way it reads them.
async fn ranked_in_sql(app: &TestApp, q: &str, network: Option<&str>) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT contract_id FROM contracts WHERE search @@ websearch_to_tsquery('english', $1)
           AND ($2::text IS NULL OR network::text = $2)
         ORDER BY ts_rank(search, websearch_to_tsquery('english', $1)) DESC, pk DESC",
    )
    .bind(q)
    .bind(network)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

/// What the server takes for one word from the text alone is at most one word to
/// PostgreSQL's parser and dictionaries, whose answer for such a text is read from the kept
/// ranks only.
#[tokio::test]
async fn texts_read_as_one_word_are_at_most_one_word_to_postgresql() {
    use registry_server::db::contracts::single_word;
    let app = TestApp::spawn_with(|c| c.cache.enabled = false).await;
    let long = "x".repeat(256);
    for text in [
        "token",
        "TOKEN",
        " token ",
        "v2",
        "2024",
        "erc20",
        "abc123def",
        "x1e5",
        "e1e5x",
        "12abc",
        "0x1f",
        "the",
        "or",
        "and",
        "not",
        &long,
    ] {
        assert!(single_word(text), "{text:?} is read as one word");
        let nodes: i32 = sqlx::query_scalar("SELECT numnode(websearch_to_tsquery('english', $1))")
            .bind(text)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert!(nodes <= 1, "{text:?}: {nodes} nodes");
    }
    for text in [
        "",
        " ",
        "lending pool",
        "multi-sig",
        "token*",
        "\"token\"",
        "-token",
        "token!",
        "jeton\u{e9}",
        // A number with an exponent, then a word: two tokens.
        "1e5x",
        "3e8m",
        "1e5e5",
        "12E3a",
        &"x".repeat(257),
    ] {
        assert!(!single_word(text), "{text:?} is not read as one word");
    }
    // A stop word, read as one word, finds nothing and is no error.
    seeded(&app.db, 20).await;
    let body = app
        .graphql(
            PAGE,
            json!({ "first": 5, "order": "RELEVANCE", "filter": { "search": "the" } }),
        )
        .await;
    assert_eq!(ids(&body), Vec::<String>::new());
}

/// Every page of a relevance search through the API, forwards.
async fn ranked_by_api(app: &TestApp, q: &str, filter: Value, page: i64) -> Vec<String> {
    let mut filter = filter;
    filter["search"] = json!(q);
    let mut got = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .graphql(
                PAGE,
                json!({ "first": page, "after": after, "order": "RELEVANCE", "filter": filter }),
            )
            .await;
        got.extend(ids(&body));
        let info = &data(&body)["contracts"]["pageInfo"];
        if info["hasNextPage"] != json!(true) {
            return got;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
}

#[tokio::test]
async fn one_word_searches_read_kept_ranks_in_the_order_ranking_every_match_gives() {
    let app = TestApp::spawn_with(|c| c.cache.enabled = false).await;
    seeded(&app.db, 600).await;
    // Names, tags and descriptions change after insertion: the kept ranks follow.
    for change in [
        "UPDATE contracts SET name = 'Token Oracle Token' WHERE pk IN (SELECT pk FROM contracts ORDER BY pk LIMIT 3)",
        "INSERT INTO tags (name) VALUES ('oracle-token') ON CONFLICT DO NOTHING",
        "INSERT INTO contract_tags (contract_pk, tag_pk, source) SELECT c.pk, t.pk, 'manual' FROM contracts c, tags t WHERE t.name = 'oracle-token' AND c.pk % 7 = 0 ON CONFLICT DO NOTHING",
    ] {
        sqlx::query(change).execute(&app.db.pool).await.unwrap();
    }
    for (q, filter, page) in [
        ("token", json!({}), 25),
        ("oracle", json!({}), 40),
        ("oracle", json!({ "network": "MAINNET" }), 10),
        ("royalties", json!({}), 7),
        // Read as one word from its text, spaces and capitals aside.
        ("  Token ", json!({}), 25),
        // One word to PostgreSQL, not from the text alone (a stop word before it).
        ("the token", json!({}), 25),
        // Several words: every match is ranked, as before.
        ("fungible token", json!({}), 30),
    ] {
        let expected = ranked_in_sql(
            &app,
            q,
            filter["network"]
                .as_str()
                .map(|n| n.to_lowercase())
                .as_deref(),
        )
        .await;
        assert!(
            expected.len() > page as usize,
            "{q}: more than one page ({})",
            expected.len()
        );
        assert_eq!(
            ranked_by_api(&app, q, filter.clone(), page).await,
            expected,
            "{q} {filter}"
        );
    }
    // Backwards from the end gives the same order.
    let expected = ranked_in_sql(&app, "token", None).await;
    let body = app
        .graphql(
            PAGE,
            json!({ "last": 5, "order": "RELEVANCE", "filter": { "search": "token" } }),
        )
        .await;
    assert_eq!(ids(&body), expected[expected.len() - 5..].to_vec());

    // The one-word search reads the kept ranks: a rank changed there moves its contract.
    let last = expected.last().unwrap().clone();
    sqlx::query("UPDATE contract_search_ranks SET rank = 1000 WHERE term = '''token''' AND contract_pk = (SELECT pk FROM contracts WHERE contract_id = $1)")
        .bind(&last)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let body = app
        .graphql(
            PAGE,
            json!({ "first": 1, "order": "RELEVANCE", "filter": { "search": "token" } }),
        )
        .await;
    assert_eq!(ids(&body), vec![last]);
}
