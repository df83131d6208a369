//! The typed ABI: functions, user types and events from real WASM, the built-in interface of
//! Stellar Asset Contracts, and the raw spec JSON.

use serde_json::{Value, json};

use crate::helpers::{TestApp, data, known};

const TYPE: &str = "kind display name n elementType { display } valueType { display } keyType { display } okType { display } errorType { display } valueTypes { display }";

fn abi_query() -> String {
    format!(
        r#"query($network: Network!, $id: String!) {{
          contract(network: $network, contractId: $id) {{
            abi {{
              builtin
              functions {{ name doc signature inputs {{ name type {{ {TYPE} }} }} outputs {{ {TYPE} }} }}
              structs {{ name doc fields {{ name type {{ display }} }} }}
              unions {{ name cases {{ name types {{ display }} }} }}
              enums {{ name cases {{ name value }} }}
              errorEnums {{ name cases {{ name doc value }} }}
              events {{ name prefixTopics dataFormat params {{ name location type {{ display }} }} }}
              raw
            }}
          }}
        }}"#
    )
}

#[tokio::test]
async fn hello_world_abi_matches_its_snapshot() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(&abi_query(), json!({ "network": "MAINNET", "id": k.hello }))
        .await;
    insta::assert_json_snapshot!("hello_world_abi", data(&body));
}

#[tokio::test]
async fn custom_types_abi_links_every_user_type_to_its_definition() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(
            &abi_query(),
            json!({ "network": "MAINNET", "id": k.custom }),
        )
        .await;
    let abi = &data(&body)["contract"]["abi"];
    assert_eq!(abi["builtin"], false);
    assert_eq!(abi["functions"].as_array().unwrap().len(), 37);
    let defined: Vec<&str> = ["structs", "unions", "enums", "errorEnums"]
        .iter()
        .flat_map(|k| {
            abi[*k]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap())
        })
        .collect();
    let mut udts = 0;
    for f in abi["functions"].as_array().unwrap() {
        for t in f["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| &i["type"])
            .chain(f["outputs"].as_array().unwrap())
        {
            if t["kind"] == "UDT" {
                udts += 1;
                assert!(
                    defined.contains(&t["name"].as_str().unwrap()),
                    "{} is not defined",
                    t["name"]
                );
            }
        }
    }
    assert!(udts > 5);
    // Compound types expose their parts.
    let find = |name: &str| {
        abi["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    let map = &find("map")["inputs"][0]["type"];
    assert_eq!(map["kind"], "MAP");
    assert_eq!(
        map["display"],
        format!(
            "Map<{}, {}>",
            map["keyType"]["display"].as_str().unwrap(),
            map["valueType"]["display"].as_str().unwrap()
        )
    );
    let bytes_n = &find("bytes_n")["inputs"][0]["type"];
    assert_eq!(
        (bytes_n["kind"].as_str(), bytes_n["n"].as_u64()),
        (Some("BYTES_N"), Some(9))
    );
    assert_eq!(abi["events"].as_array().unwrap().len(), 3);
    // The raw spec is stellar-xdr's JSON, one entry per spec entry.
    let raw = abi["raw"].as_array().unwrap();
    let entries = [
        "functions",
        "structs",
        "unions",
        "enums",
        "errorEnums",
        "events",
    ]
    .iter()
    .map(|k| abi[*k].as_array().unwrap().len())
    .sum::<usize>();
    assert_eq!(raw.len(), entries);
    assert!(raw.iter().any(|e| e.get("function_v0").is_some()));
}

#[tokio::test]
async fn stellar_asset_contract_has_the_builtin_token_interface() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(&abi_query(), json!({ "network": "TESTNET", "id": k.sac }))
        .await;
    let abi = &data(&body)["contract"]["abi"];
    assert_eq!(abi["builtin"], true);
    assert_eq!(abi["raw"], Value::Null);
    let names: Vec<&str> = abi["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for f in [
        "transfer",
        "balance",
        "allowance",
        "approve",
        "mint",
        "clawback",
        "set_admin",
    ] {
        assert!(names.contains(&f), "{f} missing");
    }
    let transfer = abi["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "transfer")
        .unwrap();
    assert_eq!(
        transfer["signature"],
        "fn transfer(from: Address, to: MuxedAddress, amount: i128)"
    );
}

/// The raw spec's object keys come out by name, as they always have, not in the order
/// PostgreSQL's `jsonb` stores them (by length): a client diffing answers sees no change.
#[tokio::test]
async fn raw_spec_keys_come_out_by_name() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let text = app
        .post(json!({
            "query": "query($id: String!) { contract(network: MAINNET, contractId: $id) { abi { raw } } }",
            "variables": { "id": k.hello },
        }))
        .await
        .text()
        .await
        .unwrap();
    let function = text.find("\"function_v0\"").expect("a function entry");
    let at = |key: &str| {
        function
            + text[function..]
                .find(&format!("\"{key}\""))
                .unwrap_or_else(|| panic!("{key} in {text}"))
    };
    assert!(
        at("doc") < at("inputs") && at("inputs") < at("name") && at("name") < at("outputs"),
        "{text}"
    );
}
