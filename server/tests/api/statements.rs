//! No N+1: the number of statements a query sends depends on its shape, not on how many rows
//! it returns.

use serde_json::json;

use crate::helpers::{TestApp, data, seeded};

const DEEP: &str = r#"
query Deep($publishers: Int!) {
  publishers(first: $publishers) {
    nodes {
      address displayName
      contracts(first: 10) { nodes { contractId network name tags { name } wasm { sizeBytes } } }
    }
  }
}"#;

async fn statements_for(app: &TestApp, publishers: i64) -> (u64, usize) {
    let before = app.statements();
    let body = app.graphql(DEEP, json!({ "publishers": publishers })).await;
    let contracts: usize = data(&body)["publishers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["contracts"]["nodes"].as_array().unwrap().len())
        .sum();
    (app.statements() - before, contracts)
}

#[tokio::test]
async fn three_level_query_costs_the_same_statements_for_20_or_2_publishers() {
    let app = TestApp::spawn_with(|c| c.cache.enabled = false).await;
    seeded(&app.db, 2000).await;
    let (many, many_rows) = statements_for(&app, 20).await;
    let (few, few_rows) = statements_for(&app, 2).await;
    assert!(
        many_rows > 5 * few_rows,
        "the larger query returns more rows ({many_rows} vs {few_rows})"
    );
    assert_eq!(many, few, "statements depend on the number of rows");
    // publishers page + nested contract pages + tags
    assert_eq!(many, 3);
}

#[tokio::test]
async fn list_with_every_relation_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn_with(|c| c.cache.enabled = false).await;
    seeded(&app.db, 300).await;
    let q = "query($n: Int!) { contracts(first: $n) { nodes { contractId tags { name } publisher { displayName website } wasm { sizeBytes functionNames } versions { ledger } invocations } } }";
    let before = app.statements();
    data(&app.graphql(q, json!({ "n": 50 })).await);
    let fifty = app.statements() - before;
    let before = app.statements();
    // Ten rows are enough for every relation to be present (a publisher, a wasm, versions).
    data(&app.graphql(q, json!({ "n": 10 })).await);
    assert_eq!(app.statements() - before, fifty);
}

#[tokio::test]
async fn cached_total_count_is_not_recomputed_and_disabled_cache_always_asks() {
    for (enabled, expected_second) in [(true, 1), (false, 2)] {
        let app = TestApp::spawn_with(|c| c.cache.enabled = enabled).await;
        seeded(&app.db, 50).await;
        let q = "{ contracts(first: 1) { totalCount nodes { contractId } } }";
        data(&app.graphql(q, json!({})).await);
        let before = app.statements();
        data(&app.graphql(q, json!({})).await);
        assert_eq!(
            app.statements() - before,
            expected_second,
            "cache enabled: {enabled}"
        );
    }
}

#[tokio::test]
async fn cache_capacity_bounds_the_entries() {
    let app = TestApp::spawn_with(|c| c.cache.max_capacity = 2).await;
    for network in ["MAINNET", "TESTNET", "FUTURENET", "LOCAL"] {
        let q = format!("{{ contracts(filter: {{ network: {network} }}) {{ totalCount }} }}");
        data(&app.graphql(&q, json!({})).await);
    }
    app.state.caches.counts.run_pending_tasks().await;
    assert!(
        app.state.caches.counts.entry_count() <= 2,
        "{}",
        app.state.caches.counts.entry_count()
    );
}

#[tokio::test]
async fn identical_requests_share_one_answer_until_it_expires_or_is_invalidated() {
    let app =
        TestApp::spawn_with(|c| c.cache.response_ttl = std::time::Duration::from_millis(300)).await;
    seeded(&app.db, 30).await;
    let q = "{ contracts(first: 5) { totalCount nodes { contractId name tags { name } } } }";
    let first = app.graphql(q, json!({})).await;
    let before = app.statements();
    let concurrent = futures::future::join_all((0..8).map(|_| app.graphql(q, json!({})))).await;
    assert_eq!(app.statements(), before, "served from the response cache");
    assert!(concurrent.iter().all(|b| *b == first));
    // New data, then the cache is dropped (as the live feed does on every event).
    sqlx::query("UPDATE contracts SET name = 'Renamed' WHERE pk = (SELECT pk FROM contracts ORDER BY created_at DESC, pk DESC LIMIT 1)").execute(&app.db.pool).await.unwrap();
    app.state.caches.invalidate_lists();
    let fresh = app.graphql(q, json!({})).await;
    assert!(app.statements() > before);
    assert_ne!(fresh, first);
    // And without invalidation, the TTL bounds staleness.
    sqlx::query("UPDATE contracts SET name = 'Again' WHERE pk = (SELECT pk FROM contracts ORDER BY created_at DESC, pk DESC LIMIT 1)").execute(&app.db.pool).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let later = app.graphql(q, json!({})).await;
    assert_ne!(later, fresh);
}

#[tokio::test]
async fn answers_with_errors_are_not_kept() {
    let app =
        TestApp::spawn_with(|c| c.cache.response_ttl = std::time::Duration::from_secs(60)).await;
    let q = "{ contract(network: MAINNET, contractId: \"bad\") { name } }";
    app.graphql(q, json!({})).await;
    app.state
        .caches
        .responses
        .as_ref()
        .unwrap()
        .run_pending_tasks()
        .await;
    assert_eq!(
        app.state.caches.responses.as_ref().unwrap().entry_count(),
        0
    );
}

/// Everything a detail page reads through loaders, on a contract that has all of it.
const DETAIL: &str = r#"
query Detail($id: String, $name: String) {
  contract(network: MAINNET, contractId: $id, name: $name) {
    contractId name registeredName implementedSeps
    publisher { address displayName }
    wasm {
      hash sizeBytes firstSeenNetwork firstSeenLedger firstSeenAt specError sdkVersion metaError
      functionNames meta { key value } registryReleases { network name version author ledger }
    }
    versions { kind ledger transactionIndex operationIndex changedAt txHash oldWasmHash newWasmHash }
    tags { name source }
    dailyStats(days: 7) { day invocations failedInvocations subInvocations distinctCallers eventsEmitted }
  }
}"#;

#[tokio::test]
async fn a_contract_and_its_relations_are_read_in_one_statement_and_answer_as_the_loaders_do() {
    let app = TestApp::spawn_with(|c| c.cache.enabled = false).await;
    let k = crate::helpers::known(&app.db).await;
    sqlx::query("UPDATE contracts SET registered_name = 'custom-types' WHERE contract_id = $1")
        .bind(&k.custom)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE contract_versions SET tx_hash = decode(repeat('ab', 32), 'hex') WHERE kind = 'upgraded'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO registry_releases (network, name, version, wasm_pk, author, ledger)
         SELECT 'mainnet', 'custom-types', '1.0.0', wasm_pk, 'GAUTHOR', 50000200 FROM contracts WHERE contract_id = $1",
    )
    .bind(&k.custom)
    .execute(&app.db.pool)
    .await
    .unwrap();

    let before = app.statements();
    let by_key = app.graphql(DETAIL, json!({ "id": k.custom })).await;
    assert_eq!(
        app.statements() - before,
        1,
        "the contract and every relation in one statement"
    );
    let before = app.statements();
    let by_name = app.graphql(DETAIL, json!({ "name": "custom-types" })).await;
    assert!(
        app.statements() - before >= 5,
        "the lookup by name reads each relation through its loader"
    );
    let contract = &data(&by_key)["contract"];
    assert_eq!(contract, &data(&by_name)["contract"]);
    // The answer holds what was written, not empty lists that happen to agree.
    assert_eq!(contract["versions"].as_array().unwrap().len(), 2);
    assert_eq!(contract["versions"][1]["txHash"], "ab".repeat(32));
    assert_eq!(contract["versions"][1]["oldWasmHash"], k.hello_hash);
    assert_eq!(
        contract["tags"],
        json!([{ "name": "example", "source": "MANUAL" }, { "name": "testing", "source": "MANUAL" }])
    );
    assert_eq!(contract["dailyStats"].as_array().unwrap().len(), 2);
    assert_eq!(contract["dailyStats"][1]["invocations"], 10);
    assert_eq!(contract["wasm"]["registryReleases"][0]["version"], "1.0.0");
    assert!(
        !contract["wasm"]["functionNames"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A contract without WASM, and one that does not exist.
    let sac = app
        .graphql(
            "query($id: String!) { contract(network: TESTNET, contractId: $id) { wasm { firstSeenLedger } versions { ledger } tags { name } } }",
            json!({ "id": k.sac }),
        )
        .await;
    assert_eq!(
        data(&sac)["contract"],
        json!({ "wasm": null, "versions": [], "tags": [{ "name": "sep-41" }, { "name": "stellar-asset" }] })
    );
    let missing = app
        .graphql(DETAIL, json!({ "id": crate::helpers::contract_id(99) }))
        .await;
    assert_eq!(data(&missing)["contract"], serde_json::Value::Null);
}

#[tokio::test]
async fn statistics_asked_for_twice_or_with_a_bad_range_are_still_answered_by_their_resolver() {
    let app = TestApp::spawn_with(|c| c.cache.enabled = false).await;
    let k = crate::helpers::known(&app.db).await;
    let body = app
        .graphql(
            "query($id: String!) { contract(network: MAINNET, contractId: $id) {
               week: dailyStats(days: 7) { invocations } today: dailyStats(days: 1) { invocations } } }",
            json!({ "id": k.custom }),
        )
        .await;
    assert_eq!(
        data(&body)["contract"],
        json!({ "week": [{ "invocations": 5 }, { "invocations": 10 }], "today": [] })
    );
    let body = app
        .graphql(
            "query($id: String!) { contract(network: MAINNET, contractId: $id) { dailyStats(days: 0) { day } } }",
            json!({ "id": k.custom }),
        )
        .await;
    let (code, message) = crate::helpers::first_error(&body);
    assert_eq!(code, "BAD_USER_INPUT");
    assert!(message.contains("`days`"), "{message}");
    // A day the Date scalar refuses (and PostgreSQL cannot store) is not read along: the
    // argument is refused, not the statement.
    let body = app
        .graphql(
            "query($id: String!) { contract(network: MAINNET, contractId: $id) {
               dailyStats(from: \"-5000-01-01\", to: \"-5000-01-02\") { day } } }",
            json!({ "id": k.custom }),
        )
        .await;
    let (code, message) = crate::helpers::first_error(&body);
    assert_eq!(code, "BAD_USER_INPUT", "{message}");
}

/// A page's statement is planned once per connection (a generic plan) rather than on every
/// request: with the page size bound as a parameter, PostgreSQL planned each execution afresh
/// (0 generic plans of 8 here; PostgreSQL plans the first 5 one by one either way), which cost more than running the page.
#[tokio::test]
async fn pages_and_nested_pages_keep_one_plan_per_connection() {
    let app = TestApp::spawn_with(|c| {
        c.cache.enabled = false;
        c.db_max_connections = 1;
    })
    .await;
    // Enough rows that a plan for an unknown page size differs from one for a known one.
    seeded(&app.db, 3000).await;
    let q = "{ contracts(first: 20, filter: { network: MAINNET }) { nodes { contractId } }
               publishers(first: 20) { nodes { contracts(first: 5) { nodes { contractId } } } } }";
    for _ in 0..8 {
        data(&app.graphql(q, json!({})).await);
    }
    for (what, needle) in [
        ("the page", "WHERE true AND c.network ="),
        ("the nested pages", "CROSS JOIN LATERAL"),
    ] {
        let (_, generic, custom, _) = prepared(&app, what, needle).await;
        assert!(
            generic >= 1,
            "{what}: {generic} generic and {custom} custom plans in 8 executions"
        );
    }
}

/// A contract list looks up its contracts' WASM and publisher rows only when its selection
/// reads them (under `nodes` or `edges.node`, directly or through fragments), and answers them
/// as a list that reads everything does.
#[tokio::test]
async fn pages_read_wasm_and_publisher_rows_only_for_selections_that_ask() {
    let app = TestApp::spawn_with(|c| {
        c.cache.enabled = false;
        c.db_max_connections = 1;
    })
    .await;
    seeded(&app.db, 300).await;
    let everything = data(
        &app.graphql(
            "{ contracts(first: 30) { nodes { contractId name wasmHash wasm { hash sizeBytes } publisher { address displayName } } } }",
            json!({}),
        )
        .await,
    )["contracts"]["nodes"]
        .clone();
    let full: std::collections::HashMap<String, serde_json::Value> = everything
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["contractId"].as_str().unwrap().to_owned(), n.clone()))
        .collect();
    assert!(
        full.values().any(|n| !n["wasm"].is_null())
            && full.values().any(|n| !n["publisher"].is_null()),
        "the seeded page has WASMs and publishers: {everything}"
    );
    // Each selection (of its own page size: a statement of its own), and whether its page
    // statement looks up WASMs and publishers.
    let cases = [
        (
            "{ contracts(first: 29) { nodes { contractId name } } }",
            false,
            false,
        ),
        (
            "{ contracts(first: 28) { nodes { contractId wasmHash } } }",
            true,
            false,
        ),
        (
            "{ contracts(first: 27) { edges { node { contractId publisher { address displayName } } } } }",
            false,
            true,
        ),
        (
            "query { contracts(first: 26) { nodes { ...F } } } fragment F on Contract { contractId wasm { hash sizeBytes } }",
            true,
            false,
        ),
        (
            "{ contracts(first: 25) { nodes { contractId ... on Contract { p: publisher { address displayName } } } } }",
            false,
            true,
        ),
    ];
    let pages = |statements: &[(String,)]| -> Vec<String> {
        statements
            .iter()
            .map(|(s,)| s.clone())
            .filter(|s| s.contains("AS sort_value"))
            .collect()
    };
    for (query, wasm, publisher) in cases {
        let before: Vec<(String,)> = sqlx::query_as("SELECT statement FROM pg_prepared_statements")
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
        let body = app.graphql(query, json!({})).await;
        let answer = data(&body);
        let after: Vec<(String,)> = sqlx::query_as("SELECT statement FROM pg_prepared_statements")
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
        let new: Vec<String> = pages(&after)
            .into_iter()
            .filter(|s| !pages(&before).contains(s))
            .collect();
        assert_eq!(new.len(), 1, "{query}: one new page statement, not {new:?}");
        assert_eq!(
            new[0].contains("FROM wasm_codes"),
            wasm,
            "{query}: {}",
            new[0]
        );
        assert_eq!(
            new[0].contains("FROM publishers"),
            publisher,
            "{query}: {}",
            new[0]
        );
        let list = &answer["contracts"];
        let got: Vec<serde_json::Value> = match list["nodes"].as_array() {
            Some(nodes) => nodes.clone(),
            None => list["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone())
                .collect(),
        };
        assert!(got.len() >= 25, "{query}: {answer}");
        for node in got {
            let reference = &full[node["contractId"].as_str().unwrap()];
            for (field, value) in node.as_object().unwrap() {
                let field = if field == "p" {
                    "publisher"
                } else {
                    field.as_str()
                };
                match reference[field].as_object() {
                    // Objects as far as the case asked into them.
                    Some(whole) => match value.as_object() {
                        Some(part) => {
                            for (k, v) in part {
                                assert_eq!(&whole[k], v, "{query}: {field}.{k} of {node}");
                            }
                        }
                        None => panic!("{query}: {field} of {node} is null, not {whole:?}"),
                    },
                    None => assert_eq!(&reference[field], value, "{query}: {field} of {node}"),
                }
            }
        }
    }
}

/// The same nested list asked twice under one name with different fields (a fragment beside
/// the list's own) is read by one statement that looks up what either reads: the engine
/// merges the two answers row by row, and two statements could see two sets of rows.
#[tokio::test]
async fn a_nested_list_asked_twice_under_one_name_is_read_once() {
    let app = TestApp::spawn_with(|c| c.cache.enabled = false).await;
    seeded(&app.db, 300).await;
    let twice = "{ publishers(first: 5) { nodes { contracts(first: 5) { nodes { contractId } } ...P } } }
                 fragment P on Publisher { contracts(first: 5) { nodes { wasmHash publisher { address } } } }";
    let once = "{ publishers(first: 5) { nodes { contracts(first: 5) { nodes { contractId wasmHash publisher { address } } } } } }";
    let before = app.statements();
    let merged = app.graphql(twice, json!({})).await;
    let statements = app.statements() - before;
    let before = app.statements();
    let single = app.graphql(once, json!({})).await;
    // The publishers' page and the contracts' pages, either way.
    assert_eq!((statements, app.statements() - before), (2, 2));
    assert_eq!(data(&merged), data(&single));
    assert!(
        data(&single)["publishers"]["nodes"][0]["contracts"]["nodes"][0]["publisher"]["address"]
            .is_string(),
        "{single}"
    );
}

/// A one-word search's page keeps one plan per connection, and that plan reads the word's
/// kept ranks in order and stops after the page. With the search's match condition beside
/// the rank rows, the generic plan joined every match of the word before sorting them.
#[tokio::test]
async fn one_word_search_pages_keep_one_plan_that_stops_after_the_page() {
    let app = TestApp::spawn_with(|c| {
        c.cache.enabled = false;
        c.db_max_connections = 1;
    })
    .await;
    seeded(&app.db, 3000).await;
    // The planner's statistics, as autovacuum keeps them on a live database.
    sqlx::query("ANALYZE contracts, contract_search_ranks")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let q = "query($q: String!) { contracts(first: 20, orderBy: RELEVANCE, filter: { search: $q }) { nodes { contractId } } }";
    for word in [
        "token", "oracle", "swap", "bridge", "escrow", "auction", "lottery", "payroll",
    ] {
        data(&app.graphql(q, json!({ "q": word })).await);
    }
    let pool = &app.state.db.pool;
    let (name, generic, custom, params) =
        prepared(&app, "the search page", "contract_search_ranks r").await;
    assert!(
        generic >= 1,
        "{generic} generic and {custom} custom plans in 8 executions"
    );
    let matches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contracts WHERE search @@ websearch_to_tsquery('english', 'token')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(matches > 100, "{matches} contracts match");
    let args = vec!["'token'"; params as usize].join(", ");
    let plan: serde_json::Value = sqlx::query_scalar(&format!(
        "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {name}({args})"
    ))
    .fetch_one(pool)
    .await
    .unwrap();
    let read = rows_read(&plan[0]["Plan"], "contract_search_ranks");
    assert!(read <= 21, "{read} rank rows read for a page of 21: {plan}");
}

/// The statement the server prepared whose text holds `needle`: its name, generic and custom
/// plans so far, and parameter count. The app runs one connection, so the server's statements
/// are that session's.
async fn prepared(app: &TestApp, what: &str, needle: &str) -> (String, i64, i64, i32) {
    let plans: Vec<(String, String, i64, i64, i32)> = sqlx::query_as(
        "SELECT name, statement, generic_plans, custom_plans, cardinality(parameter_types) FROM pg_prepared_statements",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let (name, _, generic, custom, params) = plans
        .iter()
        .find(|(_, s, ..)| s.contains(needle))
        .unwrap_or_else(|| panic!("{what} was not prepared: {plans:?}"))
        .clone();
    (name, generic, custom, params)
}

/// Rows a plan read from a table, over all its scans of it.
fn rows_read(node: &serde_json::Value, table: &str) -> i64 {
    let own = if node["Relation Name"] == table {
        node["Actual Rows"].as_i64().unwrap_or(0) * node["Actual Loops"].as_i64().unwrap_or(1)
    } else {
        0
    };
    own + node["Plans"]
        .as_array()
        .map(|plans| plans.iter().map(|p| rows_read(p, table)).sum())
        .unwrap_or(0)
}
