//! Names from the on-chain Stellar Registry (theahaco/scaffold-stellar `contracts/registry`):
//! each network has one root ("managed") registry whose events name WASMs and contracts.
//!
//! | event | what it says |
//! |---|---|
//! | `publish` | `wasm_name` at `version` is the WASM `wasm_hash` (by `author`) |
//! | `deploy` | `contract_id` was deployed from `wasm_name` at `version` (older registries also name it: `contract_name`) |
//! | `register` | `contract_name` is `contract_id` |
//! | `rename` | the contract named `old_name` is now `new_name` |
//! | `update_address` | `contract_name` now names `new_address` |
//!
//! Each event has one symbol topic and a map as data (the SDK's default). When the registry's
//! own WASM is known its event specs (SEP-48) decode the events, so a registry that changes
//! its event shapes is still read right; otherwise the default shape is read by key. Names
//! follow the registry's rules (lower case, starting with a letter, at most 64 characters);
//! anything else is ignored.

use registry_core::spec::ContractSpec;
use registry_core::spec::events::{DecodedEvent, decode_default, decode_with_spec};
use registry_core::stellar::address_strkey;
use registry_core::{ContractId, Network, WasmHash};
use stellar_xdr::ScVal;

use crate::xdr::{contract_of, text};

/// The root registry of each public network.
pub fn root_registry(network: Network) -> Option<ContractId> {
    let id = match network {
        Network::Mainnet => "CCRKU6NT4CRG4TVKLCCJFU7EOSAUBHWGBJF2JWZJSKTJTXCXXTKOJIUS",
        Network::Testnet => "CBFFTTX7QKA76FS4LHHQG54BC7JF5RMEX4RTNNJ5KEL76LYHVO3E3OEE",
        Network::Futurenet => "CBUP2U7IY4GBZWILAGFGBOGEJEVSWZ6FAIKAX2L7PYOEE7R556LNXRJM",
        Network::Local => return None,
    };
    id.parse().ok()
}

/// An event of a root registry, as emitted.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RegistryEvent {
    /// The registry that emitted it.
    pub registry: ContractId,
    /// Its topics.
    #[serde(skip)]
    pub topics: Vec<ScVal>,
    /// Its data.
    #[serde(skip)]
    pub data: ScVal,
}

/// What a registry event means for the registry's names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Naming {
    /// A WASM published under a name and version.
    Published {
        name: String,
        version: String,
        wasm: WasmHash,
        author: Option<String>,
    },
    /// A contract deployed from a published WASM (and, from older registries, named).
    Deployed {
        contract: ContractId,
        name: Option<String>,
    },
    /// A name given to a contract (or moved to another address).
    Registered { name: String, contract: ContractId },
    /// A contract's name changed.
    Renamed { old: String, new: String },
}

/// The longest name the registry accepts.
const MAX_NAME: usize = 64;

fn name(v: Option<&ScVal>) -> Option<String> {
    let ScVal::String(s) = v? else { return None };
    let n = text(s.0.as_slice());
    let ok = n.len() <= MAX_NAME
        && n.starts_with(|c: char| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    ok.then_some(n)
}

fn version(v: Option<&ScVal>) -> Option<String> {
    let ScVal::String(s) = v? else { return None };
    let v = text(s.0.as_slice());
    (!v.is_empty() && v.len() <= 64).then_some(v)
}

fn contract(v: Option<&ScVal>) -> Option<ContractId> {
    match v? {
        ScVal::Address(a) => contract_of(a),
        _ => None,
    }
}

/// Reads an event through the registry's spec when it is known, else in the default shape.
pub fn decode(event: &RegistryEvent, spec: Option<&ContractSpec>) -> Option<DecodedEvent> {
    spec.and_then(|s| decode_with_spec(s, &event.topics, &event.data))
        .or_else(|| decode_default(&event.topics, &event.data))
}

/// What the event says about names, if anything.
pub fn interpret(event: &RegistryEvent, spec: Option<&ContractSpec>) -> Option<Naming> {
    let e = decode(event, spec)?;
    let f = |k: &str| e.fields.get(k);
    match e.name.as_str() {
        "publish" => {
            let ScVal::Bytes(h) = f("wasm_hash")? else {
                return None;
            };
            Some(Naming::Published {
                name: name(f("wasm_name"))?,
                version: version(f("version"))?,
                wasm: WasmHash::from_slice(h.0.as_slice())?,
                author: match f("author") {
                    Some(ScVal::Address(a)) => address_strkey(a),
                    _ => None,
                },
            })
        }
        "deploy" => Some(Naming::Deployed {
            contract: contract(f("contract_id"))?,
            name: name(f("contract_name")),
        }),
        "register" => Some(Naming::Registered {
            name: name(f("contract_name"))?,
            contract: contract(f("contract_id"))?,
        }),
        "update_address" => Some(Naming::Registered {
            name: name(f("contract_name"))?,
            contract: contract(f("new_address"))?,
        }),
        "rename" => Some(Naming::Renamed {
            old: name(f("old_name"))?,
            new: name(f("new_name"))?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xdr::contract_address;
    use stellar_xdr::{ScMap, ScMapEntry};

    fn sym(s: &str) -> ScVal {
        ScVal::Symbol(s.try_into().unwrap())
    }

    fn string(s: &str) -> ScVal {
        ScVal::String(stellar_xdr::ScString(s.try_into().unwrap()))
    }

    fn event(topic: &str, fields: Vec<(&str, ScVal)>) -> RegistryEvent {
        RegistryEvent {
            registry: root_registry(Network::Testnet).unwrap(),
            topics: vec![sym(topic)],
            data: ScVal::Map(Some(ScMap(
                fields
                    .into_iter()
                    .map(|(k, v)| ScMapEntry {
                        key: sym(k),
                        val: v,
                    })
                    .collect::<Vec<_>>()
                    .try_into()
                    .unwrap(),
            ))),
        }
    }

    #[test]
    fn the_root_registries_are_the_published_ones() {
        assert_eq!(
            root_registry(Network::Mainnet).unwrap().to_string(),
            "CCRKU6NT4CRG4TVKLCCJFU7EOSAUBHWGBJF2JWZJSKTJTXCXXTKOJIUS"
        );
        assert!(root_registry(Network::Local).is_none());
    }

    #[test]
    fn publish_register_and_rename_are_read() {
        let c = ContractId([3; 32]);
        let published = interpret(
            &event(
                "publish",
                vec![
                    ("author", ScVal::Address(contract_address(c))),
                    ("version", string("1.2.0")),
                    ("wasm_hash", ScVal::Bytes(vec![9u8; 32].try_into().unwrap())),
                    ("wasm_name", string("hello_world")),
                ],
            ),
            None,
        );
        assert_eq!(
            published,
            Some(Naming::Published {
                name: "hello_world".into(),
                version: "1.2.0".into(),
                wasm: WasmHash([9; 32]),
                author: Some(c.to_string()),
            })
        );
        let registered = interpret(
            &event(
                "register",
                vec![
                    ("contract_id", ScVal::Address(contract_address(c))),
                    ("contract_name", string("my-token")),
                    ("sac", ScVal::Bool(false)),
                    ("wasm_hash", ScVal::Void),
                ],
            ),
            None,
        );
        assert_eq!(
            registered,
            Some(Naming::Registered {
                name: "my-token".into(),
                contract: c
            })
        );
        let renamed = interpret(
            &event(
                "rename",
                vec![("new_name", string("b")), ("old_name", string("a"))],
            ),
            None,
        );
        assert_eq!(
            renamed,
            Some(Naming::Renamed {
                old: "a".into(),
                new: "b".into()
            })
        );
    }

    #[test]
    fn names_outside_the_registry_rules_are_ignored() {
        let c = ContractId([3; 32]);
        for bad in ["", "Upper", "9lives", "evil\u{1b}[2J", &"a".repeat(65)] {
            let e = event(
                "register",
                vec![
                    ("contract_id", ScVal::Address(contract_address(c))),
                    ("contract_name", string(bad)),
                ],
            );
            assert_eq!(interpret(&e, None), None, "{bad:?}");
        }
    }
}
