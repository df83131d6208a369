//! A synthetic, protocol-correct Stellar chain built with stellar-xdr: every ledger is a real
//! `LedgerCloseMeta` (v1 before protocol 23, v2 from it) whose transactions carry real
//! envelopes, results and `TransactionMeta` (v3 / v4), uploading the real WASM fixtures,
//! deploying contracts directly, by factory and as Stellar Asset Contracts, upgrading them,
//! invoking them (some calls fail, some are fee-bumped) and emitting events.
//!
//! The same generated objects feed `getLedgers`, `getTransactions`, `getEvents` and
//! `getLedgerEntries`, so the RPC's views agree with each other. Generation is deterministic
//! for a seed. Some contracts exist before the first generated ledger (their entries are
//! served by `getLedgerEntries` but no ledger deploys them), as on a real network whose early
//! history is outside the RPC's retention window.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use registry_core::spec::append_custom_section;
use registry_core::stellar::contract_id;
use registry_core::{ContractId, Network, WasmHash};
use registry_indexer::xdr::{code_key, contract_address, instance_key};
use sha2::{Digest, Sha256};
use stellar_xdr::{
    AccountId, AlphaNum4, Asset, AssetCode4, ContractCodeEntry, ContractCodeEntryExt,
    ContractDataDurability, ContractDataEntry, ContractEvent, ContractEventBody, ContractEventType,
    ContractEventV0, ContractExecutable, ContractIdPreimage, ContractIdPreimageFromAddress,
    CreateContractArgs, CreateContractArgsV2, DependentTxCluster, DiagnosticEvent, ExtensionPoint,
    FeeBumpTransaction, FeeBumpTransactionEnvelope, FeeBumpTransactionExt,
    FeeBumpTransactionInnerTx, GeneralizedTransactionSet, Hash, HostFunction,
    InnerTransactionResult, InnerTransactionResultExt, InnerTransactionResultPair,
    InnerTransactionResultResult, InvokeContractArgs, InvokeHostFunctionOp,
    InvokeHostFunctionResult, LedgerCloseMeta, LedgerCloseMetaExt, LedgerCloseMetaV1,
    LedgerCloseMetaV2, LedgerEntry, LedgerEntryChange, LedgerEntryChanges, LedgerEntryData,
    LedgerEntryExt, LedgerHeader, LedgerHeaderHistoryEntry, LedgerHeaderHistoryEntryExt, LedgerKey,
    Limits, Memo, MuxedAccount, Operation, OperationBody, OperationMeta, OperationMetaV2,
    OperationResult, OperationResultTr, ParallelTxExecutionStage, ParallelTxsComponent, PaymentOp,
    PaymentResult, Preconditions, PublicKey, ScAddress, ScContractInstance, ScString, ScSymbol,
    ScVal, SequenceNumber, SorobanTransactionMeta, SorobanTransactionMetaExt,
    SorobanTransactionMetaV2, StellarValue, StellarValueExt, TimePoint, Transaction,
    TransactionEnvelope, TransactionExt, TransactionMeta, TransactionMetaV3, TransactionMetaV4,
    TransactionPhase, TransactionResult, TransactionResultExt, TransactionResultMeta,
    TransactionResultMetaV1, TransactionResultPair, TransactionResultResult, TransactionSetV1,
    TransactionV1Envelope, TtlEntry, TxSetComponent, TxSetComponentTxsMaybeDiscountedFee, Uint256,
    WriteXdr,
};

/// What each generated ledger holds.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Classic payments per ledger (from protocol 23 each emits a SAC `transfer` event).
    pub classic_txs: usize,
    /// Contract invocations per ledger.
    pub invocations: usize,
    /// Contract events per successful invocation.
    pub events_per_invocation: usize,
    /// A deployment every this many ledgers (rotating direct, factory and asset deployments).
    pub deploy_every: u32,
    /// A WASM upload every this many ledgers.
    pub upload_every: u32,
    /// An upgrade every this many ledgers.
    pub upgrade_every: u32,
    /// Every this many invocations, one fails.
    pub fail_every: u32,
    /// Every this many invocations, one is wrapped in a fee bump.
    pub fee_bump_every: u32,
    /// Protocol of the first ledger.
    pub protocol: u32,
    /// `(n, protocol)`: the network upgrades to `protocol` from its `n`-th generated ledger.
    pub protocol_upgrade: Option<(u32, u32)>,
    /// Seconds between ledger close times.
    pub close_seconds: i64,
    /// Contract calls per ledger that call another contract (nested calls, read from the
    /// diagnostic call tree or from the authorization trees, in turn).
    pub nested_calls: usize,
    /// Classic transactions per ledger (two operations, muxed sources) paying an issued
    /// asset whose contract nobody deployed: from protocol 23 each payment emits an event at
    /// that contract's address (CAP-67).
    pub asset_payments: usize,
    /// Every this many ledgers, one of the rarer shapes of the real chain: an upgrade with an
    /// automatic restore (either order), a deployment and an upgrade in one ledger, a
    /// deployment by a factory called through a router, an asset contract deployed by a
    /// contract; and once, early, a module with a hostile spec. 0 for none.
    pub shapes_every: u32,
}

impl Profile {
    /// A small chain for tests: a little of everything in every few ledgers, with the switch
    /// from protocol 22 (ledger meta v1, transaction meta v3) to 23 (v2, v4) midway.
    pub fn test() -> Profile {
        Profile {
            classic_txs: 2,
            invocations: 3,
            events_per_invocation: 2,
            deploy_every: 2,
            upload_every: 3,
            upgrade_every: 5,
            fail_every: 4,
            fee_bump_every: 5,
            protocol: 22,
            protocol_upgrade: Some((20, 23)),
            close_seconds: 5,
            nested_calls: 1,
            asset_payments: 1,
            shapes_every: 2,
        }
    }

    /// Mainnet-shaped load (STELLAR.md): 300 transactions per ledger of which 20 are contract
    /// invocations, about 1,000 events, a deployment every 10 ledgers, an upload every 100.
    pub fn mainnet() -> Profile {
        Profile {
            classic_txs: 280,
            invocations: 20,
            events_per_invocation: 36,
            deploy_every: 10,
            upload_every: 100,
            upgrade_every: 50,
            fail_every: 12,
            fee_bump_every: 7,
            protocol: 23,
            protocol_upgrade: None,
            close_seconds: 5,
            nested_calls: 5,
            asset_payments: 20,
            shapes_every: 25,
        }
    }

    /// A lively demo network: something happens in nearly every ledger.
    pub fn demo() -> Profile {
        Profile {
            classic_txs: 3,
            invocations: 6,
            events_per_invocation: 2,
            deploy_every: 1,
            upload_every: 4,
            upgrade_every: 6,
            fail_every: 9,
            fee_bump_every: 5,
            protocol: 23,
            protocol_upgrade: None,
            close_seconds: 5,
            nested_calls: 1,
            asset_payments: 1,
            shapes_every: 5,
        }
    }
}

/// A transaction as `getTransactions` shows it.
#[derive(Debug, Clone)]
pub struct SimTx {
    pub hash: [u8; 32],
    pub success: bool,
    pub fee_bump: bool,
    /// 1-based position in the ledger's apply order.
    pub application_order: u32,
    pub envelope_xdr: String,
    pub result_xdr: String,
    pub result_meta_xdr: String,
    /// Contract events per operation (base64 `ContractEvent`s).
    pub contract_events_xdr: Vec<Vec<String>>,
}

/// A contract event as `getEvents` shows it.
#[derive(Debug, Clone)]
pub struct SimEvent {
    /// A system event (`executable_update`) rather than a contract event.
    pub system: bool,
    pub contract_id: String,
    pub tx_index: u32,
    pub op_index: u32,
    pub event_index: u32,
    pub topics_xdr: Vec<String>,
    pub value_xdr: String,
    pub tx_hash: [u8; 32],
}

/// One generated ledger with every view the RPC serves of it.
#[derive(Debug, Clone)]
pub struct SimLedger {
    pub seq: u32,
    pub hash: [u8; 32],
    pub close_time: DateTime<Utc>,
    pub protocol: u32,
    /// `LedgerHeaderHistoryEntry`, base64.
    pub header_xdr: String,
    /// `LedgerCloseMeta`, base64.
    pub metadata_xdr: String,
    /// The bare `LedgerHeader`, base64 (what `getLatestLedger` returns).
    pub bare_header_xdr: String,
    pub txs: Vec<SimTx>,
    pub events: Vec<SimEvent>,
}

/// A ledger entry as `getLedgerEntries` serves it.
#[derive(Debug, Clone)]
pub struct SimEntry {
    /// `LedgerEntryData`, base64.
    pub data_xdr: String,
    pub last_modified: u32,
    pub live_until: Option<u32>,
}

/// What the generator has produced so far, for tests that compare the registry with the
/// chain.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    /// Every WASM uploaded in a generated ledger.
    pub uploads: Vec<WasmHash>,
    /// Every contract deployed in a generated ledger, with how it was deployed.
    pub deployments: Vec<(ContractId, &'static str)>,
    /// Every upgrade: contract, old and new WASM.
    pub upgrades: Vec<(ContractId, WasmHash, WasmHash)>,
    /// Contracts that existed before the first generated ledger.
    pub preexisting: Vec<ContractId>,
    /// Top-level invocations per contract (all, failed).
    pub invocations: HashMap<ContractId, (u64, u64)>,
    /// Calls other contracts made to each contract, in successful transactions.
    pub sub_invocations: HashMap<ContractId, u64>,
    /// Addresses with activity that hold no contract: the asset contracts of assets paid
    /// in classic operations whose contract nobody deployed (CAP-67 events).
    pub phantoms: std::collections::BTreeSet<ContractId>,
    /// Who deployed each contract deployed in a generated ledger.
    pub deployers: HashMap<ContractId, String>,
    /// The asset (canonical form) of each Stellar Asset Contract, preexisting ones included.
    pub assets: HashMap<ContractId, String>,
    /// The version rows each contract's history must show: `(ledger, transaction's place in
    /// the ledger from 1, kind)`.
    pub versions: HashMap<ContractId, Vec<(u32, u32, &'static str)>>,
    /// Modules uploaded with a hostile spec, with the functions their ABI must keep.
    pub hostile: Vec<(WasmHash, Vec<String>)>,
    /// Who called each contract at top level (the authorizing address, else the source).
    pub callers: HashMap<ContractId, std::collections::BTreeSet<String>>,
    /// Which of the real chain's shapes were generated.
    pub shapes: std::collections::BTreeSet<&'static str>,
}

struct Deployed {
    id: ContractId,
    wasm: Option<WasmHash>,
}

impl Truth {
    /// Records a transaction's own call of `contract` by `caller`.
    fn called(&mut self, contract: ContractId, caller: String, success: bool) {
        let stat = self.invocations.entry(contract).or_default();
        stat.0 += 1;
        if !success {
            stat.1 += 1;
        }
        self.callers.entry(contract).or_default().insert(caller);
    }
}

/// An account's `G…` address.
fn account_strkey(key: [u8; 32]) -> String {
    registry_core::AccountId(key).to_string()
}

/// The chain generator.
pub struct Chain {
    pub network: Network,
    profile: Profile,
    rng: ChaCha8Rng,
    seq: u32,
    generated: u32,
    prev_hash: [u8; 32],
    close_time: i64,
    protocol: u32,
    accounts: Vec<[u8; 32]>,
    /// Modules not uploaded yet, and those that are (by hash).
    fixtures: Vec<Vec<u8>>,
    next_fixture: usize,
    builds: u32,
    uploaded: Vec<WasmHash>,
    upgradeable: Option<WasmHash>,
    factory: Option<ContractId>,
    contracts: Vec<Deployed>,
    deploy_kind: u32,
    invocation_counter: u32,
    /// Which rare shape comes next, and whether the next nested call has diagnostics.
    shape_turn: u32,
    nested_turn: u32,
    /// Ledger entries by base64 `LedgerKey`.
    pub entries: HashMap<String, SimEntry>,
    pub truth: Truth,
}

fn b64<T: WriteXdr>(v: &T) -> String {
    v.to_xdr_base64(Limits::none()).unwrap_or_default()
}

fn account(key: [u8; 32]) -> AccountId {
    AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(key)))
}

fn instance_data(id: ContractId, executable: ContractExecutable) -> LedgerEntryData {
    LedgerEntryData::ContractData(ContractDataEntry {
        ext: ExtensionPoint::V0,
        contract: contract_address(id),
        key: ScVal::LedgerKeyContractInstance,
        durability: ContractDataDurability::Persistent,
        val: ScVal::ContractInstance(ScContractInstance {
            executable,
            storage: None,
        }),
    })
}

/// A Stellar Asset Contract's instance with the storage the host writes at its creation
/// (`init_asset`): the asset info, the admin of an issued asset, and the metadata.
fn sac_instance_data(id: ContractId, asset: &registry_core::stellar::AssetRef) -> LedgerEntryData {
    use registry_core::stellar::AssetRef;
    let vec = |items: Vec<ScVal>| {
        ScVal::Vec(Some(stellar_xdr::ScVec(
            items.try_into().unwrap_or_default(),
        )))
    };
    let map = |pairs: Vec<(ScVal, ScVal)>| {
        stellar_xdr::ScMap(
            pairs
                .into_iter()
                .map(|(key, val)| stellar_xdr::ScMapEntry { key, val })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap_or_default(),
        )
    };
    let string = |s: &[u8]| ScVal::String(ScString(s.to_vec().try_into().unwrap_or_default()));
    let mut storage = Vec::new();
    let (info, symbol_text, name) = match asset {
        AssetRef::Native => (
            vec(vec![symbol("Native")]),
            "native".to_owned(),
            "native".to_owned(),
        ),
        AssetRef::Credit { code, issuer } => {
            let width = if code.len() <= 4 { 4 } else { 12 };
            let mut padded = code.as_bytes().to_vec();
            padded.resize(width, 0);
            let kind = if width == 4 {
                "AlphaNum4"
            } else {
                "AlphaNum12"
            };
            storage.push((
                vec(vec![symbol("Admin")]),
                ScVal::Address(ScAddress::Account(account(issuer.0))),
            ));
            (
                vec(vec![
                    symbol(kind),
                    ScVal::Map(Some(map(vec![
                        (symbol("asset_code"), string(&padded)),
                        (
                            symbol("issuer"),
                            ScVal::Bytes(stellar_xdr::ScBytes(
                                issuer.0.to_vec().try_into().unwrap_or_default(),
                            )),
                        ),
                    ]))),
                ]),
                code.clone(),
                asset.canonical(),
            )
        }
    };
    storage.insert(0, (vec(vec![symbol("AssetInfo")]), info));
    storage.push((
        symbol("METADATA"),
        ScVal::Map(Some(map(vec![
            (symbol("decimal"), ScVal::U32(7)),
            (symbol("name"), string(name.as_bytes())),
            (symbol("symbol"), string(symbol_text.as_bytes())),
        ]))),
    ));
    LedgerEntryData::ContractData(ContractDataEntry {
        ext: ExtensionPoint::V0,
        contract: contract_address(id),
        key: ScVal::LedgerKeyContractInstance,
        durability: ContractDataDurability::Persistent,
        val: ScVal::ContractInstance(ScContractInstance {
            executable: ContractExecutable::StellarAsset,
            storage: Some(map(storage)),
        }),
    })
}

/// A diagnostic `fn_call` event: `caller` (none for the transaction's own call) calls
/// `function` of `callee`.
fn fn_call(caller: Option<ContractId>, callee: ContractId, function: &str) -> DiagnosticEvent {
    DiagnosticEvent {
        in_successful_contract_call: true,
        event: ContractEvent {
            ext: ExtensionPoint::V0,
            contract_id: caller.map(|c| stellar_xdr::ContractId(Hash(c.0))),
            type_: ContractEventType::Diagnostic,
            body: ContractEventBody::V0(ContractEventV0 {
                topics: vec![
                    symbol("fn_call"),
                    ScVal::Bytes(stellar_xdr::ScBytes(
                        callee.0.to_vec().try_into().unwrap_or_default(),
                    )),
                    symbol(function),
                ]
                .try_into()
                .unwrap_or_default(),
                data: ScVal::Void,
            }),
        },
    }
}

/// The diagnostic `fn_return` event of a call of `function` of `callee`.
fn fn_return(callee: ContractId, function: &str) -> DiagnosticEvent {
    DiagnosticEvent {
        in_successful_contract_call: true,
        event: ContractEvent {
            ext: ExtensionPoint::V0,
            contract_id: Some(stellar_xdr::ContractId(Hash(callee.0))),
            type_: ContractEventType::Diagnostic,
            body: ContractEventBody::V0(ContractEventV0 {
                topics: vec![symbol("fn_return"), symbol(function)]
                    .try_into()
                    .unwrap_or_default(),
                data: ScVal::Void,
            }),
        },
    }
}

fn call(contract: ContractId, function: &str) -> HostFunction {
    HostFunction::InvokeContract(invoke_args(contract, function))
}

fn invoke_args(contract: ContractId, function: &str) -> InvokeContractArgs {
    InvokeContractArgs {
        contract_address: contract_address(contract),
        function_name: ScSymbol(function.try_into().unwrap_or_default()),
        args: vec![].try_into().unwrap_or_default(),
    }
}

/// A module whose spec a hostile uploader wrote: a function whose parameter nests
/// `Option<…>` 100 deep (the XDR reads it; the JSON the registry stores could not hold it),
/// beside a well-formed function, and meta whose second entry is truncated.
pub fn hostile_module(build: u32) -> Vec<u8> {
    use stellar_xdr::{
        ScMetaEntry, ScMetaV0, ScSpecEntry, ScSpecFunctionInputV0, ScSpecFunctionV0, ScSpecTypeDef,
        ScSpecTypeOption,
    };
    let function = |name: &str, t: ScSpecTypeDef| {
        ScSpecEntry::FunctionV0(ScSpecFunctionV0 {
            doc: "".try_into().unwrap_or_default(),
            name: ScSymbol(name.try_into().unwrap_or_default()),
            inputs: vec![ScSpecFunctionInputV0 {
                doc: "".try_into().unwrap_or_default(),
                name: "x".try_into().unwrap_or_default(),
                type_: t,
            }]
            .try_into()
            .unwrap_or_default(),
            outputs: vec![].try_into().unwrap_or_default(),
        })
    };
    let mut deep = ScSpecTypeDef::U32;
    for _ in 0..100 {
        deep = ScSpecTypeDef::Option(Box::new(ScSpecTypeOption {
            value_type: Box::new(deep),
        }));
    }
    let mut spec = function("ok", ScSpecTypeDef::U32)
        .to_xdr(Limits::none())
        .unwrap_or_default();
    spec.extend(
        function("deep", deep)
            .to_xdr(Limits::none())
            .unwrap_or_default(),
    );
    let mut meta = ScMetaEntry::ScMetaV0(ScMetaV0 {
        key: "sep".try_into().unwrap_or_default(),
        val: "41".try_into().unwrap_or_default(),
    })
    .to_xdr(Limits::none())
    .unwrap_or_default();
    meta.extend([0, 0, 0, 9, b's', b'o']);
    let m = append_custom_section(registry_core::spec::EMPTY_MODULE, "contractspecv0", &spec);
    let m = append_custom_section(&m, "sim_build", &build.to_be_bytes());
    append_custom_section(&m, "contractmetav0", &meta)
}

fn entry(seq: u32, data: LedgerEntryData) -> LedgerEntry {
    LedgerEntry {
        last_modified_ledger_seq: seq,
        data,
        ext: LedgerEntryExt::V0,
    }
}

fn symbol(s: &str) -> ScVal {
    ScVal::Symbol(ScSymbol(s.try_into().unwrap_or_default()))
}

/// How the instance's value before an upgrade appears in the meta.
#[derive(Debug, Clone, Copy)]
enum Before {
    /// A `STATE` pre-image.
    State,
    /// `RESTORED(old)` then `UPDATED(new)`.
    RestoredFirst,
    /// `UPDATED(new)` then `RESTORED(old)`.
    RestoredLast,
}

/// What one transaction does, before it is turned into XDR.
#[derive(Default)]
struct Plan {
    source: [u8; 32],
    /// The transaction's source is this muxed id of `source`.
    muxed: Option<u64>,
    body: OperationBody,
    success: bool,
    fee_bump: bool,
    changes: Vec<LedgerEntryChange>,
    events: Vec<ContractEvent>,
    /// More operations (classic ones): each with its own source, if any, and its events.
    more_ops: Vec<(Option<MuxedAccount>, OperationBody, Vec<ContractEvent>)>,
    /// Diagnostic events (the call tree), when the network writes them.
    diagnostics: Vec<DiagnosticEvent>,
    /// The version rows this transaction makes: `(contract, "deployed" | "upgraded")`.
    versions: Vec<(ContractId, &'static str)>,
}

impl Chain {
    /// Starts the chain's clock at `unix_seconds` (the default is a fixed instant, so tests
    /// are deterministic; the demo starts at the current time).
    pub fn starting_at(mut self, unix_seconds: i64) -> Chain {
        self.close_time = unix_seconds;
        self
    }

    /// A chain whose first generated ledger is `first_seq`.
    pub fn new(network: Network, profile: Profile, seed: u64, first_seq: u32) -> Chain {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let accounts: Vec<[u8; 32]> = (0..64).map(|_| rng.random()).collect();
        let fixtures: Vec<Vec<u8>> = registry_core::fixtures::WASMS
            .iter()
            .map(|(_, c)| c.to_vec())
            .collect();
        let mut chain = Chain {
            network,
            protocol: profile.protocol,
            profile,
            rng,
            seq: first_seq.saturating_sub(1),
            generated: 0,
            prev_hash: [0; 32],
            close_time: 1_780_000_000,
            accounts,
            fixtures,
            next_fixture: 0,
            builds: 0,
            uploaded: Vec::new(),
            upgradeable: None,
            factory: None,
            contracts: Vec::new(),
            deploy_kind: 0,
            invocation_counter: 0,
            shape_turn: 0,
            nested_turn: 0,
            entries: HashMap::new(),
            truth: Truth::default(),
        };
        chain.genesis();
        chain
    }

    /// Contracts that predate the generated history: a hello-world contract and the native
    /// asset contract, present in the ledger entries only.
    fn genesis(&mut self) {
        let hello = registry_core::fixtures::WASMS
            .iter()
            .find(|(p, _)| p.contains("hello_world"))
            .map(|(_, c)| c.to_vec())
            .unwrap_or_default();
        let hash = WasmHash::of_code(&hello);
        self.put_entry(
            &code_key(hash),
            LedgerEntryData::ContractCode(ContractCodeEntry {
                ext: ContractCodeEntryExt::V0,
                hash: Hash(hash.0),
                code: hello.try_into().unwrap_or_default(),
            }),
            1,
        );
        let old = ContractId(Sha256::digest(b"preexisting-hello").into());
        self.put_entry(
            &instance_key(old),
            instance_data(old, ContractExecutable::Wasm(Hash(hash.0))),
            1,
        );
        let native = contract_id(self.network, &ContractIdPreimage::Asset(Asset::Native));
        self.put_entry(
            &instance_key(native),
            sac_instance_data(native, &registry_core::stellar::AssetRef::Native),
            1,
        );
        self.contracts.push(Deployed {
            id: old,
            wasm: Some(hash),
        });
        self.truth.preexisting = vec![old, native];
        self.truth.assets.insert(native, "native".into());
    }

    fn put_entry(&mut self, key: &LedgerKey, data: LedgerEntryData, seq: u32) {
        let live_until = matches!(
            data,
            LedgerEntryData::ContractCode(_) | LedgerEntryData::ContractData(_)
        )
        .then_some(seq + 2_000_000);
        self.entries.insert(
            b64(key),
            SimEntry {
                data_xdr: b64(&data),
                last_modified: seq,
                live_until,
            },
        );
    }

    /// The sequence of the last generated ledger.
    pub fn last_seq(&self) -> u32 {
        self.seq
    }

    fn source(&mut self) -> [u8; 32] {
        *self.accounts.choose(&mut self.rng).unwrap_or(&[7; 32])
    }

    /// A module not uploaded yet: the next fixture, then rebuilds of them (a distinct build id).
    fn next_module(&mut self) -> Vec<u8> {
        let base = self.fixtures[self.next_fixture % self.fixtures.len()].clone();
        self.next_fixture += 1;
        if self.next_fixture <= self.fixtures.len() {
            return base;
        }
        self.builds += 1;
        append_custom_section(&base, "sim_build", &self.builds.to_be_bytes())
    }

    fn upload(&mut self, seq: u32) -> Plan {
        let code = self.next_module();
        self.upload_code(seq, code)
    }

    fn upload_code(&mut self, seq: u32, code: Vec<u8>) -> Plan {
        let hash = WasmHash::of_code(&code);
        let key = code_key(hash);
        let data = LedgerEntryData::ContractCode(ContractCodeEntry {
            ext: ContractCodeEntryExt::V0,
            hash: Hash(hash.0),
            code: code.clone().try_into().unwrap_or_default(),
        });
        self.put_entry(&key, data.clone(), seq);
        let key_hash: [u8; 32] =
            Sha256::digest(key.to_xdr(Limits::none()).unwrap_or_default()).into();
        let ttl = LedgerEntryData::Ttl(TtlEntry {
            key_hash: Hash(key_hash),
            live_until_ledger_seq: seq + 2_000_000,
        });
        if registry_core::spec::decode_wasm(&code)
            .spec
            .as_ref()
            .is_some_and(|s| s.function("upgrade").is_some() || s.function("update").is_some())
        {
            self.upgradeable.get_or_insert(hash);
        }
        self.uploaded.push(hash);
        self.truth.uploads.push(hash);
        Plan {
            source: self.source(),
            body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                host_function: HostFunction::UploadContractWasm(
                    code.try_into().unwrap_or_default(),
                ),
                auth: vec![].try_into().unwrap_or_default(),
            }),
            success: true,
            fee_bump: false,
            changes: vec![
                LedgerEntryChange::Created(entry(seq, data)),
                LedgerEntryChange::Created(entry(seq, ttl)),
            ],
            events: vec![],
            ..Default::default()
        }
    }

    fn deploy(&mut self, seq: u32) -> Option<Plan> {
        let source = self.source();
        let kind = self.deploy_kind % 3;
        self.deploy_kind += 1;
        let salt: [u8; 32] = self.rng.random();
        match kind {
            // A Stellar Asset Contract for a credit asset.
            1 => {
                let code: [u8; 4] = **[b"USDC", b"EURC", b"AQUA", b"KALE", b"BLND"]
                    .choose(&mut self.rng)
                    .unwrap_or(&b"USDC");
                let preimage = ContractIdPreimage::Asset(Asset::CreditAlphanum4(AlphaNum4 {
                    asset_code: AssetCode4(code),
                    issuer: account(salt),
                }));
                let id = contract_id(self.network, &preimage);
                let asset = registry_core::stellar::AssetRef::credit(
                    &code,
                    registry_core::AccountId(salt),
                )?;
                let data = sac_instance_data(id, &asset);
                self.put_entry(&instance_key(id), data.clone(), seq);
                self.contracts.push(Deployed { id, wasm: None });
                self.truth.deployments.push((id, "asset"));
                self.truth.assets.insert(id, asset.canonical());
                self.truth.deployers.insert(id, account_strkey(source));
                Some(Plan {
                    source,
                    body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                        host_function: HostFunction::CreateContract(CreateContractArgs {
                            contract_id_preimage: preimage,
                            executable: ContractExecutable::StellarAsset,
                        }),
                        auth: vec![].try_into().unwrap_or_default(),
                    }),
                    success: true,
                    fee_bump: false,
                    changes: vec![LedgerEntryChange::Created(entry(seq, data))],
                    events: vec![],
                    ..Default::default()
                })
            }
            // A factory contract deploys inside its own call: no top-level create.
            2 if self.factory.is_some() && !self.uploaded.is_empty() => {
                let factory = self.factory?;
                let wasm = *self.uploaded.choose(&mut self.rng)?;
                let preimage = ContractIdPreimage::Address(ContractIdPreimageFromAddress {
                    address: contract_address(factory),
                    salt: Uint256(salt),
                });
                let id = contract_id(self.network, &preimage);
                let data = instance_data(id, ContractExecutable::Wasm(Hash(wasm.0)));
                self.put_entry(&instance_key(id), data.clone(), seq);
                self.contracts.push(Deployed {
                    id,
                    wasm: Some(wasm),
                });
                self.truth.deployments.push((id, "factory"));
                self.truth.deployers.insert(id, factory.to_string());
                self.truth.called(factory, account_strkey(source), true);
                Some(Plan {
                    source,
                    body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                        host_function: HostFunction::InvokeContract(InvokeContractArgs {
                            contract_address: contract_address(factory),
                            function_name: ScSymbol("deploy".try_into().unwrap_or_default()),
                            args: vec![ScVal::Bytes(stellar_xdr::ScBytes(
                                wasm.0.to_vec().try_into().unwrap_or_default(),
                            ))]
                            .try_into()
                            .unwrap_or_default(),
                        }),
                        auth: vec![].try_into().unwrap_or_default(),
                    }),
                    success: true,
                    fee_bump: false,
                    changes: vec![LedgerEntryChange::Created(entry(seq, data))],
                    events: vec![],
                    versions: vec![(id, "deployed")],
                    ..Default::default()
                })
            }
            // A direct deployment of an uploaded WASM, with constructor arguments.
            _ => {
                let wasm = *self.uploaded.choose(&mut self.rng)?;
                let preimage = ContractIdPreimage::Address(ContractIdPreimageFromAddress {
                    address: ScAddress::Account(account(source)),
                    salt: Uint256(salt),
                });
                let id = contract_id(self.network, &preimage);
                let data = instance_data(id, ContractExecutable::Wasm(Hash(wasm.0)));
                self.put_entry(&instance_key(id), data.clone(), seq);
                self.contracts.push(Deployed {
                    id,
                    wasm: Some(wasm),
                });
                if self.factory.is_none() {
                    self.factory = Some(id);
                }
                self.truth.deployments.push((id, "direct"));
                self.truth.deployers.insert(id, account_strkey(source));
                Some(Plan {
                    source,
                    body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                        host_function: HostFunction::CreateContractV2(CreateContractArgsV2 {
                            contract_id_preimage: preimage,
                            executable: ContractExecutable::Wasm(Hash(wasm.0)),
                            constructor_args: vec![ScVal::U32(self.deploy_kind), symbol("init")]
                                .try_into()
                                .unwrap_or_default(),
                        }),
                        auth: vec![].try_into().unwrap_or_default(),
                    }),
                    success: true,
                    fee_bump: false,
                    changes: vec![LedgerEntryChange::Created(entry(seq, data))],
                    events: vec![],
                    versions: vec![(id, "deployed")],
                    ..Default::default()
                })
            }
        }
    }

    fn upgrade(&mut self, seq: u32) -> Option<Plan> {
        let new = self.upgradeable.or_else(|| self.uploaded.last().copied())?;
        let candidates: Vec<usize> = (0..self.contracts.len())
            .filter(|i| self.contracts[*i].wasm.is_some_and(|w| w != new))
            .collect();
        let i = *candidates.choose(&mut self.rng)?;
        self.upgrade_at(seq, i, new, Before::State)
    }

    /// Upgrades the `i`-th contract to `new`, with the value before the operation written the
    /// way `before` says.
    fn upgrade_at(&mut self, seq: u32, i: usize, new: WasmHash, before: Before) -> Option<Plan> {
        let (id, old) = (self.contracts[i].id, self.contracts[i].wasm?);
        if old == new {
            return None;
        }
        self.contracts[i].wasm = Some(new);
        let old_data = instance_data(id, ContractExecutable::Wasm(Hash(old.0)));
        let new_data = instance_data(id, ContractExecutable::Wasm(Hash(new.0)));
        self.put_entry(&instance_key(id), new_data.clone(), seq);
        self.truth.upgrades.push((id, old, new));
        let source = self.source();
        self.truth.called(id, account_strkey(source), true);
        let executable = |h: WasmHash| {
            ScVal::Vec(Some(stellar_xdr::ScVec(
                vec![
                    symbol("Wasm"),
                    ScVal::Bytes(stellar_xdr::ScBytes(
                        h.0.to_vec().try_into().unwrap_or_default(),
                    )),
                ]
                .try_into()
                .unwrap_or_default(),
            )))
        };
        let system = ContractEvent {
            ext: ExtensionPoint::V0,
            contract_id: Some(stellar_xdr::ContractId(Hash(id.0))),
            type_: ContractEventType::System,
            body: ContractEventBody::V0(ContractEventV0 {
                topics: vec![
                    symbol("executable_update"),
                    executable(old),
                    executable(new),
                ]
                .try_into()
                .unwrap_or_default(),
                data: ScVal::Void,
            }),
        };
        let old_entry = entry(seq.saturating_sub(1), old_data);
        let new_entry = entry(seq, new_data);
        // Protocol 23 restores an archived instance on use: from the live state the restored
        // value is written before the update, from the hot archive (rc builds) after it.
        let changes = match before {
            Before::State => vec![
                LedgerEntryChange::State(old_entry),
                LedgerEntryChange::Updated(new_entry),
            ],
            Before::RestoredFirst => vec![
                LedgerEntryChange::Restored(old_entry),
                LedgerEntryChange::Updated(new_entry),
            ],
            Before::RestoredLast => vec![
                LedgerEntryChange::Updated(new_entry),
                LedgerEntryChange::Restored(old_entry),
            ],
        };
        Some(Plan {
            source,
            body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                host_function: HostFunction::InvokeContract(InvokeContractArgs {
                    contract_address: contract_address(id),
                    function_name: ScSymbol("upgrade".try_into().unwrap_or_default()),
                    args: vec![ScVal::Bytes(stellar_xdr::ScBytes(
                        new.0.to_vec().try_into().unwrap_or_default(),
                    ))]
                    .try_into()
                    .unwrap_or_default(),
                }),
                auth: vec![].try_into().unwrap_or_default(),
            }),
            success: true,
            changes,
            events: vec![system],
            versions: vec![(id, "upgraded")],
            ..Default::default()
        })
    }

    fn invocation(&mut self) -> Option<Plan> {
        let target = self.contracts.choose(&mut self.rng)?.id;
        self.invocation_counter += 1;
        let n = self.invocation_counter;
        let success = self.profile.fail_every == 0 || !n.is_multiple_of(self.profile.fail_every);
        let function = *["transfer", "swap", "deposit", "hello", "increment", "vote"]
            .choose(&mut self.rng)
            .unwrap_or(&"hello");
        let source = self.source();
        self.truth.called(target, account_strkey(source), success);
        let events = if success {
            (0..self.profile.events_per_invocation)
                .map(|i| ContractEvent {
                    ext: ExtensionPoint::V0,
                    contract_id: Some(stellar_xdr::ContractId(Hash(target.0))),
                    type_: ContractEventType::Contract,
                    body: ContractEventBody::V0(ContractEventV0 {
                        topics: vec![symbol(function)].try_into().unwrap_or_default(),
                        data: ScVal::U32(i as u32),
                    }),
                })
                .collect()
        } else {
            vec![]
        };
        Some(Plan {
            source,
            body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                host_function: HostFunction::InvokeContract(InvokeContractArgs {
                    contract_address: contract_address(target),
                    function_name: ScSymbol(function.try_into().unwrap_or_default()),
                    args: vec![ScVal::U64(u64::from(n))]
                        .try_into()
                        .unwrap_or_default(),
                }),
                auth: vec![].try_into().unwrap_or_default(),
            }),
            success,
            fee_bump: self.profile.fee_bump_every != 0
                && n.is_multiple_of(self.profile.fee_bump_every),
            changes: vec![],
            events,
            ..Default::default()
        })
    }

    fn payment(&mut self) -> Plan {
        let (from, to) = (self.source(), self.source());
        let native = contract_id(self.network, &ContractIdPreimage::Asset(Asset::Native));
        let events = if self.protocol >= 23 {
            let transfer = ContractEvent {
                ext: ExtensionPoint::V0,
                contract_id: Some(stellar_xdr::ContractId(Hash(native.0))),
                type_: ContractEventType::Contract,
                body: ContractEventBody::V0(ContractEventV0 {
                    topics: vec![
                        symbol("transfer"),
                        ScVal::Address(ScAddress::Account(account(from))),
                        ScVal::Address(ScAddress::Account(account(to))),
                        ScVal::String(ScString("native".try_into().unwrap_or_default())),
                    ]
                    .try_into()
                    .unwrap_or_default(),
                    data: ScVal::I128(stellar_xdr::Int128Parts {
                        hi: 0,
                        lo: 10_000_000,
                    }),
                }),
            };
            vec![transfer]
        } else {
            vec![]
        };
        Plan {
            source: from,
            body: OperationBody::Payment(PaymentOp {
                destination: MuxedAccount::Ed25519(Uint256(to)),
                asset: Asset::Native,
                amount: 10_000_000,
            }),
            success: true,
            fee_bump: false,
            changes: vec![],
            events,
            ..Default::default()
        }
    }

    /// A classic transaction of two payments of an issued asset whose contract nobody
    /// deployed, from a muxed source: from protocol 23 each emits `transfer` at the asset
    /// contract's address (CAP-67), which must never make a contract row.
    fn asset_payments(&mut self) -> Plan {
        let (from, to) = (self.source(), self.source());
        // The same few assets are paid again and again, as on the real network.
        let issuer = self.source();
        let asset = Asset::CreditAlphanum4(AlphaNum4 {
            asset_code: AssetCode4(*b"SPAM"),
            issuer: account(issuer),
        });
        let phantom = contract_id(self.network, &ContractIdPreimage::Asset(asset.clone()));
        let event = || ContractEvent {
            ext: ExtensionPoint::V0,
            contract_id: Some(stellar_xdr::ContractId(Hash(phantom.0))),
            type_: ContractEventType::Contract,
            body: ContractEventBody::V0(ContractEventV0 {
                topics: vec![
                    symbol("transfer"),
                    ScVal::Address(ScAddress::Account(account(from))),
                    ScVal::Address(ScAddress::Account(account(to))),
                ]
                .try_into()
                .unwrap_or_default(),
                data: ScVal::I128(stellar_xdr::Int128Parts { hi: 0, lo: 5 }),
            }),
        };
        let events = if self.protocol >= 23 {
            self.truth.phantoms.insert(phantom);
            self.truth
                .shapes
                .insert("classic payments at an undeployed asset contract");
            vec![event()]
        } else {
            vec![]
        };
        let payment = PaymentOp {
            destination: MuxedAccount::Ed25519(Uint256(to)),
            asset,
            amount: 5,
        };
        Plan {
            source: from,
            muxed: Some(u64::from(self.rng.random::<u32>())),
            body: OperationBody::Payment(payment.clone()),
            success: true,
            events: events.clone(),
            more_ops: vec![(
                Some(MuxedAccount::MuxedEd25519(
                    stellar_xdr::MuxedAccountMed25519 {
                        id: 7,
                        ed25519: Uint256(from),
                    },
                )),
                OperationBody::Payment(payment),
                events,
            )],
            ..Default::default()
        }
    }

    /// Two deployed WASM contracts, distinct: a router and what it calls.
    fn two_contracts(&mut self) -> Option<(ContractId, ContractId)> {
        let wasm: Vec<ContractId> = self
            .contracts
            .iter()
            .filter(|c| c.wasm.is_some())
            .map(|c| c.id)
            .collect();
        let router = *wasm.choose(&mut self.rng)?;
        let target = self
            .contracts
            .iter()
            .map(|c| c.id)
            .filter(|c| *c != router)
            .collect::<Vec<_>>()
            .choose(&mut self.rng)
            .copied()?;
        Some((router, target))
    }

    /// A contract call that calls another contract: the call tree is in the diagnostic
    /// events (every other time) or only in the authorization entries, where a smart wallet
    /// authorized the router's call (relayed by the source account, which pays).
    fn nested_call(&mut self, with_diagnostics: bool) -> Option<Plan> {
        let (router, target) = self.two_contracts()?;
        let source = self.source();
        *self.truth.sub_invocations.entry(target).or_default() += 1;
        let mut plan = Plan {
            source,
            success: true,
            ..Default::default()
        };
        let caller = if with_diagnostics {
            plan.diagnostics = vec![
                fn_call(None, router, "route"),
                fn_call(Some(router), target, "transfer"),
                fn_return(target, "transfer"),
                fn_return(router, "route"),
            ];
            account_strkey(source)
        } else {
            let wallet = ContractId(self.rng.random());
            plan.body = OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                host_function: call(router, "route"),
                auth: vec![stellar_xdr::SorobanAuthorizationEntry {
                    credentials: stellar_xdr::SorobanCredentials::Address(
                        stellar_xdr::SorobanAddressCredentials {
                            address: contract_address(wallet),
                            nonce: 1,
                            signature_expiration_ledger: self.seq + 100,
                            signature: ScVal::Void,
                        },
                    ),
                    root_invocation: stellar_xdr::SorobanAuthorizedInvocation {
                        function: stellar_xdr::SorobanAuthorizedFunction::ContractFn(invoke_args(
                            router, "route",
                        )),
                        sub_invocations: vec![stellar_xdr::SorobanAuthorizedInvocation {
                            function: stellar_xdr::SorobanAuthorizedFunction::ContractFn(
                                invoke_args(target, "transfer"),
                            ),
                            sub_invocations: vec![].try_into().unwrap_or_default(),
                        }]
                        .try_into()
                        .unwrap_or_default(),
                    },
                }]
                .try_into()
                .unwrap_or_default(),
            });
            wallet.to_string()
        };
        if with_diagnostics {
            plan.body = OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                host_function: call(router, "route"),
                auth: vec![].try_into().unwrap_or_default(),
            });
        }
        self.truth.called(router, caller, true);
        self.truth.shapes.insert(if with_diagnostics {
            "nested call in the diagnostic events"
        } else {
            "nested call in a smart wallet's authorization"
        });
        Some(plan)
    }

    /// A router calls the factory, which deploys a contract (its constructor runs from the
    /// factory's frame): the factory is the deployer, not the router.
    fn factory_through_router(&mut self, seq: u32) -> Option<Plan> {
        let factory = self.factory?;
        let router = self
            .contracts
            .iter()
            .filter(|c| c.wasm.is_some() && c.id != factory)
            .map(|c| c.id)
            .collect::<Vec<_>>()
            .choose(&mut self.rng)
            .copied()?;
        let wasm = *self.uploaded.choose(&mut self.rng)?;
        let salt: [u8; 32] = self.rng.random();
        let id = contract_id(
            self.network,
            &ContractIdPreimage::Address(ContractIdPreimageFromAddress {
                address: contract_address(factory),
                salt: Uint256(salt),
            }),
        );
        let data = instance_data(id, ContractExecutable::Wasm(Hash(wasm.0)));
        self.put_entry(&instance_key(id), data.clone(), seq);
        self.contracts.push(Deployed {
            id,
            wasm: Some(wasm),
        });
        let source = self.source();
        self.truth.deployments.push((id, "factory"));
        self.truth.deployers.insert(id, factory.to_string());
        *self.truth.sub_invocations.entry(factory).or_default() += 1;
        self.truth.called(router, account_strkey(source), true);
        Some(Plan {
            source,
            body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                host_function: call(router, "add_liquidity"),
                auth: vec![].try_into().unwrap_or_default(),
            }),
            success: true,
            changes: vec![LedgerEntryChange::Created(entry(seq, data))],
            diagnostics: vec![
                fn_call(None, router, "add_liquidity"),
                fn_call(Some(router), factory, "create_pair"),
                fn_call(Some(factory), id, "__constructor"),
                fn_return(id, "__constructor"),
                fn_return(factory, "create_pair"),
                fn_return(router, "add_liquidity"),
            ],
            versions: vec![(id, "deployed")],
            ..Default::default()
        })
    }

    /// A contract deploys the asset contract of an issued asset inside its own call: no
    /// preimage in the operation, the asset only in the new instance's storage.
    fn asset_contract_from_a_contract(&mut self, seq: u32) -> Option<Plan> {
        let deployer = self.factory?;
        let issuer: [u8; 32] = self.rng.random();
        let asset = registry_core::stellar::AssetRef::credit(
            b"LONGCODE1",
            registry_core::AccountId(issuer),
        )?;
        let id = contract_id(self.network, &asset.preimage());
        let data = sac_instance_data(id, &asset);
        self.put_entry(&instance_key(id), data.clone(), seq);
        self.contracts.push(Deployed { id, wasm: None });
        let source = self.source();
        self.truth.deployments.push((id, "asset"));
        self.truth.assets.insert(id, asset.canonical());
        self.truth.deployers.insert(id, deployer.to_string());
        self.truth.called(deployer, account_strkey(source), true);
        Some(Plan {
            source,
            body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                host_function: call(deployer, "deploy_asset"),
                auth: vec![].try_into().unwrap_or_default(),
            }),
            success: true,
            changes: vec![LedgerEntryChange::Created(entry(seq, data))],
            ..Default::default()
        })
    }

    /// A direct deployment and, in the next transaction of the same ledger, its upgrade.
    fn deploy_then_upgrade(&mut self, seq: u32) -> Vec<Plan> {
        // The direct kind of deployment (see `deploy`).
        let kind = self.deploy_kind;
        self.deploy_kind = 0;
        let deployed = self.deploy(seq);
        self.deploy_kind = kind;
        let Some(deploy) = deployed else {
            return vec![];
        };
        let i = self.contracts.len() - 1;
        let current = self.contracts[i].wasm;
        let new = self
            .upgradeable
            .filter(|u| Some(*u) != current)
            .or_else(|| {
                self.uploaded
                    .iter()
                    .rev()
                    .find(|h| Some(**h) != current)
                    .copied()
            });
        match new.and_then(|new| self.upgrade_at(seq, i, new, Before::State)) {
            Some(upgrade) => vec![deploy, upgrade],
            None => vec![deploy],
        }
    }

    /// One of the rarer shapes, in turn.
    fn rare_shape(&mut self, seq: u32) -> Vec<Plan> {
        self.shape_turn += 1;
        let restore = |chain: &mut Chain, before: Before| {
            let new = chain
                .upgradeable
                .or_else(|| chain.uploaded.last().copied())?;
            let candidates: Vec<usize> = (0..chain.contracts.len())
                .filter(|i| chain.contracts[*i].wasm.is_some_and(|w| w != new))
                .collect();
            let i = *candidates.choose(&mut chain.rng)?;
            chain.upgrade_at(seq, i, new, before)
        };
        let (name, plans): (&'static str, Vec<Plan>) = match self.shape_turn % 5 {
            0 => (
                "upgrade restoring first",
                restore(self, Before::RestoredFirst).into_iter().collect(),
            ),
            1 => (
                "upgrade restoring last",
                restore(self, Before::RestoredLast).into_iter().collect(),
            ),
            2 => {
                let plans = self.deploy_then_upgrade(seq);
                let name = if plans.len() == 2 {
                    "deployment and upgrade in one ledger"
                } else {
                    "deployment"
                };
                (name, plans)
            }
            3 => (
                "factory deployment through a router",
                self.factory_through_router(seq).into_iter().collect(),
            ),
            _ => (
                "asset contract deployed by a contract",
                self.asset_contract_from_a_contract(seq)
                    .into_iter()
                    .collect(),
            ),
        };
        if !plans.is_empty() {
            self.truth.shapes.insert(name);
        }
        plans
    }

    /// Generates the next ledger.
    pub fn next_ledger(&mut self) -> SimLedger {
        self.seq += 1;
        self.generated += 1;
        let seq = self.seq;
        if let Some((at, protocol)) = self.profile.protocol_upgrade {
            if self.generated >= at {
                self.protocol = protocol;
            }
        }
        self.close_time += self.profile.close_seconds;
        let p = self.profile.clone();
        let mut soroban: Vec<Plan> = Vec::new();
        if p.upload_every != 0 && (seq.is_multiple_of(p.upload_every) || self.uploaded.is_empty()) {
            soroban.push(self.upload(seq));
        }
        if p.deploy_every != 0 && seq.is_multiple_of(p.deploy_every) {
            if let Some(plan) = self.deploy(seq) {
                soroban.push(plan);
            }
        }
        if p.upgrade_every != 0 && seq.is_multiple_of(p.upgrade_every) {
            if let Some(plan) = self.upgrade(seq) {
                soroban.push(plan);
            }
        }
        for _ in 0..p.invocations {
            if let Some(plan) = self.invocation() {
                soroban.push(plan);
            }
        }
        for _ in 0..p.nested_calls {
            self.nested_turn += 1;
            if let Some(plan) = self.nested_call(self.nested_turn.is_multiple_of(2)) {
                soroban.push(plan);
            }
        }
        if p.shapes_every != 0 {
            if self.generated == 3 {
                self.builds += 1;
                let code = hostile_module(self.builds);
                self.truth
                    .hostile
                    .push((WasmHash::of_code(&code), vec!["ok".to_owned()]));
                self.truth.shapes.insert("hostile spec");
                soroban.push(self.upload_code(seq, code));
            }
            if seq.is_multiple_of(p.shapes_every) {
                soroban.extend(self.rare_shape(seq));
            }
        }
        let mut classic: Vec<Plan> = (0..p.classic_txs).map(|_| self.payment()).collect();
        classic.extend((0..p.asset_payments).map(|_| self.asset_payments()));
        self.build(seq, classic, soroban)
    }

    fn build(&mut self, seq: u32, classic: Vec<Plan>, soroban: Vec<Plan>) -> SimLedger {
        let network_id = self.network.network_id();
        let v2 = self.protocol >= 23;
        let mut classic_envs = Vec::new();
        let mut soroban_envs = Vec::new();
        let mut processing: Vec<(TransactionResultPair, TransactionMeta)> = Vec::new();
        let mut txs = Vec::new();
        let mut events = Vec::new();
        let all: Vec<(bool, Plan)> = classic
            .into_iter()
            .map(|p| (false, p))
            .chain(soroban.into_iter().map(|p| (true, p)))
            .collect();
        for (i, (is_soroban, plan)) in all.into_iter().enumerate() {
            let order = i as u32 + 1;
            let seq_num: i64 = (i64::from(seq) << 32) | i64::from(order);
            for (contract, kind) in &plan.versions {
                self.truth
                    .versions
                    .entry(*contract)
                    .or_default()
                    .push((seq, order, kind));
            }
            let mut operations = vec![Operation {
                source_account: None,
                body: plan.body,
            }];
            let mut op_events = vec![plan.events];
            for (source, body, events) in plan.more_ops {
                operations.push(Operation {
                    source_account: source,
                    body,
                });
                op_events.push(events);
            }
            let n_ops = operations.len();
            let inner = TransactionV1Envelope {
                tx: Transaction {
                    source_account: match plan.muxed {
                        Some(id) => MuxedAccount::MuxedEd25519(stellar_xdr::MuxedAccountMed25519 {
                            id,
                            ed25519: Uint256(plan.source),
                        }),
                        None => MuxedAccount::Ed25519(Uint256(plan.source)),
                    },
                    fee: 100_000,
                    seq_num: SequenceNumber(seq_num),
                    cond: Preconditions::None,
                    memo: Memo::None,
                    operations: operations.try_into().unwrap_or_default(),
                    ext: TransactionExt::V0,
                },
                signatures: vec![].try_into().unwrap_or_default(),
            };
            let op_result = if is_soroban {
                OperationResult::OpInner(OperationResultTr::InvokeHostFunction(if plan.success {
                    InvokeHostFunctionResult::Success(Hash([0; 32]))
                } else {
                    InvokeHostFunctionResult::Trapped
                }))
            } else {
                OperationResult::OpInner(OperationResultTr::Payment(PaymentResult::Success))
            };
            let ops: stellar_xdr::VecM<OperationResult> =
                vec![op_result; n_ops].try_into().unwrap_or_default();
            let (envelope, result) = if plan.fee_bump {
                let inner_hash = TransactionEnvelope::Tx(inner.clone())
                    .hash(network_id)
                    .unwrap_or_default();
                let inner_result = InnerTransactionResult {
                    fee_charged: 50_000,
                    result: if plan.success {
                        InnerTransactionResultResult::TxSuccess(ops)
                    } else {
                        InnerTransactionResultResult::TxFailed(ops)
                    },
                    ext: InnerTransactionResultExt::V0,
                };
                let pair = InnerTransactionResultPair {
                    transaction_hash: Hash(inner_hash),
                    result: inner_result,
                };
                let env = TransactionEnvelope::TxFeeBump(FeeBumpTransactionEnvelope {
                    tx: FeeBumpTransaction {
                        fee_source: MuxedAccount::Ed25519(Uint256(self.accounts[0])),
                        fee: 200_000,
                        inner_tx: FeeBumpTransactionInnerTx::Tx(inner),
                        ext: FeeBumpTransactionExt::V0,
                    },
                    signatures: vec![].try_into().unwrap_or_default(),
                });
                let result = if plan.success {
                    TransactionResultResult::TxFeeBumpInnerSuccess(pair)
                } else {
                    TransactionResultResult::TxFeeBumpInnerFailed(pair)
                };
                (env, result)
            } else {
                let result = if plan.success {
                    TransactionResultResult::TxSuccess(ops)
                } else {
                    TransactionResultResult::TxFailed(ops)
                };
                (TransactionEnvelope::Tx(inner), result)
            };
            let hash = envelope.hash(network_id).unwrap_or_default();
            let result = TransactionResult {
                fee_charged: 60_000,
                result,
                ext: TransactionResultExt::V0,
            };
            // A failed transaction changes nothing but fees (not modelled) and emits nothing.
            let (changes, op_events) = if plan.success {
                (plan.changes, op_events)
            } else {
                (vec![], vec![vec![]; n_ops])
            };
            let mut changes = Some(LedgerEntryChanges(changes.try_into().unwrap_or_default()));
            let diagnostics = plan.diagnostics;
            let meta = if v2 {
                TransactionMeta::V4(TransactionMetaV4 {
                    ext: ExtensionPoint::V0,
                    tx_changes_before: LedgerEntryChanges::default(),
                    operations: if plan.success {
                        op_events
                            .iter()
                            .map(|evs| OperationMetaV2 {
                                ext: ExtensionPoint::V0,
                                changes: changes.take().unwrap_or_default(),
                                events: evs.clone().try_into().unwrap_or_default(),
                            })
                            .collect::<Vec<_>>()
                            .try_into()
                            .unwrap_or_default()
                    } else {
                        vec![].try_into().unwrap_or_default()
                    },
                    tx_changes_after: LedgerEntryChanges::default(),
                    soroban_meta: is_soroban.then_some(SorobanTransactionMetaV2 {
                        ext: SorobanTransactionMetaExt::V0,
                        return_value: Some(ScVal::Void),
                    }),
                    events: vec![].try_into().unwrap_or_default(),
                    diagnostic_events: diagnostics.try_into().unwrap_or_default(),
                })
            } else {
                TransactionMeta::V3(TransactionMetaV3 {
                    ext: ExtensionPoint::V0,
                    tx_changes_before: LedgerEntryChanges::default(),
                    operations: if plan.success {
                        (0..n_ops)
                            .map(|_| OperationMeta {
                                changes: changes.take().unwrap_or_default(),
                            })
                            .collect::<Vec<_>>()
                            .try_into()
                            .unwrap_or_default()
                    } else {
                        vec![].try_into().unwrap_or_default()
                    },
                    tx_changes_after: LedgerEntryChanges::default(),
                    // Before protocol 23 only a Soroban transaction has events.
                    soroban_meta: is_soroban.then(|| SorobanTransactionMeta {
                        ext: SorobanTransactionMetaExt::V0,
                        events: op_events[0].clone().try_into().unwrap_or_default(),
                        return_value: ScVal::Void,
                        diagnostic_events: diagnostics.try_into().unwrap_or_default(),
                    }),
                })
            };
            let emitted: Vec<(u32, &ContractEvent)> = if v2 {
                op_events
                    .iter()
                    .enumerate()
                    .flat_map(|(oi, evs)| evs.iter().map(move |e| (oi as u32, e)))
                    .collect()
            } else if is_soroban {
                op_events[0].iter().map(|e| (0, e)).collect()
            } else {
                Vec::new()
            };
            for (ei, (op_index, e)) in emitted.iter().enumerate() {
                if e.type_ == ContractEventType::Diagnostic {
                    continue;
                }
                let ContractEventBody::V0(body) = &e.body;
                events.push(SimEvent {
                    system: e.type_ == ContractEventType::System,
                    contract_id: e
                        .contract_id
                        .as_ref()
                        .map(|c| ContractId(c.0.0).to_string())
                        .unwrap_or_default(),
                    tx_index: order,
                    op_index: *op_index,
                    event_index: ei as u32,
                    topics_xdr: body.topics.iter().map(b64).collect(),
                    value_xdr: b64(&body.data),
                    tx_hash: hash,
                });
            }
            txs.push(SimTx {
                hash,
                success: plan.success,
                fee_bump: plan.fee_bump,
                application_order: order,
                envelope_xdr: b64(&envelope),
                result_xdr: b64(&result),
                result_meta_xdr: b64(&meta),
                contract_events_xdr: if plan.success && (v2 || is_soroban) {
                    op_events
                        .iter()
                        .map(|evs| evs.iter().map(b64).collect())
                        .collect()
                } else {
                    vec![]
                },
            });
            processing.push((
                TransactionResultPair {
                    transaction_hash: Hash(hash),
                    result,
                },
                meta,
            ));
            if is_soroban {
                soroban_envs.push(envelope)
            } else {
                classic_envs.push(envelope)
            }
        }
        let classic_phase = TransactionPhase::V0(
            vec![TxSetComponent::TxsetCompTxsMaybeDiscountedFee(
                TxSetComponentTxsMaybeDiscountedFee {
                    base_fee: Some(100),
                    txs: classic_envs.try_into().unwrap_or_default(),
                },
            )]
            .try_into()
            .unwrap_or_default(),
        );
        let soroban_phase = if v2 {
            TransactionPhase::V1(ParallelTxsComponent {
                base_fee: Some(100),
                execution_stages: vec![ParallelTxExecutionStage(
                    vec![DependentTxCluster(
                        soroban_envs.try_into().unwrap_or_default(),
                    )]
                    .try_into()
                    .unwrap_or_default(),
                )]
                .try_into()
                .unwrap_or_default(),
            })
        } else {
            TransactionPhase::V0(
                vec![TxSetComponent::TxsetCompTxsMaybeDiscountedFee(
                    TxSetComponentTxsMaybeDiscountedFee {
                        base_fee: Some(100),
                        txs: soroban_envs.try_into().unwrap_or_default(),
                    },
                )]
                .try_into()
                .unwrap_or_default(),
            )
        };
        let tx_set = GeneralizedTransactionSet::V1(TransactionSetV1 {
            previous_ledger_hash: Hash(self.prev_hash),
            phases: vec![classic_phase, soroban_phase]
                .try_into()
                .unwrap_or_default(),
        });
        let tx_set_hash: [u8; 32] =
            Sha256::digest(tx_set.to_xdr(Limits::none()).unwrap_or_default()).into();
        let header = LedgerHeader {
            ledger_version: self.protocol,
            previous_ledger_hash: Hash(self.prev_hash),
            scp_value: StellarValue {
                tx_set_hash: Hash(tx_set_hash),
                close_time: TimePoint(self.close_time as u64),
                upgrades: vec![].try_into().unwrap_or_default(),
                ext: StellarValueExt::Basic,
            },
            ledger_seq: seq,
            base_fee: 100,
            base_reserve: 5_000_000,
            max_tx_set_size: 1000,
            ..Default::default()
        };
        let hash: [u8; 32] =
            Sha256::digest(header.to_xdr(Limits::none()).unwrap_or_default()).into();
        let history = LedgerHeaderHistoryEntry {
            hash: Hash(hash),
            header: header.clone(),
            ext: LedgerHeaderHistoryEntryExt::V0,
        };
        let meta = if v2 {
            LedgerCloseMeta::V2(LedgerCloseMetaV2 {
                ext: LedgerCloseMetaExt::V0,
                ledger_header: history.clone(),
                tx_set,
                tx_processing: processing
                    .into_iter()
                    .map(|(result, m)| TransactionResultMetaV1 {
                        ext: ExtensionPoint::V0,
                        result,
                        fee_processing: LedgerEntryChanges::default(),
                        tx_apply_processing: m,
                        post_tx_apply_fee_processing: LedgerEntryChanges::default(),
                    })
                    .collect::<Vec<_>>()
                    .try_into()
                    .unwrap_or_default(),
                ..Default::default()
            })
        } else {
            LedgerCloseMeta::V1(LedgerCloseMetaV1 {
                ext: LedgerCloseMetaExt::V0,
                ledger_header: history.clone(),
                tx_set,
                tx_processing: processing
                    .into_iter()
                    .map(|(result, m)| TransactionResultMeta {
                        result,
                        fee_processing: LedgerEntryChanges::default(),
                        tx_apply_processing: m,
                    })
                    .collect::<Vec<_>>()
                    .try_into()
                    .unwrap_or_default(),
                ..Default::default()
            })
        };
        self.prev_hash = hash;
        SimLedger {
            seq,
            hash,
            close_time: DateTime::from_timestamp(self.close_time, 0).unwrap_or_default(),
            protocol: self.protocol,
            header_xdr: b64(&history),
            metadata_xdr: b64(&meta),
            bare_header_xdr: b64(&header),
            txs,
            events,
        }
    }
}
