//! From a decoded ledger to the registry's changes. Pure: no I/O, so most of the indexer's
//! behaviour is tested here with ledgers in, changes out.
//!
//! Ledger-entry changes are the authority, not top-level host functions: contracts upload
//! WASM, deploy contracts (factories) and upgrade themselves inside an `InvokeContract`
//! call, and only the changes show it.
//! - a created `ContractCode` entry is an upload (a restored one gives us the bytes too);
//! - a created contract-instance entry is a deployment;
//! - a contract-instance `STATE` followed by an `UPDATED` with another executable is an
//!   upgrade;
//! - a top-level `InvokeContract` is an invocation (with its caller and success), and the
//!   contract events of the transaction are counted per contract.

use std::collections::HashMap;

use registry_core::stellar::{address_strkey, contract_id, muxed_strkey};
use registry_core::{ContractId, Network, WasmHash};
use stellar_xdr::{
    ContractDataDurability, ContractEvent, ContractEventType, ContractExecutable,
    ContractIdPreimage, HostFunction, LedgerEntryChange, LedgerEntryData, OperationBody, ScAddress,
    ScVal, TransactionMeta,
};

use crate::ledger::{Ledger, Tx};

/// What runs a contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Executable {
    /// Uploaded WASM, by hash.
    Wasm(WasmHash),
    /// The built-in Stellar Asset Contract.
    StellarAsset,
    /// CAP-85: the WASM that another contract's `ExecutableTag` entry names.
    ExternalRef {
        /// The contract holding the tag entry (a strkey).
        owner: String,
        /// The tag.
        tag: String,
    },
}

impl Executable {
    fn from_xdr(e: &ContractExecutable) -> Executable {
        match e {
            ContractExecutable::Wasm(h) => Executable::Wasm(WasmHash(h.0)),
            ContractExecutable::StellarAsset => Executable::StellarAsset,
            ContractExecutable::ExternalRef(r) => Executable::ExternalRef {
                owner: address_strkey(&r.executable_owner).unwrap_or_default(),
                tag: registry_core::text::from_untrusted_bytes(r.tag.0.as_ref(), false),
            },
        }
    }

    /// The WASM hash, for a WASM executable.
    pub fn wasm_hash(&self) -> Option<WasmHash> {
        match self {
            Executable::Wasm(h) => Some(*h),
            _ => None,
        }
    }
}

/// One thing the registry learns from a ledger.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// WASM bytes now exist on the network.
    WasmUploaded {
        hash: WasmHash,
        code: Vec<u8>,
        tx: [u8; 32],
    },
    /// A contract instance was created.
    ContractDeployed {
        contract: ContractId,
        executable: Executable,
        /// Who deployed it: the address in the preimage for a direct deployment, the invoked
        /// contract for a factory, the transaction source otherwise.
        deployer: Option<String>,
        tx: [u8; 32],
        /// Constructor arguments (stellar-xdr JSON of the `ScVal`s) of a direct deployment.
        constructor_args: Option<serde_json::Value>,
    },
    /// A contract's executable changed.
    ContractUpgraded {
        contract: ContractId,
        old: Executable,
        new: Executable,
        tx: [u8; 32],
    },
    /// A top-level contract call.
    Invocation {
        contract: ContractId,
        function: String,
        caller: Option<String>,
        success: bool,
    },
    /// Contract events emitted by a contract in one transaction.
    Events { contract: ContractId, count: u32 },
}

/// Every change in a ledger, in apply order.
pub fn extract(network: Network, ledger: &Ledger) -> Vec<Change> {
    let mut out = Vec::new();
    for tx in &ledger.txs {
        extract_tx(network, tx, &mut out);
    }
    out
}

fn contract_of(addr: &ScAddress) -> Option<ContractId> {
    match addr {
        ScAddress::Contract(c) => Some(ContractId(c.0.0)),
        _ => None,
    }
}

/// `(contract, executable)` of a contract-instance entry.
fn instance(data: &LedgerEntryData) -> Option<(ContractId, Executable)> {
    let LedgerEntryData::ContractData(d) = data else {
        return None;
    };
    if d.key != ScVal::LedgerKeyContractInstance
        || d.durability != ContractDataDurability::Persistent
    {
        return None;
    }
    let ScVal::ContractInstance(inst) = &d.val else {
        return None;
    };
    Some((
        contract_of(&d.contract)?,
        Executable::from_xdr(&inst.executable),
    ))
}

fn all_changes(meta: &TransactionMeta) -> Vec<&LedgerEntryChange> {
    let mut out = Vec::new();
    match meta {
        TransactionMeta::V0(ops) => ops.iter().for_each(|o| out.extend(o.changes.0.iter())),
        TransactionMeta::V1(m) => {
            out.extend(m.tx_changes.0.iter());
            m.operations
                .iter()
                .for_each(|o| out.extend(o.changes.0.iter()));
        }
        TransactionMeta::V2(m) => {
            out.extend(m.tx_changes_before.0.iter());
            m.operations
                .iter()
                .for_each(|o| out.extend(o.changes.0.iter()));
            out.extend(m.tx_changes_after.0.iter());
        }
        TransactionMeta::V3(m) => {
            out.extend(m.tx_changes_before.0.iter());
            m.operations
                .iter()
                .for_each(|o| out.extend(o.changes.0.iter()));
            out.extend(m.tx_changes_after.0.iter());
        }
        TransactionMeta::V4(m) => {
            out.extend(m.tx_changes_before.0.iter());
            m.operations
                .iter()
                .for_each(|o| out.extend(o.changes.0.iter()));
            out.extend(m.tx_changes_after.0.iter());
        }
    }
    out
}

fn contract_events(meta: &TransactionMeta) -> Vec<&ContractEvent> {
    match meta {
        TransactionMeta::V3(m) => m
            .soroban_meta
            .as_ref()
            .map(|s| s.events.iter().collect())
            .unwrap_or_default(),
        TransactionMeta::V4(m) => m.operations.iter().flat_map(|o| o.events.iter()).collect(),
        _ => Vec::new(),
    }
}

fn extract_tx(network: Network, tx: &Tx, out: &mut Vec<Change>) {
    let tx_source = tx.source.as_ref().map(muxed_strkey);
    // What the top-level operation says about deployments in this transaction.
    let mut direct: HashMap<ContractId, (Option<String>, Option<serde_json::Value>)> =
        HashMap::new();
    let mut invoked: Option<ContractId> = None;
    for op in &tx.operations {
        let OperationBody::InvokeHostFunction(f) = &op.body else {
            continue;
        };
        let op_source = op
            .source_account
            .as_ref()
            .map(muxed_strkey)
            .or_else(|| tx_source.clone());
        let created = match &f.host_function {
            HostFunction::CreateContract(a) => Some((&a.contract_id_preimage, None)),
            HostFunction::CreateContractV2(a) => {
                let args: Vec<&ScVal> = a.constructor_args.iter().collect();
                Some((&a.contract_id_preimage, serde_json::to_value(args).ok()))
            }
            HostFunction::InvokeContract(call) => {
                if let Some(contract) = contract_of(&call.contract_address) {
                    invoked = Some(contract);
                    out.push(Change::Invocation {
                        contract,
                        function: registry_core::text::from_untrusted_bytes(
                            call.function_name.0.as_ref(),
                            false,
                        ),
                        caller: op_source.clone(),
                        success: tx.success,
                    });
                }
                None
            }
            HostFunction::UploadContractWasm(_) => None,
        };
        if let Some((preimage, args)) = created {
            let deployer = match preimage {
                ContractIdPreimage::Address(a) => address_strkey(&a.address),
                ContractIdPreimage::Asset(_) => op_source.clone(),
            };
            direct.insert(contract_id(network, preimage), (deployer, args));
        }
    }
    if tx.success {
        let mut state: HashMap<ContractId, Executable> = HashMap::new();
        for change in all_changes(&tx.meta) {
            match change {
                LedgerEntryChange::Created(e) | LedgerEntryChange::Restored(e) => {
                    if let LedgerEntryData::ContractCode(c) = &e.data {
                        out.push(Change::WasmUploaded {
                            hash: WasmHash(c.hash.0),
                            code: c.code.to_vec(),
                            tx: tx.hash,
                        });
                    } else if let (LedgerEntryChange::Created(_), Some((contract, executable))) =
                        (change, instance(&e.data))
                    {
                        let (deployer, constructor_args) = match direct.get(&contract) {
                            Some((d, a)) => (d.clone(), a.clone()),
                            None => (
                                invoked.map(|c| c.to_string()).or_else(|| tx_source.clone()),
                                None,
                            ),
                        };
                        out.push(Change::ContractDeployed {
                            contract,
                            executable,
                            deployer,
                            tx: tx.hash,
                            constructor_args,
                        });
                    }
                }
                LedgerEntryChange::State(e) => {
                    if let Some((contract, executable)) = instance(&e.data) {
                        state.insert(contract, executable);
                    }
                }
                LedgerEntryChange::Updated(e) => {
                    if let Some((contract, new)) = instance(&e.data) {
                        if let Some(old) = state.remove(&contract) {
                            if old != new {
                                out.push(Change::ContractUpgraded {
                                    contract,
                                    old,
                                    new,
                                    tx: tx.hash,
                                });
                            }
                        }
                    }
                }
                LedgerEntryChange::Removed(_) => {}
            }
        }
    }
    let mut events: HashMap<ContractId, u32> = HashMap::new();
    for e in contract_events(&tx.meta) {
        if e.type_ == ContractEventType::Contract {
            if let Some(c) = &e.contract_id {
                *events.entry(ContractId(c.0.0)).or_default() += 1;
            }
        }
    }
    let mut events: Vec<_> = events.into_iter().collect();
    events.sort_by_key(|(c, _)| *c);
    out.extend(
        events
            .into_iter()
            .map(|(contract, count)| Change::Events { contract, count }),
    );
}
