//! Sign-in (SEP-10) against the real server, with the simulated network's RPC serving the
//! accounts: the token is stored privately, the writes work for the deployer's account, and
//! logout forgets the token.

use registry_core::Network;
use registry_devtools::sim::chain::{Chain, Profile};
use registry_devtools::sim::server::SimRpc;

use crate::helpers::{Cli, Options, Server, json, seeded};

fn secret(n: u8) -> String {
    format!(
        "{}",
        stellar_strkey::ed25519::PrivateKey([n; 32]).as_unredacted()
    )
}

fn account(n: u8) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[n; 32]);
    format!(
        "{}",
        stellar_strkey::ed25519::PublicKey(key.verifying_key().to_bytes())
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn login_claim_tag_release_and_logout() {
    let db = seeded().await;
    let rpc = SimRpc::start(Chain::new(Network::Testnet, Profile::test(), 1, 2), 1, 0)
        .await
        .unwrap();
    let server = Server::start(
        &db.url,
        0,
        Options {
            rpc_url: Some(rpc.url.clone()),
        },
    );
    let url = server.url.clone();
    let mut cli = Cli::new(&url, "auth");
    let me = account(21);

    // Two testnet WASM contracts nobody holds: the first deployed by this account.
    let free: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.contract_id, encode(w.hash, 'hex') FROM contracts c JOIN wasm_codes w ON w.pk = c.wasm_pk \
         WHERE c.network = 'testnet' ORDER BY c.pk LIMIT 2",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let [(mine, my_wasm), (theirs, _)] = <[(String, String); 2]>::try_from(free).unwrap();
    sqlx::query(
        "UPDATE contracts SET publisher_pk = NULL, deployer = CASE WHEN contract_id = $1 THEN $2 ELSE deployer END \
         WHERE contract_id IN ($1, $3)",
    )
    .bind(&mine)
    .bind(&me)
    .bind(&theirs)
    .execute(&db.pool)
    .await
    .unwrap();

    // Sign in with a key in a file.
    let key_file = cli.config.0.join("key");
    std::fs::write(&key_file, format!("{}\n", secret(21))).unwrap();
    let out = cli
        .ok(&["login", "--secret-file", key_file.to_str().unwrap()])
        .await;
    assert_eq!(out, format!("signed in to {url} as {me}\n"));
    let credentials = cli.config.0.join("credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&credentials)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the token is private");
    }
    let stored = json(&std::fs::read_to_string(&credentials).unwrap());
    assert_eq!(stored[&url]["account"], me.as_str());
    assert!(stored[&url]["token"].as_str().unwrap().len() > 20);

    // The deployer claims its contract (found on its network without --network).
    let out = cli.ok(&["claim", &mine]).await;
    assert_eq!(out, format!("claimed {mine} on testnet for {me}\n"));
    let shown = cli.ok(&["show", &mine]).await;
    assert!(
        shown.contains(&format!("\nPublisher      {me}\n")),
        "{shown}"
    );

    // Manual tags, as JSON.
    let out = json(&cli.ok(&["--json", "tag", &mine, "defi", "example"]).await);
    assert_eq!(out["contractId"], mine.as_str());
    assert_eq!(out["network"], "TESTNET");
    let manual: Vec<&str> = out["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == "MANUAL")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(manual, ["defi", "example"]);
    let out = cli.run(&["tag", &mine, "not-a-vocabulary-tag"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.starts_with("error: BAD_USER_INPUT: "), "{out:?}");
    let out = cli
        .ok(&["tag", &mine, "--clear", "--network", "testnet"])
        .await;
    assert!(
        out.starts_with(&format!("tags of {mine} on testnet: ")),
        "{out}"
    );
    assert!(!out.contains("(manual)"), "{out}");

    // A new check of the WASM it runs: refused while its meta names no repository, then
    // queued.
    let out = cli.run(&["verify", &my_wasm]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: BAD_USER_INPUT: this WASM's meta names no source_repo"),
        "{out:?}"
    );
    sqlx::query(
        "UPDATE wasm_codes SET meta = meta || '[{\"key\": \"source_repo\", \"value\": \"github:acme/widget\"}]'::jsonb \
         WHERE encode(hash, 'hex') = $1",
    )
    .bind(&my_wasm)
    .execute(&db.pool)
    .await
    .unwrap();
    let out = cli.ok(&["verify", &my_wasm]).await;
    assert!(out.ends_with(", queued\n"), "{out}");
    assert!(
        out.starts_with(&format!("verification of {my_wasm} requested: ")),
        "{out}"
    );

    // Someone else's contract: the API's refusal, with its code.
    let out = cli.run(&["claim", &theirs]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.starts_with("error: FORBIDDEN: "), "{out:?}");
    assert_eq!(out.stdout, "");

    let out = json(&cli.ok(&["--json", "release", &mine]).await);
    assert_eq!(
        out,
        serde_json::json!({ "contractId": mine, "network": "TESTNET", "publisher": null })
    );

    // Logout forgets the token; the writes then need a sign-in again.
    assert_eq!(
        cli.ok(&["logout"]).await,
        format!("signed out of {url} ({me})\n")
    );
    assert!(!credentials.exists());
    assert_eq!(
        cli.ok(&["logout"]).await,
        format!("not signed in to {url}\n")
    );
    let out = cli.run(&["claim", &mine]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!("error: not signed in to {url}: run `registry login` first\n")
    );

    // Sign in with the key in the environment, as JSON.
    cli.env.push(("REGISTRY_SECRET_KEY".to_owned(), secret(21)));
    let out = json(&cli.ok(&["--json", "login"]).await);
    assert_eq!(out, serde_json::json!({ "url": url, "account": me }));
    let out = json(&cli.ok(&["--json", "logout"]).await);
    assert_eq!(out, serde_json::json!({ "url": url, "signedOut": true }));

    // Sign in with a `stellar keys` identity of the project the command runs in (the
    // global one is elsewhere, so only the project's can be found).
    cli.env.clear();
    let project = cli.config.0.join("project");
    std::fs::create_dir_all(project.join(".stellar/identity")).unwrap();
    std::fs::write(
        project.join(".stellar/identity/deployer.toml"),
        format!("secret_key = \"{}\"\n", secret(21)),
    )
    .unwrap();
    let out = cli
        .command(&["--json", "login", "--identity", "deployer"])
        .current_dir(&project)
        .env("STELLAR_CONFIG_HOME", cli.config.0.join("no-global"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        json(std::str::from_utf8(&out.stdout).unwrap()),
        serde_json::json!({ "url": url, "account": me })
    );
}
