//! The synthetic chain decodes like a real one, and extraction recovers exactly what the
//! generator did: its plan (the `Truth`) is written down as it builds each transaction, apart
//! from the XDR, and is the expected result here.

use std::collections::{BTreeSet, HashMap};

use registry_core::{ContractId, Network};
use registry_devtools::sim::chain::{Chain, Profile};
use registry_indexer::extract::{Change, extract};
use registry_indexer::ledger::decode;

#[test]
fn extraction_recovers_every_upload_deployment_upgrade_and_invocation() {
    let mut chain = Chain::new(Network::Local, Profile::test(), 11, 100);
    let mut uploads = Vec::new();
    let mut deployments = Vec::new();
    let mut deployers: HashMap<ContractId, String> = HashMap::new();
    let mut assets: HashMap<ContractId, String> = HashMap::new();
    let mut upgrades = Vec::new();
    let mut versions: HashMap<ContractId, Vec<(u32, u32, &'static str)>> = HashMap::new();
    let mut invocations: HashMap<ContractId, (u64, u64)> = HashMap::new();
    let mut sub_invocations: HashMap<ContractId, u64> = HashMap::new();
    let mut callers: HashMap<ContractId, BTreeSet<String>> = HashMap::new();
    let mut running: BTreeSet<ContractId> = BTreeSet::new();
    let mut event_only: BTreeSet<ContractId> = BTreeSet::new();
    let mut meta_versions = BTreeSet::new();
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
            if c.shows_it_runs() {
                running.extend(c.contract());
            }
            match c {
                Change::WasmUploaded { hash, .. } => uploads.push(hash),
                Change::ContractDeployed {
                    contract,
                    deployer,
                    asset,
                    at,
                    executable,
                    ..
                } => {
                    deployments.push(contract);
                    deployers.insert(contract, deployer.unwrap());
                    if let Some(a) = asset {
                        assets.insert(contract, a.canonical());
                    }
                    if executable.wasm_hash().is_some() {
                        versions.entry(contract).or_default().push((
                            ledger.seq,
                            at.tx_index,
                            "deployed",
                        ));
                    }
                }
                Change::ContractUpgraded {
                    contract,
                    old,
                    new,
                    at,
                } => {
                    upgrades.push((contract, old.wasm_hash().unwrap(), new.wasm_hash().unwrap()));
                    versions.entry(contract).or_default().push((
                        ledger.seq,
                        at.tx_index,
                        "upgraded",
                    ));
                }
                Change::Invocation {
                    contract,
                    success,
                    depth: 0,
                    caller,
                    ..
                } => {
                    let e = invocations.entry(contract).or_default();
                    e.0 += 1;
                    if !success {
                        e.1 += 1;
                    }
                    callers.entry(contract).or_default().extend(caller);
                }
                Change::Invocation {
                    contract,
                    success: true,
                    ..
                } => *sub_invocations.entry(contract).or_default() += 1,
                Change::Events {
                    contract,
                    in_call: false,
                    ..
                } => {
                    event_only.insert(contract);
                }
                Change::Invocation { .. }
                | Change::Events { .. }
                | Change::ContractRestored { .. }
                | Change::WasmRestored { .. }
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
    assert_eq!(deployers, truth.deployers);
    let truth_assets: HashMap<ContractId, String> = truth
        .assets
        .iter()
        .filter(|(c, _)| !truth.preexisting.contains(c))
        .map(|(c, a)| (*c, a.clone()))
        .collect();
    assert_eq!(assets, truth_assets);
    assert_eq!(upgrades, truth.upgrades);
    assert_eq!(versions, truth.versions);
    assert_eq!(invocations, truth.invocations);
    assert_eq!(sub_invocations, truth.sub_invocations);
    assert_eq!(callers, truth.callers);
    // Addresses that only ever saw classic-operation events are those the plan says hold no
    // contract; none of them shows a contract running.
    assert!(!truth.phantoms.is_empty());
    assert!(truth.phantoms.is_subset(&event_only));
    assert!(truth.phantoms.is_disjoint(&running));
    for kind in ["direct", "factory", "asset"] {
        assert!(
            truth.deployments.iter().any(|d| d.1 == kind),
            "no {kind} deployment generated"
        );
    }
    assert!(!truth.upgrades.is_empty());
    assert!(
        truth
            .versions
            .values()
            .any(|v| v.windows(2).any(|w| w[0].0 == w[1].0)),
        "a deployment and an upgrade share a ledger"
    );
    assert!(!truth.hostile.is_empty());
    assert_eq!(
        truth.shapes.len(),
        9,
        "every shape of the real chain was generated: {:?}",
        truth.shapes
    );
    assert_eq!(
        meta_versions,
        [3, 4].into(),
        "the chain crosses protocol 23"
    );
}
