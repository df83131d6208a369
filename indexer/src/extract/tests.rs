//! Extraction per shape, on transactions built here with stellar-xdr (real recorded ones are
//! in the integration tests, `tests/api/real.rs`).

use registry_core::AccountId;
use stellar_xdr::{
    AlphaNum4, Asset, AssetCode4, ContractCodeEntry, ContractCodeEntryExt, ContractDataDurability,
    ContractDataEntry, ContractEventV0, ContractExecutable, ContractIdPreimageFromAddress,
    CreateContractArgsV2, ExtensionPoint, Hash, InvokeContractArgs, InvokeHostFunctionOp,
    LedgerEntry, LedgerEntryExt, MuxedAccount, MuxedAccountMed25519, Operation, OperationMetaV2,
    PaymentOp, PublicKey, ScAddress, ScContractInstance, ScMap, ScMapEntry, ScSymbol, ScVec,
    SorobanAddressCredentials, SorobanTransactionMetaExt, SorobanTransactionMetaV2,
    TransactionMetaV4, Uint256,
};

use super::*;
use crate::xdr::contract_address;

const NET: Network = Network::Testnet;

fn c(n: u8) -> ContractId {
    ContractId([n; 32])
}

fn sym(s: &str) -> ScVal {
    ScVal::Symbol(ScSymbol(s.try_into().unwrap()))
}

fn wasm(n: u8) -> ContractExecutable {
    ContractExecutable::Wasm(Hash([n; 32]))
}

fn instance_entry(id: ContractId, exe: ContractExecutable, storage: Option<ScMap>) -> LedgerEntry {
    LedgerEntry {
        last_modified_ledger_seq: 10,
        data: LedgerEntryData::ContractData(ContractDataEntry {
            ext: ExtensionPoint::V0,
            contract: contract_address(id),
            key: ScVal::LedgerKeyContractInstance,
            durability: ContractDataDurability::Persistent,
            val: ScVal::ContractInstance(ScContractInstance {
                executable: exe,
                storage,
            }),
        }),
        ext: LedgerEntryExt::V0,
    }
}

fn invoke(contract: ContractId, function: &str, auth: Vec<SorobanAuthorizationEntry>) -> Operation {
    Operation {
        source_account: None,
        body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
            host_function: HostFunction::InvokeContract(InvokeContractArgs {
                contract_address: contract_address(contract),
                function_name: ScSymbol(function.try_into().unwrap()),
                args: vec![].try_into().unwrap(),
            }),
            auth: auth.try_into().unwrap(),
        }),
    }
}

fn event(contract: ContractId, type_: ContractEventType, topics: Vec<ScVal>) -> ContractEvent {
    ContractEvent {
        ext: ExtensionPoint::V0,
        contract_id: Some(stellar_xdr::ContractId(Hash(contract.0))),
        type_,
        body: ContractEventBody::V0(ContractEventV0 {
            topics: topics.try_into().unwrap(),
            data: ScVal::Void,
        }),
    }
}

fn fn_call(caller: Option<ContractId>, callee: ContractId, function: &str) -> DiagnosticEvent {
    DiagnosticEvent {
        in_successful_contract_call: true,
        event: ContractEvent {
            ext: ExtensionPoint::V0,
            contract_id: caller.map(|c| stellar_xdr::ContractId(Hash(c.0))),
            type_: ContractEventType::Diagnostic,
            body: ContractEventBody::V0(ContractEventV0 {
                topics: vec![
                    sym("fn_call"),
                    ScVal::Bytes(callee.0.to_vec().try_into().unwrap()),
                    sym(function),
                ]
                .try_into()
                .unwrap(),
                data: ScVal::Void,
            }),
        },
    }
}

fn fn_return(callee: ContractId, function: &str) -> DiagnosticEvent {
    DiagnosticEvent {
        in_successful_contract_call: true,
        event: event(
            callee,
            ContractEventType::Diagnostic,
            vec![sym("fn_return"), sym(function)],
        ),
    }
}

struct Built {
    ops: Vec<Operation>,
    changes: Vec<Vec<LedgerEntryChange>>,
    events: Vec<Vec<ContractEvent>>,
    diagnostics: Vec<DiagnosticEvent>,
    success: bool,
    source: MuxedAccount,
}

impl Built {
    fn new(ops: Vec<Operation>) -> Built {
        let n = ops.len();
        Built {
            ops,
            changes: vec![vec![]; n],
            events: vec![vec![]; n],
            diagnostics: vec![],
            success: true,
            source: MuxedAccount::Ed25519(Uint256([1; 32])),
        }
    }

    fn tx(self, index: u32) -> Tx {
        let meta = TransactionMeta::V4(TransactionMetaV4 {
            ext: ExtensionPoint::V0,
            tx_changes_before: Default::default(),
            operations: if self.success {
                self.changes
                    .into_iter()
                    .zip(self.events)
                    .map(|(changes, events)| OperationMetaV2 {
                        ext: ExtensionPoint::V0,
                        changes: stellar_xdr::LedgerEntryChanges(changes.try_into().unwrap()),
                        events: events.try_into().unwrap(),
                    })
                    .collect::<Vec<_>>()
                    .try_into()
                    .unwrap()
            } else {
                vec![].try_into().unwrap()
            },
            tx_changes_after: Default::default(),
            soroban_meta: Some(SorobanTransactionMetaV2 {
                ext: SorobanTransactionMetaExt::V0,
                return_value: None,
            }),
            events: vec![].try_into().unwrap(),
            diagnostic_events: self.diagnostics.try_into().unwrap(),
        });
        Tx {
            hash: [index as u8; 32],
            index,
            fee_bump: false,
            source: Some(self.source),
            operations: self.ops,
            success: self.success,
            meta,
        }
    }
}

fn changes_of(txs: Vec<Tx>) -> Vec<Change> {
    let ledger = Ledger {
        seq: 100,
        hash: [0; 32],
        close_time: Default::default(),
        protocol: 23,
        txs,
        xdr_bytes: 0,
    };
    extract(NET, &ledger)
}

fn upgrades(changes: &[Change]) -> Vec<(ContractId, Option<WasmHash>, Option<WasmHash>)> {
    changes
        .iter()
        .filter_map(|ch| match ch {
            Change::ContractUpgraded {
                contract, old, new, ..
            } => Some((*contract, old.wasm_hash(), new.wasm_hash())),
            _ => None,
        })
        .collect()
}

#[test]
fn an_upgrade_with_a_restore_is_paired_in_either_order() {
    let expected = vec![(c(5), Some(WasmHash([1; 32])), Some(WasmHash([2; 32])))];
    let orders = [
        // Restored from the live state: the restored value, then the update.
        vec![
            LedgerEntryChange::Restored(instance_entry(c(5), wasm(1), None)),
            LedgerEntryChange::Updated(instance_entry(c(5), wasm(2), None)),
        ],
        // Restored from the hot archive by rc builds of protocol 23: the update first.
        vec![
            LedgerEntryChange::Updated(instance_entry(c(5), wasm(2), None)),
            LedgerEntryChange::Restored(instance_entry(c(5), wasm(1), None)),
        ],
        // The usual pre-image.
        vec![
            LedgerEntryChange::State(instance_entry(c(5), wasm(1), None)),
            LedgerEntryChange::Updated(instance_entry(c(5), wasm(2), None)),
        ],
    ];
    for changes in orders {
        let mut b = Built::new(vec![invoke(c(5), "upgrade", vec![])]);
        b.changes[0] = changes.clone();
        assert_eq!(
            upgrades(&changes_of(vec![b.tx(1)])),
            expected,
            "{changes:?}"
        );
    }
}

#[test]
fn a_restore_without_a_change_proves_the_contract_exists_and_is_no_upgrade() {
    let mut b = Built::new(vec![invoke(c(5), "get", vec![])]);
    b.changes[0] = vec![
        LedgerEntryChange::Restored(instance_entry(c(5), wasm(1), None)),
        LedgerEntryChange::Updated(instance_entry(c(5), wasm(1), None)),
    ];
    let out = changes_of(vec![b.tx(1)]);
    assert!(upgrades(&out).is_empty());
    assert!(out.iter().any(|ch| matches!(ch,
        Change::ContractRestored { contract, executable, .. }
            if *contract == c(5) && executable.wasm_hash() == Some(WasmHash([1; 32])))));
}

#[test]
fn a_deployment_and_an_upgrade_in_one_ledger_are_two_ordered_changes() {
    let mut deploy = Built::new(vec![invoke(c(9), "deploy", vec![])]);
    deploy.changes[0] = vec![LedgerEntryChange::Created(instance_entry(
        c(5),
        wasm(1),
        None,
    ))];
    let mut upgrade = Built::new(vec![invoke(c(5), "upgrade", vec![])]);
    upgrade.changes[0] = vec![
        LedgerEntryChange::State(instance_entry(c(5), wasm(1), None)),
        LedgerEntryChange::Updated(instance_entry(c(5), wasm(2), None)),
    ];
    let out = changes_of(vec![deploy.tx(1), upgrade.tx(2)]);
    let at: Vec<(u32, u32)> = out
        .iter()
        .filter_map(|ch| match ch {
            Change::ContractDeployed { at, .. } | Change::ContractUpgraded { at, .. } => {
                Some((at.tx_index, at.op_index))
            }
            _ => None,
        })
        .collect();
    assert_eq!(at, vec![(1, 0), (2, 0)]);
}

fn asset_storage(code: &[u8; 4], issuer: [u8; 32]) -> ScMap {
    let map = |pairs: Vec<(ScVal, ScVal)>| {
        ScMap(
            pairs
                .into_iter()
                .map(|(key, val)| ScMapEntry { key, val })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        )
    };
    let info = ScVal::Vec(Some(ScVec(
        vec![
            sym("AlphaNum4"),
            ScVal::Map(Some(map(vec![
                (
                    sym("asset_code"),
                    ScVal::String(stellar_xdr::ScString(code.to_vec().try_into().unwrap())),
                ),
                (
                    sym("issuer"),
                    ScVal::Bytes(issuer.to_vec().try_into().unwrap()),
                ),
            ]))),
        ]
        .try_into()
        .unwrap(),
    )));
    map(vec![(
        ScVal::Vec(Some(ScVec(vec![sym("AssetInfo")].try_into().unwrap()))),
        info,
    )])
}

#[test]
fn a_stellar_asset_contract_keeps_its_asset_from_the_preimage_or_its_storage() {
    let issuer = [4u8; 32];
    let asset = Asset::CreditAlphanum4(AlphaNum4 {
        asset_code: AssetCode4(*b"USD\0"),
        issuer: stellar_xdr::AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(issuer))),
    });
    let preimage = ContractIdPreimage::Asset(asset);
    let id = contract_id(NET, &preimage);
    let expected = AssetRef::credit(b"USD", AccountId(issuer));
    // Top level, with the asset in the preimage only.
    let mut top = Built::new(vec![Operation {
        source_account: None,
        body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
            host_function: HostFunction::CreateContract(stellar_xdr::CreateContractArgs {
                contract_id_preimage: preimage,
                executable: ContractExecutable::StellarAsset,
            }),
            auth: vec![].try_into().unwrap(),
        }),
    }]);
    top.changes[0] = vec![LedgerEntryChange::Created(instance_entry(
        id,
        ContractExecutable::StellarAsset,
        None,
    ))];
    // From a deployer contract: only the instance storage names the asset.
    let mut nested = Built::new(vec![invoke(c(9), "deploy_sac", vec![])]);
    nested.changes[0] = vec![LedgerEntryChange::Created(instance_entry(
        id,
        ContractExecutable::StellarAsset,
        Some(asset_storage(b"USD\0", issuer)),
    ))];
    for (b, deployer) in [
        (top, Some(AccountId([1; 32]).to_string())),
        (nested, Some(c(9).to_string())),
    ] {
        let out = changes_of(vec![b.tx(1)]);
        let Some(Change::ContractDeployed {
            asset, deployer: d, ..
        }) = out
            .iter()
            .find(|ch| matches!(ch, Change::ContractDeployed { .. }))
        else {
            panic!("{out:?}")
        };
        assert_eq!(asset, &expected);
        assert_eq!(d, &deployer);
    }
}

#[test]
fn nested_calls_come_from_the_call_tree_and_the_factory_is_the_deployer() {
    // router(1) → factory(2) → deploys pair(3) (its constructor runs from the factory's
    // frame) → token(4).transfer; the router's own call is the transaction's.
    let (router, factory, pair, token) = (c(1), c(2), c(3), c(4));
    let mut b = Built::new(vec![invoke(router, "add_liquidity", vec![])]);
    b.changes[0] = vec![LedgerEntryChange::Created(instance_entry(
        pair,
        wasm(7),
        None,
    ))];
    b.diagnostics = vec![
        fn_call(None, router, "add_liquidity"),
        fn_call(Some(router), factory, "create_pair"),
        fn_call(Some(factory), pair, "__constructor"),
        fn_return(pair, "__constructor"),
        fn_return(factory, "create_pair"),
        fn_call(Some(router), token, "transfer"),
        fn_return(token, "transfer"),
        fn_return(router, "add_liquidity"),
    ];
    let out = changes_of(vec![b.tx(1)]);
    let calls: Vec<(ContractId, String, u32, Option<ContractId>)> = out
        .iter()
        .filter_map(|ch| match ch {
            Change::Invocation {
                contract,
                function,
                depth,
                parent,
                ..
            } => Some((*contract, function.clone(), *depth, *parent)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            (router, "add_liquidity".into(), 0, None),
            (factory, "create_pair".into(), 1, Some(router)),
            (token, "transfer".into(), 1, Some(router)),
        ]
    );
    let deployer = out.iter().find_map(|ch| match ch {
        Change::ContractDeployed { deployer, .. } => deployer.clone(),
        _ => None,
    });
    assert_eq!(deployer, Some(factory.to_string()));
}

fn auth(
    credentials: SorobanCredentials,
    contract: ContractId,
    function: &str,
    subs: Vec<SorobanAuthorizedInvocation>,
) -> SorobanAuthorizationEntry {
    SorobanAuthorizationEntry {
        credentials,
        root_invocation: node(contract, function, subs),
    }
}

fn node(
    contract: ContractId,
    function: &str,
    subs: Vec<SorobanAuthorizedInvocation>,
) -> SorobanAuthorizedInvocation {
    SorobanAuthorizedInvocation {
        function: SorobanAuthorizedFunction::ContractFn(InvokeContractArgs {
            contract_address: contract_address(contract),
            function_name: ScSymbol(function.try_into().unwrap()),
            args: vec![].try_into().unwrap(),
        }),
        sub_invocations: subs.try_into().unwrap(),
    }
}

fn address_credentials(address: ScAddress) -> SorobanCredentials {
    SorobanCredentials::Address(SorobanAddressCredentials {
        address,
        nonce: 1,
        signature_expiration_ledger: 200,
        signature: ScVal::Void,
    })
}

#[test]
fn without_diagnostics_nested_calls_come_from_the_merged_authorization_trees() {
    let (router, token_a, token_b, wallet) = (c(1), c(2), c(3), c(8));
    // A smart wallet authorized the router's call (relayed by the source account), and each
    // of two signers authorized its own transfer below it; the wallet's tree repeats one.
    let entries = vec![
        auth(
            address_credentials(contract_address(wallet)),
            router,
            "swap",
            vec![node(token_a, "transfer", vec![])],
        ),
        auth(
            SorobanCredentials::SourceAccount,
            router,
            "swap",
            vec![
                node(token_a, "transfer", vec![]),
                node(token_b, "transfer", vec![]),
            ],
        ),
    ];
    let b = Built::new(vec![invoke(router, "swap", entries)]);
    let out = changes_of(vec![b.tx(1)]);
    let calls: Vec<(ContractId, u32, Option<String>)> = out
        .iter()
        .filter_map(|ch| match ch {
            Change::Invocation {
                contract,
                depth,
                caller,
                ..
            } => Some((*contract, *depth, caller.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            (router, 0, Some(wallet.to_string())),
            (token_a, 1, Some(router.to_string())),
            (token_b, 1, Some(router.to_string())),
        ]
    );
}

#[test]
fn classic_operations_emit_asset_events_that_do_not_show_a_contract_running() {
    let sac = c(6);
    let payment = Operation {
        source_account: Some(MuxedAccount::MuxedEd25519(MuxedAccountMed25519 {
            id: 7,
            ed25519: Uint256([3; 32]),
        })),
        body: OperationBody::Payment(PaymentOp {
            destination: MuxedAccount::Ed25519(Uint256([2; 32])),
            asset: Asset::Native,
            amount: 10,
        }),
    };
    let mut b = Built::new(vec![payment.clone(), payment]);
    b.source = MuxedAccount::MuxedEd25519(MuxedAccountMed25519 {
        id: 9,
        ed25519: Uint256([1; 32]),
    });
    b.events[0] = vec![event(
        sac,
        ContractEventType::Contract,
        vec![sym("transfer")],
    )];
    b.events[1] = vec![event(
        sac,
        ContractEventType::Contract,
        vec![sym("transfer")],
    )];
    let out = changes_of(vec![b.tx(1)]);
    assert_eq!(
        out,
        vec![
            Change::Events {
                contract: sac,
                count: 1,
                in_call: false
            },
            Change::Events {
                contract: sac,
                count: 1,
                in_call: false
            }
        ]
    );
    assert!(!out.iter().any(Change::shows_it_runs));
}

#[test]
fn a_failed_call_is_counted_failed_and_changes_nothing() {
    let mut b = Built::new(vec![invoke(c(5), "upgrade", vec![])]);
    b.changes[0] = vec![
        LedgerEntryChange::State(instance_entry(c(5), wasm(1), None)),
        LedgerEntryChange::Updated(instance_entry(c(5), wasm(2), None)),
    ];
    b.success = false;
    let out = changes_of(vec![b.tx(1)]);
    assert_eq!(
        out,
        vec![Change::Invocation {
            contract: c(5),
            function: "upgrade".into(),
            caller: Some(AccountId([1; 32]).to_string()),
            success: false,
            depth: 0,
            parent: None,
        }]
    );
    assert!(!out[0].shows_it_runs());
}

#[test]
fn a_top_level_deployment_names_its_address_and_constructor_arguments() {
    let deployer = ScAddress::Account(stellar_xdr::AccountId(PublicKey::PublicKeyTypeEd25519(
        Uint256([2; 32]),
    )));
    let preimage = ContractIdPreimage::Address(ContractIdPreimageFromAddress {
        address: deployer,
        salt: Uint256([5; 32]),
    });
    let id = contract_id(NET, &preimage);
    let mut b = Built::new(vec![Operation {
        source_account: None,
        body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
            host_function: HostFunction::CreateContractV2(CreateContractArgsV2 {
                contract_id_preimage: preimage,
                executable: wasm(3),
                constructor_args: vec![ScVal::U32(1), ScVal::U32(2)].try_into().unwrap(),
            }),
            auth: vec![].try_into().unwrap(),
        }),
    }]);
    b.changes[0] = vec![
        LedgerEntryChange::Created(LedgerEntry {
            last_modified_ledger_seq: 10,
            data: LedgerEntryData::ContractCode(ContractCodeEntry {
                ext: ContractCodeEntryExt::V0,
                hash: Hash([3; 32]),
                code: vec![0, 97, 115, 109].try_into().unwrap(),
            }),
            ext: LedgerEntryExt::V0,
        }),
        LedgerEntryChange::Created(instance_entry(id, wasm(3), None)),
    ];
    let out = changes_of(vec![b.tx(4)]);
    assert!(matches!(&out[0], Change::WasmUploaded { hash, .. } if *hash == WasmHash([3; 32])));
    let Change::ContractDeployed {
        contract,
        deployer,
        constructor_args,
        at,
        ..
    } = &out[1]
    else {
        panic!("{out:?}")
    };
    assert_eq!(*contract, id);
    assert_eq!(
        deployer.as_deref(),
        Some(AccountId([2; 32]).to_string().as_str())
    );
    assert_eq!(
        constructor_args
            .as_ref()
            .map(|a| a.as_array().unwrap().len()),
        Some(2)
    );
    assert_eq!((at.tx_index, at.op_index), (4, 0));
}

#[test]
fn events_of_the_root_stellar_registry_are_kept_for_their_names() {
    let registry = names::root_registry(NET).unwrap();
    let mut b = Built::new(vec![invoke(registry, "register_contract", vec![])]);
    b.events[0] = vec![event(
        registry,
        ContractEventType::Contract,
        vec![sym("register")],
    )];
    let out = changes_of(vec![b.tx(1)]);
    assert!(out.iter().any(|ch| matches!(ch,
        Change::Registry { event, .. } if event.registry == registry && event.topics == vec![sym("register")])));
}

#[test]
fn a_nested_call_that_failed_is_no_sub_invocation_and_the_call_tree_beats_the_auth_trees() {
    let (router, token, other) = (c(1), c(2), c(3));
    // The router tries token.transfer, which fails (no fn_return; the router carries on),
    // then calls `other`. The authorization tree also lists a call that never happened.
    let entries = vec![auth(
        SorobanCredentials::SourceAccount,
        router,
        "swap",
        vec![node(c(9), "approve", vec![])],
    )];
    let mut b = Built::new(vec![invoke(router, "swap", entries)]);
    b.diagnostics = vec![
        fn_call(None, router, "swap"),
        fn_call(Some(router), token, "transfer"),
        fn_call(Some(router), other, "get"),
        fn_return(other, "get"),
        fn_return(router, "swap"),
    ];
    let out = changes_of(vec![b.tx(1)]);
    let calls: Vec<(ContractId, u32, bool)> = out
        .iter()
        .filter_map(|ch| match ch {
            Change::Invocation {
                contract,
                depth,
                success,
                ..
            } => Some((*contract, *depth, *success)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        vec![(router, 0, true), (token, 1, false), (other, 1, true)]
    );
    assert!(!out.iter().any(|ch| ch.contract() == Some(c(9))));
}
