//! The synthetic chain decodes like a real one, and extraction recovers exactly what the
//! generator did.

use std::collections::HashMap;

use registry_core::{ContractId, Network};
use registry_indexer::extract::{Change, extract};
use registry_indexer::ledger::decode;
use registry_indexer::sim::chain::{Chain, Profile};

#[test]
fn extraction_recovers_every_upload_deployment_upgrade_and_invocation() {
    let mut chain = Chain::new(Network::Local, Profile::test(), 11, 100);
    let mut uploads = Vec::new();
    let mut deployments = Vec::new();
    let mut upgrades = Vec::new();
    let mut invocations: HashMap<ContractId, (u64, u64)> = HashMap::new();
    let mut meta_versions = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let sim = chain.next_ledger();
        let ledger = decode(sim.seq, &sim.metadata_xdr, Network::Local.network_id()).unwrap();
        assert_eq!(ledger.hash, sim.hash);
        assert_eq!(ledger.txs.len(), sim.txs.len());
        assert!(
            ledger.txs.iter().all(|t| t.source.is_some()),
            "every envelope joined, fee bumps included"
        );
        meta_versions.insert(match &ledger.txs.last().unwrap().meta {
            stellar_xdr::TransactionMeta::V3(_) => 3,
            stellar_xdr::TransactionMeta::V4(_) => 4,
            _ => 0,
        });
        for c in extract(Network::Local, &ledger) {
            match c {
                Change::WasmUploaded { hash, .. } => uploads.push(hash),
                Change::ContractDeployed {
                    contract, deployer, ..
                } => {
                    assert!(deployer.is_some());
                    deployments.push(contract)
                }
                Change::ContractUpgraded {
                    contract, old, new, ..
                } => upgrades.push((contract, old.wasm_hash().unwrap(), new.wasm_hash().unwrap())),
                Change::Invocation {
                    contract, success, ..
                } => {
                    let e = invocations.entry(contract).or_default();
                    e.0 += 1;
                    if !success {
                        e.1 += 1;
                    }
                }
                Change::Events { .. }
                | Change::ContractRestored { .. }
                | Change::Registry { .. } => {}
            }
        }
    }
    let truth = &chain.truth;
    assert_eq!(uploads, truth.uploads);
    assert_eq!(
        deployments,
        truth.deployments.iter().map(|d| d.0).collect::<Vec<_>>()
    );
    assert_eq!(upgrades, truth.upgrades);
    assert_eq!(invocations, truth.invocations);
    for kind in ["direct", "factory", "asset"] {
        assert!(
            truth.deployments.iter().any(|d| d.1 == kind),
            "no {kind} deployment generated"
        );
    }
    assert!(!truth.upgrades.is_empty());
    assert_eq!(
        meta_versions,
        [3, 4].into(),
        "the chain crosses protocol 23"
    );
}
