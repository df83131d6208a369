//! From a decoded ledger to the registry's changes. Pure: no I/O, so most of the indexer's
//! behaviour is tested here with ledgers in, changes out.
//!
//! Ledger-entry changes are the authority, not top-level host functions: contracts upload
//! WASM, deploy contracts (factories) and upgrade themselves inside an `InvokeContract`
//! call, and only the changes show it. Changes are read per operation:
//! - a created `ContractCode` entry, or a successful `UploadContractWasm` of code already
//!   there, is an upload; a restored one gives the bytes back, and is no upload;
//! - a created contract-instance entry is a deployment;
//! - an instance whose executable before the operation (its `STATE`, or its `RESTORED` value
//!   when the operation restored it automatically, protocol 23+) differs from the one after
//!   (`UPDATED`) is an upgrade, whichever order the restore and the update are written in;
//! - a restored instance that is not changed proves the contract exists;
//! - calls: the operation's `InvokeContract` is a top-level invocation (depth 0); the calls it
//!   makes are nested invocations, read from the diagnostic `fn_call`/`fn_return` events when
//!   the ledger carries them (the whole call tree), otherwise from the authorization trees
//!   (the calls that needed someone's authorization: a lower bound);
//! - contract events are counted per contract, noting whether they were emitted inside a
//!   contract call (evidence the contract runs) or by a classic operation (CAP-67 events at
//!   a Stellar Asset Contract's address, deployed or not);
//! - events of the network's root Stellar Registry are kept for the names they carry.

use std::collections::{BTreeMap, HashMap, HashSet};

use registry_core::stellar::{AssetRef, address_strkey, contract_id, muxed_strkey};
use registry_core::{ContractId, Network, WasmHash};
use sha2::{Digest, Sha256};
use stellar_xdr::{
    ContractEvent, ContractEventBody, ContractEventType, ContractIdPreimage, DiagnosticEvent,
    HostFunction, LedgerEntryChange, LedgerEntryData, Limits, OperationBody, ScVal,
    SorobanAuthorizationEntry, SorobanAuthorizedFunction, SorobanAuthorizedInvocation,
    SorobanCredentials, TransactionMeta, WriteXdr,
};

use crate::ledger::{Ledger, Tx};
use crate::names;
pub use crate::xdr::Executable;
use crate::xdr::{Instance, contract_of, instance, text};

/// Where a change happened: the transaction's hash and its place in the ledger's apply order
/// (from 1), and the operation's index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct At {
    /// The transaction hash (the outer hash of a fee bump).
    #[serde(serialize_with = "hex_bytes")]
    pub tx: [u8; 32],
    /// The transaction's place in the ledger's apply order, from 1.
    pub tx_index: u32,
    /// The operation's index in the transaction, from 0.
    pub op_index: u32,
}

fn hex_bytes<S: serde::Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

/// One thing the registry learns from a ledger.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// WASM bytes were uploaded (a successful `UploadContractWasm`, whether it created the
    /// code entry or found it there already).
    WasmUploaded {
        hash: WasmHash,
        #[serde(skip)]
        code: Vec<u8>,
        at: At,
    },
    /// An archived code entry was restored: the bytes are on the network again (and the
    /// registry learns them, if it did not know them), but nothing was uploaded.
    WasmRestored {
        hash: WasmHash,
        #[serde(skip)]
        code: Vec<u8>,
    },
    /// A contract instance was created.
    ContractDeployed {
        contract: ContractId,
        executable: Executable,
        /// A Stellar Asset Contract's asset.
        asset: Option<AssetRef>,
        /// The account or contract whose call made the instance (see [`deployer_of`]).
        deployer: Option<String>,
        at: At,
        /// Constructor arguments (stellar-xdr JSON of the `ScVal`s), when the ledger shows
        /// them (a top-level `CreateContractV2`, or its authorization entry).
        constructor_args: Option<serde_json::Value>,
    },
    /// A contract's executable changed.
    ContractUpgraded {
        contract: ContractId,
        old: Executable,
        new: Executable,
        at: At,
    },
    /// A contract instance was restored from the archive without being changed: the
    /// contract exists.
    ContractRestored {
        contract: ContractId,
        executable: Executable,
        asset: Option<AssetRef>,
    },
    /// A contract call: `depth` 0 is the operation's own call, deeper ones were made by
    /// the `parent` contract.
    Invocation {
        contract: ContractId,
        function: String,
        /// Who called: for a top-level call, the address that authorized it (a smart
        /// wallet, say) or else the operation's source; for a nested call, the parent.
        caller: Option<String>,
        success: bool,
        depth: u32,
        parent: Option<ContractId>,
    },
    /// Contract events emitted by a contract in one operation.
    Events {
        contract: ContractId,
        count: u32,
        /// Emitted inside a contract call (so the contract ran), rather than by a classic
        /// operation on an asset (CAP-67).
        in_call: bool,
    },
    /// An event of the network's root Stellar Registry.
    Registry { event: names::RegistryEvent, at: At },
}

impl Change {
    /// The contract the change is about, if any.
    pub fn contract(&self) -> Option<ContractId> {
        match self {
            Change::ContractDeployed { contract, .. }
            | Change::ContractUpgraded { contract, .. }
            | Change::ContractRestored { contract, .. }
            | Change::Invocation { contract, .. }
            | Change::Events { contract, .. } => Some(*contract),
            Change::WasmUploaded { .. } | Change::WasmRestored { .. } | Change::Registry { .. } => {
                None
            }
        }
    }

    /// Whether the change shows the contract running (a successful call, or events emitted
    /// inside one): an address with such activity is a deployed contract.
    pub fn shows_it_runs(&self) -> bool {
        matches!(
            self,
            Change::Invocation { success: true, .. } | Change::Events { in_call: true, .. }
        )
    }
}

/// Every change in a ledger, in apply order.
pub fn extract(network: Network, ledger: &Ledger) -> Vec<Change> {
    let mut out = Vec::new();
    for tx in &ledger.txs {
        extract_tx(network, tx, &mut out);
    }
    out
}

/// Every change of one transaction.
pub fn extract_tx(network: Network, tx: &Tx, out: &mut Vec<Change>) {
    let tx_source = tx.source.as_ref().map(muxed_strkey);
    let groups = change_groups(&tx.meta);
    let op_events = events_per_op(&tx.meta);
    let diagnostics = diagnostic_events(&tx.meta);
    for (op_index, op) in tx.operations.iter().enumerate() {
        let at = At {
            tx: tx.hash,
            tx_index: tx.index,
            op_index: op_index as u32,
        };
        let op_source = op
            .source_account
            .as_ref()
            .map(muxed_strkey)
            .or_else(|| tx_source.clone());
        let invoke = match &op.body {
            OperationBody::InvokeHostFunction(f) => Some(f),
            _ => None,
        };
        let entries = if tx.success {
            instance_changes(groups.get(op_index).map(Vec::as_slice).unwrap_or_default())
        } else {
            Vec::new()
        };
        let created: HashSet<ContractId> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::Created(i) => Some(i.contract),
                _ => None,
            })
            .collect();
        let calls = match invoke {
            Some(f) => CallTree::read(f, &diagnostics, &created, op_source.clone(), tx.success),
            None => CallTree::default(),
        };
        if tx.success {
            // The upload itself: re-uploading known code changes no entry, but the operation
            // still shows the bytes.
            if let Some(HostFunction::UploadContractWasm(code)) = invoke.map(|f| &f.host_function) {
                let hash = WasmHash::of_code(code.as_slice());
                // An upload of archived code restores it: that is an upload all the same.
                if !entries.iter().any(
                    |e| matches!(e, Entry::Code { hash: h, restored: false, .. } if *h == hash),
                ) {
                    out.push(Change::WasmUploaded {
                        hash,
                        code: code.to_vec(),
                        at,
                    });
                }
            }
        }
        {
            for change in entries {
                match change {
                    Entry::Code {
                        hash,
                        code,
                        restored: false,
                    } => out.push(Change::WasmUploaded { hash, code, at }),
                    Entry::Code {
                        hash,
                        code,
                        restored: true,
                    } => out.push(Change::WasmRestored { hash, code }),
                    Entry::Created(i) => {
                        let found = invoke.and_then(|f| created_by_op(network, f, &i.contract));
                        let asset = i.asset.clone().or_else(|| found.as_ref()?.asset.clone());
                        out.push(Change::ContractDeployed {
                            deployer: deployer_of(&i.contract, found.as_ref(), &calls)
                                .or_else(|| op_source.clone()),
                            constructor_args: found.and_then(|f| f.args),
                            contract: i.contract,
                            executable: i.executable,
                            asset,
                            at,
                        });
                    }
                    Entry::Changed { old, new } => out.push(Change::ContractUpgraded {
                        contract: new.contract,
                        old: old.executable,
                        new: new.executable,
                        at,
                    }),
                    Entry::Restored(i) => out.push(Change::ContractRestored {
                        contract: i.contract,
                        executable: i.executable,
                        asset: i.asset,
                    }),
                }
            }
        }
        // The calls after what the operation did to instances: a contract it deployed or
        // upgraded is known (with the executable it had before) by the time its calls count.
        out.extend(calls.invocations);
        let mut counts: BTreeMap<ContractId, u32> = BTreeMap::new();
        for e in op_events
            .get(op_index)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if e.type_ != ContractEventType::Contract {
                continue;
            }
            let Some(c) = &e.contract_id else { continue };
            let contract = ContractId(c.0.0);
            *counts.entry(contract).or_default() += 1;
            if names::root_registry(network) == Some(contract) {
                let ContractEventBody::V0(body) = &e.body;
                out.push(Change::Registry {
                    event: names::RegistryEvent {
                        registry: contract,
                        topics: body.topics.to_vec(),
                        data: body.data.clone(),
                    },
                    at,
                });
            }
        }
        out.extend(counts.into_iter().map(|(contract, count)| Change::Events {
            contract,
            count,
            in_call: invoke.is_some(),
        }));
    }
}

/// The ledger-entry changes of each operation, in order. Transaction-level changes (fees,
/// sequence numbers) never touch contracts and are left out. Before protocol 23 a Soroban
/// transaction's single operation holds every change.
fn change_groups(meta: &TransactionMeta) -> Vec<Vec<&LedgerEntryChange>> {
    let ops: Vec<Vec<&LedgerEntryChange>> = match meta {
        TransactionMeta::V0(ops) => ops.iter().map(|o| o.changes.0.iter().collect()).collect(),
        TransactionMeta::V1(m) => m
            .operations
            .iter()
            .map(|o| o.changes.0.iter().collect())
            .collect(),
        TransactionMeta::V2(m) => m
            .operations
            .iter()
            .map(|o| o.changes.0.iter().collect())
            .collect(),
        TransactionMeta::V3(m) => m
            .operations
            .iter()
            .map(|o| o.changes.0.iter().collect())
            .collect(),
        TransactionMeta::V4(m) => m
            .operations
            .iter()
            .map(|o| o.changes.0.iter().collect())
            .collect(),
    };
    ops
}

/// Contract events of each operation: per operation from protocol 23 (meta v4); before it, a
/// Soroban transaction's events (it has one operation).
fn events_per_op(meta: &TransactionMeta) -> Vec<Vec<&ContractEvent>> {
    match meta {
        TransactionMeta::V3(m) => vec![
            m.soroban_meta
                .as_ref()
                .map(|s| s.events.iter().collect())
                .unwrap_or_default(),
        ],
        TransactionMeta::V4(m) => m
            .operations
            .iter()
            .map(|o| o.events.iter().collect())
            .collect(),
        _ => Vec::new(),
    }
}

fn diagnostic_events(meta: &TransactionMeta) -> Vec<&DiagnosticEvent> {
    match meta {
        TransactionMeta::V3(m) => m
            .soroban_meta
            .as_ref()
            .map(|s| s.diagnostic_events.iter().collect())
            .unwrap_or_default(),
        TransactionMeta::V4(m) => m.diagnostic_events.iter().collect(),
        _ => Vec::new(),
    }
}

/// What one operation did to a contract's instance or to WASM code.
#[derive(Debug)]
enum Entry {
    Code {
        hash: WasmHash,
        code: Vec<u8>,
        restored: bool,
    },
    Created(Instance),
    Changed {
        old: Instance,
        new: Instance,
    },
    Restored(Instance),
}

/// Pairs the values before and after the operation per key. The value before is a `STATE`,
/// or the `RESTORED` value of an automatic restore, written before the `UPDATED` value (a
/// restore from the live state) or after it (a restore from the hot archive).
fn instance_changes(changes: &[&LedgerEntryChange]) -> Vec<Entry> {
    struct Slot {
        before: Option<Instance>,
        restored: bool,
        after: Option<Instance>,
        created: bool,
    }
    let mut order: Vec<ContractId> = Vec::new();
    let mut slots: HashMap<ContractId, Slot> = HashMap::new();
    let mut out = Vec::new();
    for change in changes {
        let (entry, role) = match change {
            LedgerEntryChange::Created(e) => (e, 'c'),
            LedgerEntryChange::Updated(e) => (e, 'u'),
            LedgerEntryChange::State(e) => (e, 's'),
            LedgerEntryChange::Restored(e) => (e, 'r'),
            LedgerEntryChange::Removed(_) => continue,
        };
        if let LedgerEntryData::ContractCode(c) = &entry.data {
            if role == 'c' || role == 'r' {
                out.push(Entry::Code {
                    hash: WasmHash(c.hash.0),
                    code: c.code.to_vec(),
                    restored: role == 'r',
                });
            }
            continue;
        }
        let Some(inst) = instance(&entry.data) else {
            continue;
        };
        let slot = slots.entry(inst.contract).or_insert_with(|| {
            order.push(inst.contract);
            Slot {
                before: None,
                restored: false,
                after: None,
                created: false,
            }
        });
        match role {
            'c' => {
                slot.created = true;
                slot.after = Some(inst);
            }
            'u' => slot.after = Some(inst),
            'r' => {
                slot.restored = true;
                slot.before = Some(inst);
            }
            _ => slot.before = Some(inst),
        }
    }
    for contract in order {
        let Some(slot) = slots.remove(&contract) else {
            continue;
        };
        match (slot.created, slot.before, slot.after) {
            (true, _, Some(after)) => out.push(Entry::Created(after)),
            (false, Some(before), Some(after)) if before.executable != after.executable => out
                .push(Entry::Changed {
                    old: before,
                    new: after,
                }),
            (false, Some(before), None) if slot.restored => out.push(Entry::Restored(before)),
            (false, Some(before), Some(_)) if slot.restored => out.push(Entry::Restored(before)),
            _ => {}
        }
    }
    out
}

/// A creation the operation itself names: the preimage of a top-level `CreateContract(V2)`
/// or of a `CreateContract(V2)HostFn` in one of its authorization trees, which computes to
/// the created contract's id.
#[derive(Debug, Clone)]
struct Creation {
    /// The address in a `FromAddress` preimage (the deployer).
    address: Option<String>,
    asset: Option<AssetRef>,
    args: Option<serde_json::Value>,
}

fn creation(
    network: Network,
    preimage: &ContractIdPreimage,
    args: Option<&[ScVal]>,
    target: &ContractId,
) -> Option<Creation> {
    if contract_id(network, preimage) != *target {
        return None;
    }
    let (address, asset) = match preimage {
        ContractIdPreimage::Address(a) => (address_strkey(&a.address), None),
        ContractIdPreimage::Asset(a) => (None, AssetRef::from_xdr(a)),
    };
    Some(Creation {
        address,
        asset,
        args: args.and_then(|a| serde_json::to_value(a).ok()),
    })
}

fn created_by_op(
    network: Network,
    f: &stellar_xdr::InvokeHostFunctionOp,
    target: &ContractId,
) -> Option<Creation> {
    match &f.host_function {
        HostFunction::CreateContract(a) => {
            return creation(network, &a.contract_id_preimage, None, target);
        }
        HostFunction::CreateContractV2(a) => {
            return creation(
                network,
                &a.contract_id_preimage,
                Some(a.constructor_args.as_slice()),
                target,
            );
        }
        _ => {}
    }
    fn walk(
        network: Network,
        inv: &SorobanAuthorizedInvocation,
        target: &ContractId,
        depth: u32,
    ) -> Option<Creation> {
        if depth > MAX_AUTH_DEPTH {
            return None;
        }
        let found = match &inv.function {
            SorobanAuthorizedFunction::CreateContractHostFn(a) => {
                creation(network, &a.contract_id_preimage, None, target)
            }
            SorobanAuthorizedFunction::CreateContractV2HostFn(a) => creation(
                network,
                &a.contract_id_preimage,
                Some(a.constructor_args.as_slice()),
                target,
            ),
            SorobanAuthorizedFunction::ContractFn(_) => None,
        };
        found.or_else(|| {
            inv.sub_invocations
                .iter()
                .find_map(|s| walk(network, s, target, depth + 1))
        })
    }
    f.auth
        .iter()
        .find_map(|e| walk(network, &e.root_invocation, target, 0))
}

/// Who deployed a contract, in order of certainty: the address of the preimage the operation
/// names (a top-level creation, or one in an authorization tree; a Stellar Asset Contract's
/// preimage names none); the contract that ran its `__constructor` or `init_asset`
/// (diagnostic events: the host calls them from the deploying frame); else the contract the
/// operation called, when the ledger does not show which of its calls made the instance.
/// `None` leaves it to the caller's fallback, the operation's source.
fn deployer_of(
    contract: &ContractId,
    found: Option<&Creation>,
    calls: &CallTree,
) -> Option<String> {
    if let Some(address) = found.and_then(|f| f.address.clone()) {
        return Some(address);
    }
    if let Some(parent) = calls.constructed_by.get(contract) {
        return Some(parent.to_string());
    }
    calls.top.map(|c| c.to_string())
}

/// Authorization trees deeper than this are not followed (the network bounds them far lower).
const MAX_AUTH_DEPTH: u32 = 64;

/// The calls of one `InvokeHostFunction` operation.
#[derive(Default)]
struct CallTree {
    invocations: Vec<Change>,
    /// Contracts whose `__constructor` was called from a contract frame, by that contract.
    constructed_by: HashMap<ContractId, ContractId>,
    /// The contract the operation called.
    top: Option<ContractId>,
}

impl CallTree {
    /// `created`: the contracts the operation created, whose `__constructor` (or, for a
    /// Stellar Asset Contract, `init_asset`) the host runs from the deploying frame as part of
    /// the deployment: not calls, but the sign of who deployed them.
    fn read(
        f: &stellar_xdr::InvokeHostFunctionOp,
        diagnostics: &[&DiagnosticEvent],
        created: &HashSet<ContractId>,
        op_source: Option<String>,
        success: bool,
    ) -> CallTree {
        let mut tree = CallTree::default();
        let HostFunction::InvokeContract(call) = &f.host_function else {
            // A top-level deployment's constructor runs from no contract frame: nothing to
            // count, and the preimage names the deployer.
            return tree;
        };
        let Some(top) = contract_of(&call.contract_address) else {
            return tree;
        };
        tree.top = Some(top);
        let function = text(call.function_name.0.as_slice());
        tree.invocations.push(Change::Invocation {
            contract: top,
            caller: authorizer(&f.auth, &top, call.function_name.0.as_slice()).or(op_source),
            function,
            success,
            depth: 0,
            parent: None,
        });
        // The call tree when the ledger carries it; the authorization trees otherwise.
        let nested = calls_from_diagnostics(diagnostics)
            .unwrap_or_else(|| calls_from_auth(&f.auth, top, call.function_name.0.as_slice()));
        let is_setup = |c: &Call| {
            created.contains(&c.contract)
                && (c.function == "__constructor" || c.function == "init_asset")
        };
        for c in &nested {
            if is_setup(c) {
                if let Some(p) = c.parent {
                    tree.constructed_by.insert(c.contract, p);
                }
                continue;
            }
            tree.invocations.push(Change::Invocation {
                contract: c.contract,
                function: c.function.clone(),
                caller: c.parent.map(|p| p.to_string()),
                success: success && c.returned,
                depth: c.depth,
                parent: c.parent,
            });
        }
        tree
    }
}

/// A nested call.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    contract: ContractId,
    function: String,
    depth: u32,
    parent: Option<ContractId>,
    /// Whether the call returned (a failed call inside a transaction that succeeded did not).
    returned: bool,
}

/// The calls below the top-level one, from the diagnostic events the host writes for every
/// call: `fn_call` (topics `[fn_call, Bytes(callee), Symbol(function)]`, the event's
/// contract being the caller, none for the transaction's own call) opens a frame and
/// `fn_return` (written only when the call returned) closes it. A frame closed otherwise (a
/// call that failed inside a transaction that went on) is a failed call. Calls made by no
/// contract frame (the top-level call, a top-level deployment's constructor) are not nested
/// calls. `None` when the ledger carries no call events for the transaction.
fn calls_from_diagnostics(events: &[&DiagnosticEvent]) -> Option<Vec<Call>> {
    // Each open frame: the callee, and its call's index in `out` (none for a top-level call).
    let mut stack: Vec<(ContractId, Option<usize>)> = Vec::new();
    let mut out: Vec<Call> = Vec::new();
    let mut any = false;
    for d in events {
        let e = &d.event;
        if e.type_ != ContractEventType::Diagnostic {
            continue;
        }
        let ContractEventBody::V0(body) = &e.body;
        match body.topics.as_slice() {
            [ScVal::Symbol(s), ScVal::Bytes(callee), ScVal::Symbol(f)]
                if s.0.as_slice() == b"fn_call" && callee.0.len() == 32 =>
            {
                any = true;
                let mut id = [0u8; 32];
                id.copy_from_slice(callee.0.as_slice());
                let callee = ContractId(id);
                let caller = e.contract_id.as_ref().map(|c| ContractId(c.0.0));
                let index = match caller {
                    Some(parent) => {
                        // Frames a failed call left open are closed by the caller's own
                        // position in the stack.
                        while stack.last().is_some_and(|c| c.0 != parent) && stack.len() > 1 {
                            stack.pop();
                        }
                        out.push(Call {
                            contract: callee,
                            function: text(f.0.as_slice()),
                            depth: stack.len().max(1) as u32,
                            parent: Some(parent),
                            returned: false,
                        });
                        Some(out.len() - 1)
                    }
                    None => {
                        stack.clear();
                        None
                    }
                };
                stack.push((callee, index));
            }
            [ScVal::Symbol(s), ..] if s.0.as_slice() == b"fn_return" => {
                if let Some((_, Some(i))) = stack.pop() {
                    out[i].returned = true;
                }
            }
            _ => {}
        }
    }
    any.then_some(out)
}

/// The calls below the top-level one that needed someone's authorization, merged over every
/// authorization entry (each signer authorizes its own tree; equal calls are counted once).
/// Roots other than the top-level call are calls made somewhere below it (depth 1 at least;
/// their parent is the top-level contract as far as the ledger shows).
fn calls_from_auth(
    auth: &[SorobanAuthorizationEntry],
    top: ContractId,
    top_fn: &[u8],
) -> Vec<Call> {
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut out = Vec::new();
    fn key(parent: &[u8], inv: &SorobanAuthorizedInvocation) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(parent);
        h.update(inv.function.to_xdr(Limits::none()).unwrap_or_default());
        h.finalize().to_vec()
    }
    #[allow(clippy::too_many_arguments)]
    fn walk(
        inv: &SorobanAuthorizedInvocation,
        parent: ContractId,
        parent_key: &[u8],
        depth: u32,
        seen: &mut HashSet<Vec<u8>>,
        out: &mut Vec<Call>,
    ) {
        if depth > MAX_AUTH_DEPTH {
            return;
        }
        let mut siblings: HashMap<Vec<u8>, u32> = HashMap::new();
        for sub in inv.sub_invocations.iter() {
            let base = key(parent_key, sub);
            let n = siblings.entry(base.clone()).or_default();
            let mut k = base;
            k.extend(n.to_be_bytes());
            *n += 1;
            let SorobanAuthorizedFunction::ContractFn(c) = &sub.function else {
                continue;
            };
            let Some(contract) = contract_of(&c.contract_address) else {
                continue;
            };
            if seen.insert(k.clone()) {
                out.push(Call {
                    contract,
                    function: text(c.function_name.0.as_slice()),
                    depth,
                    parent: Some(parent),
                    returned: true,
                });
            }
            walk(sub, contract, &k, depth + 1, seen, out);
        }
    }
    for entry in auth {
        let root = &entry.root_invocation;
        let SorobanAuthorizedFunction::ContractFn(c) = &root.function else {
            continue;
        };
        let Some(contract) = contract_of(&c.contract_address) else {
            continue;
        };
        if contract == top && c.function_name.0.as_slice() == top_fn {
            walk(root, top, b"", 1, &mut seen, &mut out);
        } else {
            let k = key(b"root", root);
            if seen.insert(k.clone()) {
                out.push(Call {
                    contract,
                    function: text(c.function_name.0.as_slice()),
                    depth: 1,
                    parent: Some(top),
                    returned: true,
                });
            }
            walk(root, contract, &k, 2, &mut seen, &mut out);
        }
    }
    out
}

/// The address that authorized the top-level call itself with its own credentials (a smart
/// wallet whose `__check_auth` approved it, an account other than the fee payer); `None`
/// when the source account authorized it.
fn authorizer(
    auth: &[SorobanAuthorizationEntry],
    top: &ContractId,
    top_fn: &[u8],
) -> Option<String> {
    auth.iter().find_map(|e| {
        let SorobanAuthorizedFunction::ContractFn(c) = &e.root_invocation.function else {
            return None;
        };
        if contract_of(&c.contract_address) != Some(*top) || c.function_name.0.as_slice() != top_fn
        {
            return None;
        }
        match &e.credentials {
            SorobanCredentials::Address(a) | SorobanCredentials::AddressV2(a) => {
                address_strkey(&a.address)
            }
            SorobanCredentials::AddressWithDelegates(d) => {
                address_strkey(&d.address_credentials.address)
            }
            SorobanCredentials::SourceAccount => None,
        }
    })
}

#[cfg(test)]
mod tests;
