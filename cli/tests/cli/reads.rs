//! Every read command, as text and as JSON, on the seeded data set: compared with the files
//! in tests/snapshots/.

use registry_core::testing::TestDb;

use crate::helpers::{Cli, Options, Server, json, pretty, seeded, snapshot};

/// `(network, contract id)` of the first contract (by primary key) that `condition` selects.
async fn contract_where(db: &TestDb, condition: &str) -> (String, String) {
    sqlx::query_as(&format!(
        "SELECT c.network::text, c.contract_id FROM contracts c \
         LEFT JOIN wasm_codes w ON w.pk = c.wasm_pk WHERE {condition} ORDER BY c.pk LIMIT 1"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn setup(name: &str) -> (TestDb, Server, Cli) {
    let db = seeded().await;
    let server = Server::start(&db.url, 0, Options::default());
    let cli = Cli::new(&server.url, name);
    (db, server, cli)
}

/// Text and JSON of one command, each compared with its snapshot.
async fn both(cli: &Cli, name: &str, args: &[&str]) {
    let text = cli.ok(args).await;
    snapshot(&format!("{name}.txt"), &text);
    let mut with_json = vec!["--json"];
    with_json.extend_from_slice(args);
    let out = cli.ok(&with_json).await;
    snapshot(&format!("{name}.json"), &pretty(&json(&out)));
}

#[tokio::test(flavor = "multi_thread")]
async fn search_by_text_and_filters() {
    let (_db, _server, cli) = setup("search").await;
    both(&cli, "search_text", &["search", "oracle"]).await;
    both(
        &cli,
        "search_filters",
        &[
            "search",
            "--network",
            "testnet",
            "--kind",
            "wasm",
            "--limit",
            "5",
        ],
    )
    .await;
    both(
        &cli,
        "search_tag",
        &["search", "--tag", "token", "--limit", "3"],
    )
    .await;
    both(
        &cli,
        "search_implements",
        &[
            "search",
            "--implements",
            "hello",
            "--network",
            "mainnet",
            "--limit",
            "3",
        ],
    )
    .await;
    let none = cli.ok(&["search", "no-such-word-anywhere"]).await;
    assert_eq!(none, "no contracts match\n");
    // --limit is checked before anything is sent.
    let out = cli.run(&["search", "x", "--limit", "0"]).await;
    assert_eq!(out.code, 2, "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn show_a_contract_by_address_or_registered_name() {
    let (db, _server, cli) = setup("show").await;
    let (network, rich) = contract_where(
        &db,
        "'strukt' = ANY(w.function_names) AND c.publisher_pk IS NOT NULL",
    )
    .await;
    both(&cli, "show_wasm_contract", &["show", &rich]).await;
    // The same with --network: no lookup across networks, the same answer.
    let with_network = cli.ok(&["show", &rich, "--network", &network]).await;
    assert_eq!(with_network, cli.ok(&["show", &rich]).await);
    let (_, sac) = contract_where(&db, "c.kind = 'stellar_asset'").await;
    both(&cli, "show_asset_contract", &["show", &sac]).await;

    // A name in the network's root Stellar Registry.
    sqlx::query("UPDATE contracts SET registered_name = 'hello_world' WHERE contract_id = $1")
        .bind(&rich)
        .execute(&db.pool)
        .await
        .unwrap();
    let by_name = cli.ok(&["show", &format!("{network}/hello_world")]).await;
    assert!(
        by_name.contains(&format!("Contract       {rich}\n")),
        "{by_name}"
    );
    assert!(
        by_name.contains("Registered as  hello_world\n"),
        "{by_name}"
    );
    let out = cli.run(&["show", &format!("{network}/nobody")]).await;
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        out.stderr,
        format!("error: no contract named nobody on {network}\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn abi_as_rust_json_and_raw() {
    let (db, _server, cli) = setup("abi").await;
    let (_, rich) = contract_where(&db, "'strukt' = ANY(w.function_names)").await;
    snapshot("abi_custom_types.rs.txt", &cli.ok(&["abi", &rich]).await);
    let json_abi = cli.ok(&["abi", &rich, "--format", "json"]).await;
    snapshot("abi_custom_types.json", &pretty(&json(&json_abi)));
    // --json alone means --format json.
    assert_eq!(cli.ok(&["--json", "abi", &rich]).await, json_abi);
    let raw = json(&cli.ok(&["abi", &rich, "--format", "raw"]).await);
    let stored: serde_json::Value = sqlx::query_scalar(
        "SELECT w.spec FROM contracts c JOIN wasm_codes w ON w.pk = c.wasm_pk WHERE c.contract_id = $1",
    )
    .bind(&rich)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(raw, stored, "raw is the stored spec JSON, unchanged");

    let (_, hello) = contract_where(&db, "w.function_names = ARRAY['hello']").await;
    snapshot("abi_hello.rs.txt", &cli.ok(&["abi", &hello]).await);

    // A Stellar Asset Contract: its built-in interface, and no raw spec.
    let (_, sac) = contract_where(&db, "c.kind = 'stellar_asset'").await;
    snapshot("abi_asset.rs.txt", &cli.ok(&["abi", &sac]).await);
    let out = cli.run(&["abi", &sac, "--format", "raw"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: {sac} has the built-in interface of a Stellar Asset Contract: there is no spec to print raw\n"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn versions_wasm_and_publisher() {
    let (db, _server, cli) = setup("history").await;
    let (_, upgraded) = contract_where(
        &db,
        "(SELECT count(*) FROM contract_versions v WHERE v.contract_pk = c.pk) >= 3",
    )
    .await;
    both(&cli, "versions", &["versions", &upgraded]).await;

    let hash: String = sqlx::query_scalar(
        "SELECT encode(w.hash, 'hex') FROM wasm_codes w WHERE 'strukt' = ANY(w.function_names) \
         AND EXISTS (SELECT FROM contracts c WHERE c.wasm_pk = w.pk) ORDER BY w.pk LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    both(&cli, "wasm", &["wasm", &hash]).await;

    let publisher: String = sqlx::query_scalar(
        "SELECT p.address FROM publishers p WHERE p.website IS NOT NULL ORDER BY p.pk LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    both(&cli, "publisher", &["publisher", &publisher]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_and_indexer_status() {
    let (_db, _server, cli) = setup("tags").await;
    both(&cli, "tags", &["tags"]).await;
    both(&cli, "tags_futurenet", &["tags", "--network", "futurenet"]).await;

    snapshot("status.txt", &cli.ok(&["status"]).await);
    // `lagSeconds` counts from now: the one value that is not stable.
    let mut status = json(&cli.ok(&["--json", "status"]).await);
    for s in status.as_array_mut().unwrap() {
        assert!(s["lagSeconds"].as_i64().unwrap() > 0, "{s}");
        s["lagSeconds"] = serde_json::json!("<from now>");
    }
    snapshot("status.json", &pretty(&status));
}

#[tokio::test]
async fn completions_for_each_shell() {
    let cli = Cli::new("http://127.0.0.1:1", "completions");
    for shell in ["bash", "zsh", "fish"] {
        let script = cli.ok(&["completions", shell]).await;
        for word in [
            "search",
            "show",
            "abi",
            "watch",
            "login",
            "network",
            "secret-file",
        ] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    let out = cli.run(&["completions", "tcsh"]).await;
    assert_eq!(out.code, 2, "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn text_from_the_registry_cannot_drive_the_terminal() {
    let (db, _server, cli) = setup("escapes").await;
    let (_, id) = contract_where(&db, "c.kind = 'wasm'").await;
    // What a hostile registry could send: an OSC 52 clipboard write and a right-to-left
    // override (written here past the server's own sanitising).
    sqlx::query("UPDATE contracts SET name = $1 WHERE contract_id = $2")
        .bind("Evil\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{202e}kcatta")
        .bind(&id)
        .execute(&db.pool)
        .await
        .unwrap();
    for args in [vec!["show", id.as_str()], vec!["search", "--limit", "100"]] {
        let out = cli.ok(&args).await;
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
            "{args:?}: {out:?}"
        );
        assert!(
            out.contains("Evil\\u{1b}]52;c;cm0gLXJmIH4=\\u{7}\\u{202e}kcatta"),
            "{args:?}: {out}"
        );
    }
}
