//! Bad input and failures: exit codes and messages, never a panic.

use crate::helpers::{Cli, Options, Server, closed_port, seeded};

/// A well-formed address the registry does not know.
const UNKNOWN: &str = "CAEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQTD2L";

#[tokio::test(flavor = "multi_thread")]
async fn unknown_things_exit_3_with_a_message() {
    let db = seeded().await;
    let server = Server::start(&db.url, 0, Options::default());
    let cli = Cli::new(&server.url, "unknown");
    for (args, message) in [
        (
            vec!["show", UNKNOWN],
            format!("error: no contract {UNKNOWN} on any network\n"),
        ),
        (
            vec!["show", UNKNOWN, "--network", "testnet"],
            format!("error: no contract {UNKNOWN} on testnet\n"),
        ),
        (
            vec!["abi", UNKNOWN, "-n", "mainnet"],
            format!("error: no contract {UNKNOWN} on mainnet\n"),
        ),
        (
            vec!["versions", UNKNOWN],
            format!("error: no contract {UNKNOWN} on any network\n"),
        ),
        (
            vec!["--json", "wasm", &"ab".repeat(32)],
            format!("error: no WASM {}\n", "ab".repeat(32)),
        ),
        (
            vec![
                "publisher",
                "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF",
            ],
            "error: no publisher GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF\n"
                .to_owned(),
        ),
    ] {
        let out = cli.run(&args).await;
        assert_eq!(out.code, 3, "{args:?}: {out:?}");
        assert_eq!(out.stderr, message, "{args:?}");
        assert_eq!(out.stdout, "", "{args:?}");
    }
}

#[tokio::test]
async fn malformed_input_exits_2_without_asking_the_server() {
    // Nothing listens there: a request would fail with exit 1, not 2.
    let cli = Cli::new(&format!("http://127.0.0.1:{}", closed_port()), "malformed");
    for args in [
        vec!["show", "CNOTANADDRESS"],
        // A G… account is not a contract.
        vec![
            "show",
            "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF",
        ],
        // One character changed: the checksum fails.
        vec![
            "abi",
            "CAEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQTD2M",
        ],
        vec!["versions", "nonet/name"],
        vec!["claim", "testnet/"],
        vec!["wasm", "abc"],
        vec![
            "publisher",
            "CAEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQTD2L",
        ],
        vec!["search", "--network", "moon"],
        vec!["frobnicate"],
    ] {
        let out = cli.run(&args).await;
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.starts_with("error: "), "{args:?}: {out:?}");
        assert!(!out.stderr.contains("panicked"), "{args:?}: {out:?}");
    }
    let out = cli.run(&["show", "CNOTANADDRESS"]).await;
    assert!(
        out.stderr.starts_with(
            "error: invalid value 'CNOTANADDRESS' for '<CONTRACT>': not a contract address (C…, 56 characters) nor NETWORK/NAME\n"
        ),
        "{out:?}"
    );
}

#[tokio::test]
async fn a_registry_that_is_down_is_named_and_exits_1() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let cli = Cli::new(&url, "down");
    for args in [
        vec!["tags"],
        vec!["--json", "search", "x"],
        vec!["show", UNKNOWN],
        vec!["status"],
        vec!["watch"],
    ] {
        let out = cli.run(&args).await;
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert_eq!(
            out.stderr,
            format!("error: cannot reach the registry at {url}: connection refused\n"),
            "{args:?}"
        );
        assert_eq!(out.stdout, "");
    }
}

#[tokio::test]
async fn commands_that_need_a_sign_in_say_so() {
    let cli = Cli::new("http://127.0.0.1:1", "nosignin");
    let out = cli.run(&["claim", UNKNOWN, "--network", "testnet"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: not signed in to http://127.0.0.1:1: run `registry login` first\n"
    );
    // No secret key: a usage error.
    let out = cli.run(&["login"]).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("REGISTRY_SECRET_KEY"), "{out:?}");
}
