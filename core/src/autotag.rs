//! Tags derived from a contract's interface. The rules live in this one table; the indexer
//! applies them to every new or upgraded contract, `registry-indexer retag` re-applies them to
//! the whole registry, and the seeder uses them so seeded data looks like indexed data.
//! Applying them is idempotent: the same interface always yields the same tags.

use crate::kinds::ContractKind;
use crate::spec::ContractSpec;

/// One rule: a tag name and the test an interface must pass to carry it.
pub struct Rule {
    /// The tag (lower-case, hyphenated).
    pub tag: &'static str,
    /// What the rule means, for documentation and the API.
    pub description: &'static str,
    test: fn(ContractKind, &ContractSpec) -> bool,
}

/// The SEP-41 token interface: every function a token must export.
pub const SEP41_FUNCTIONS: &[&str] = &[
    "allowance",
    "approve",
    "balance",
    "transfer",
    "transfer_from",
    "burn",
    "burn_from",
    "decimals",
    "name",
    "symbol",
];

/// Every auto-tag rule.
pub const RULES: &[Rule] = &[
    Rule {
        tag: "sep-41",
        description: "exports the SEP-41 token interface",
        test: |_, s| SEP41_FUNCTIONS.iter().all(|f| s.function(f).is_some()),
    },
    Rule {
        tag: "stellar-asset",
        description: "is the built-in Stellar Asset Contract of a classic asset",
        test: |k, _| k == ContractKind::StellarAsset,
    },
    Rule {
        tag: "upgradeable",
        description: "exports a function that replaces its own WASM (named upgrade…, or taking a new wasm hash)",
        test: |k, s| {
            k == ContractKind::Wasm
                && s.functions.iter().any(|f| {
                    f.name.starts_with("upgrade")
                        || f.inputs
                            .iter()
                            .any(|i| i.name.contains("wasm_hash") || i.name.contains("wasm_digest"))
                })
        },
    },
    Rule {
        tag: "has-constructor",
        description: "exports __constructor (protocol 22+), run once at deployment",
        test: |_, s| s.function("__constructor").is_some(),
    },
    Rule {
        tag: "emits-events",
        description: "declares the events it emits (contractevent specs)",
        test: |_, s| !s.events.is_empty(),
    },
    Rule {
        tag: "custom-account",
        description: "exports __check_auth: a smart wallet or custom account",
        test: |_, s| s.function("__check_auth").is_some(),
    },
];

/// The auto-tags of a contract with this kind and interface, in rule order, then one
/// `sep-N` tag per SEP its meta declares (SEP-47; a claim, not a check: `sep-41` from the
/// rule above is the checked one, and a declared SEP-41 shows under the same tag).
pub fn tags_for(kind: ContractKind, spec: &ContractSpec, declared_seps: &[u32]) -> Vec<String> {
    let mut tags: Vec<String> = RULES
        .iter()
        .filter(|r| (r.test)(kind, spec))
        .map(|r| r.tag.to_owned())
        .collect();
    for n in declared_seps {
        let tag = format!("sep-{n}");
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// Names of every tag a rule can produce (so `retag` knows which auto-tags to replace).
pub fn rule_tags() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.tag)
}

/// The tags a contract's owner may set by hand (`setContractTags`): what a contract is for,
/// which its interface cannot tell. None is a tag a rule produces, so an owner cannot claim an
/// interface (`sep-41`) the contract does not have.
pub const MANUAL_TAGS: &[&str] = &[
    "amm",
    "bridge",
    "dao",
    "defi",
    "dex",
    "example",
    "gaming",
    "governance",
    "identity",
    "launchpad",
    "lending",
    "multisig",
    "nft",
    "oracle",
    "payments",
    "rwa",
    "stablecoin",
    "staking",
    "test",
    "vault",
    "wallet",
    "yield",
];

/// The most manual tags a contract carries.
pub const MAX_MANUAL_TAGS: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_tags_are_sorted_and_never_a_rules_tag_or_a_sep() {
        assert!(MANUAL_TAGS.windows(2).all(|w| w[0] < w[1]));
        for t in MANUAL_TAGS {
            assert!(!rule_tags().any(|r| r == *t), "{t} is a rule's tag");
            assert!(!t.starts_with("sep-"), "{t}");
        }
    }
    use crate::spec::sac::stellar_asset_spec;

    #[test]
    fn stellar_asset_contract_is_a_sep41_token() {
        assert_eq!(
            tags_for(ContractKind::StellarAsset, stellar_asset_spec(), &[]),
            vec!["sep-41", "stellar-asset", "emits-events"]
        );
    }

    #[test]
    fn empty_interface_gets_no_tags() {
        assert!(tags_for(ContractKind::Wasm, &ContractSpec::default(), &[]).is_empty());
    }

    #[test]
    fn declared_seps_become_tags_once() {
        assert_eq!(
            tags_for(ContractKind::StellarAsset, stellar_asset_spec(), &[40, 41]),
            vec!["sep-41", "stellar-asset", "emits-events", "sep-40"]
        );
    }
}
