//! GraphQL over HTTP: GET, content negotiation, GraphiQL, probes and metrics.

use serde_json::{Value, json};

use crate::helpers::{TestApp, data, known};

#[tokio::test]
async fn get_runs_a_query_from_the_url() {
    let app = TestApp::spawn().await;
    known(&app.db).await;
    let res = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[
            ("query", "query($n: Network) { tags(network: $n) { name } }"),
            ("variables", "{\"n\":\"TESTNET\"}"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        data(&body)["tags"],
        json!([{ "name": "sep-41" }, { "name": "stellar-asset" }])
    );
}

#[tokio::test]
async fn browsers_get_graphiql_from_the_server_itself() {
    // A built explorer: its GraphiQL page references only the build's own assets.
    let dir = std::env::temp_dir().join(format!("registry-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><div id=root></div>").unwrap();
    let page = r#"<!doctype html><div id="graphiql"></div><script type="module" src="/assets/graphiql-x.js"></script>"#;
    std::fs::write(dir.join("graphiql.html"), page).unwrap();
    let web_dir = dir.clone();
    let app = TestApp::spawn_with(move |c| c.web_dir = Some(web_dir)).await;
    let res = app
        .client
        .get(format!("{}/graphql", app.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(res.text().await.unwrap(), page);
    // Without a build, a browser is told how to get one; with GraphiQL off, it gets the API's
    // usual answer to a GET without a query.
    let unbuilt = TestApp::spawn_with(|c| c.web_dir = None).await;
    let res = unbuilt
        .client
        .get(format!("{}/graphql", unbuilt.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("make web"));
    let web_dir = dir.clone();
    let off = TestApp::spawn_with(move |c| {
        c.graphiql = false;
        c.web_dir = Some(web_dir);
    })
    .await;
    let res = off
        .client
        .get(format!("{}/graphql", off.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn graphql_response_json_clients_get_400_for_invalid_documents() {
    let app = TestApp::spawn().await;
    let send = |accept: &'static str| {
        app.client
            .post(format!("{}/graphql", app.url))
            .header("accept", accept)
            .json(&json!({ "query": "{ nope }" }))
            .send()
    };
    let res = send("application/graphql-response+json").await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.headers()["content-type"],
        "application/graphql-response+json"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    // A request error carries no `data` entry at all (GraphQL over HTTP).
    assert!(body.get("data").is_none(), "{body}");
    let res = send("application/json").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn malformed_json_and_wrong_content_type_are_client_errors() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .body("{\"query\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let res = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("content-type", "text/plain")
        .body("{ tags { name } }")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn probes_report_health_and_readiness() {
    let app = TestApp::spawn().await;
    let health: Value = app
        .client
        .get(format!("{}/health", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let res = app
        .client
        .get(format!("{}/ready", app.admin_url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ready: Value = res.json().await.unwrap();
    assert_eq!(ready["migrations"], "current");
    // Probes and metrics are for operators: the public port does not serve them.
    for path in ["/ready", "/metrics"] {
        let text = app
            .client
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !text.contains("registry_server_") && !text.contains("\"migrations\""),
            "{path} is served on the public port"
        );
    }
    // A schema behind the binary makes the server unready (once the last check, kept for a
    // second, is stale).
    sqlx::query("DELETE FROM _sqlx_migrations")
        .execute(&app.db.pool)
        .await
        .unwrap();
    for _ in 0..50 {
        let res = app
            .client
            .get(format!("{}/ready", app.admin_url))
            .send()
            .await
            .unwrap();
        if res.status() == 503 {
            let ready: Value = res.json().await.unwrap();
            assert_eq!(ready["migrations"], "behind");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server stayed ready on a schema behind it");
}

#[tokio::test]
async fn metrics_count_requests_errors_cache_and_pool() {
    let app = TestApp::spawn().await;
    app.post(json!({ "query": "query ListTags { tags { name } }", "operationName": "ListTags" }))
        .await;
    app.post(json!({ "query": "{ nope }" })).await;
    app.post(json!({ "query": "{ contracts { totalCount } }" }))
        .await;
    let text = app.metrics().await;
    for needle in [
        "registry_server_graphql_requests_total{operation=\"ListTags\"}",
        "registry_server_graphql_request_duration_seconds_bucket{operation=\"ListTags\"",
        "registry_server_graphql_errors_total{code=\"BAD_USER_INPUT\"}",
        "registry_server_cache_requests_total{cache=\"counts\",result=\"miss\"}",
        "registry_server_db_pool_connections{state=\"idle\"}",
        "registry_server_db_statements_total",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

#[tokio::test]
async fn server_refuses_to_start_on_a_database_behind_its_migrations() {
    let db = registry_core::testing::TestDb::new().await;
    sqlx::query("DELETE FROM _sqlx_migrations")
        .execute(&db.pool)
        .await
        .unwrap();
    let err = registry_server::App::build(registry_server::Config::for_database(&db.url))
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string()
            .contains("run `registry-indexer migrate` first"),
        "{err}"
    );
}

/// A built explorer in a fresh folder: `index.html`, a hashed asset and its gzip twin.
fn built_explorer() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("registry-web-{}", rand_suffix()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Soroban Registry</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/index-abc123.js"), "console.log(1)").unwrap();
    // The server sends the twin as it is; its bytes need not be real gzip for this test.
    std::fs::write(dir.join("assets/index-abc123.js.gz"), "gzip twin").unwrap();
    dir
}

fn rand_suffix() -> String {
    format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn the_explorer_is_served_at_its_own_routes_with_a_strict_policy() {
    let dir = built_explorer();
    let web = dir.clone();
    let app = TestApp::spawn_with(move |c| c.web_dir = Some(web)).await;
    // The app's routes all load index.html, so links and reloads work.
    for path in [
        "/",
        "/contracts?network=testnet",
        "/contracts/mainnet/CABC",
        "/no/such",
    ] {
        let res = app
            .client
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("<title>Soroban Registry")
        );
    }
    // Hashed assets are cached for good, and sent precompressed to clients that accept it.
    let res = app
        .client
        .get(format!("{}/assets/index-abc123.js", app.url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.headers()["vary"], "accept-encoding");
    assert_eq!(res.text().await.unwrap(), "gzip twin");
    // A missing asset is a 404, not the page (a script tag must not receive HTML).
    let res = app
        .client
        .get(format!("{}/assets/gone.js", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_ne!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // The API keeps its routes.
    let res = app
        .client
        .get(format!("{}/health", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn without_a_built_explorer_the_root_says_how_to_build_it() {
    let missing = std::env::temp_dir().join(format!("registry-web-missing-{}", rand_suffix()));
    let app = TestApp::spawn_with(move |c| c.web_dir = Some(missing)).await;
    let res = app
        .client
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("make web"));
    let res = app
        .client
        .post(format!("{}/graphql", app.url))
        .json(&json!({ "query": "{ tags { name } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_server_runs_on_a_role_that_can_only_read() {
    // The grants of docker/postgres/10-read-only-role.sh and docs/OPERATIONS.md, for a role
    // of this test's own.
    let owner = TestApp::spawn().await;
    known(&owner.db).await;
    let role = format!("ro_{}", uuid::Uuid::new_v4().simple());
    for sql in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
    ] {
        sqlx::query(&sql).execute(&owner.db.pool).await.unwrap();
    }
    let url = owner
        .db
        .url
        .replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    assert_ne!(url, owner.db.url);
    let app = TestApp::spawn_with(|c| c.database_url = registry_core::env::Secret::new(url)).await;
    let res = app
        .client
        .get(format!("{}/ready", app.admin_url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = app
        .graphql(
            "{ contracts(first: 5) { totalCount nodes { contractId abi { functions { name } } tags { name } } } \
               analytics { networkSummary(network: MAINNET) { contracts } indexerStatus { network } topContracts { invocations } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert!(data(&body)["contracts"]["totalCount"].as_i64() > Some(0));
    // It really cannot write.
    let denied = sqlx::query("DELETE FROM tags")
        .execute(&app.state.db.pool)
        .await
        .unwrap_err();
    assert!(denied.to_string().contains("permission denied"), "{denied}");
    drop(app);
    for sql in [format!("DROP OWNED BY {role}"), format!("DROP ROLE {role}")] {
        let _ = sqlx::query(&sql).execute(&owner.db.pool).await;
    }
}

/// The standard introspection query (13 levels deep through its type references) runs within
/// the default limits: GraphiQL and code generators depend on it.
#[tokio::test]
async fn the_standard_introspection_query_runs_within_the_default_limits() {
    let app = TestApp::spawn().await;
    let body = app
        .graphql(include_str!("introspection.graphql"), json!({}))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    assert_eq!(body["data"]["__schema"]["mutationType"]["name"], "Mutation");
}

/// A request validated once is not validated again, and only the same document with the same
/// variables counts as validated: other variables for a validated document are checked in
/// full (they are part of validation), and a refused request is refused every time.
#[tokio::test]
async fn validation_is_remembered_for_the_same_document_and_variables_only() {
    use registry_server::guard::Prepared;
    let app = TestApp::spawn_with(|c| c.cache.enabled = false).await;
    let q = "query($network: Network!, $first: Int) { contracts(first: $first, filter: { network: $network }) { totalCount } }";
    let send = |variables: &Value| {
        app.client
            .post(format!("{}/graphql", app.url))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": q, "variables": variables }))
            .send()
    };
    let digest = |variables: &Value| {
        Prepared::digest(
            &async_graphql::Request::new(q)
                .variables(async_graphql::Variables::from_json(variables.clone())),
        )
        .unwrap()
    };
    let good = json!({ "network": "MAINNET", "first": 5 });
    assert!(!app.state.prepared.validated(&digest(&good)));
    let res = send(&good).await.unwrap();
    assert_eq!(res.status(), 200);
    let first: Value = res.json().await.unwrap();
    assert_eq!(data(&first)["contracts"]["totalCount"], 0);
    assert!(app.state.prepared.validated(&digest(&good)));
    let again: Value = send(&good).await.unwrap().json().await.unwrap();
    assert_eq!(again, first);
    let metrics = app.metrics().await;
    assert!(
        metrics
            .contains("registry_server_cache_requests_total{cache=\"validated\",result=\"hit\"} 1"),
        "{metrics}"
    );

    // The validated document with a value its argument does not take: refused before
    // execution, as validation refuses it, each time.
    let bad = json!({ "network": "MOONNET", "first": 5 });
    for _ in 0..2 {
        let res = send(&bad).await.unwrap();
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert!(body.get("data").is_none(), "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("Invalid value for argument") && message.contains("MOONNET"),
            "{body}"
        );
        assert!(!app.state.prepared.validated(&digest(&bad)));
    }
}
