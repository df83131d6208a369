//! The one mapping from Stellar's XDR to the registry's words: executables, contract
//! instances (with a Stellar Asset Contract's asset), the ledger keys the indexer reads
//! through `getLedgerEntries`, and untrusted strings. Extraction, the backfill, `inspect-*`
//! and the simulated network all go through here, so a shape is read one way everywhere.

use registry_core::stellar::{AssetRef, address_strkey};
use registry_core::text::from_untrusted_bytes;
use registry_core::{AccountId, ContractId, WasmHash};
use stellar_xdr::{
    ContractDataDurability, ContractExecutable, Hash, LedgerEntryData, LedgerKey,
    LedgerKeyContractCode, LedgerKeyContractData, Limits, ScAddress, ScMap, ScString, ScVal,
    WriteXdr,
};

/// What runs a contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Executable {
    /// Uploaded WASM, by hash.
    Wasm {
        /// sha256 of the module.
        hash: WasmHash,
    },
    /// The built-in Stellar Asset Contract.
    StellarAsset,
    /// CAP-85: the WASM that another contract's `ExecutableTag` entry names.
    ExternalRef {
        /// The contract holding the tag entry.
        owner: Option<ContractId>,
        /// The tag, sanitised for display.
        tag: String,
        /// The tag's bytes as on chain (to look the entry up).
        #[serde(skip)]
        raw_tag: Vec<u8>,
    },
}

impl Executable {
    /// The registry's view of an XDR executable.
    pub fn from_xdr(e: &ContractExecutable) -> Executable {
        match e {
            ContractExecutable::Wasm(h) => Executable::Wasm {
                hash: WasmHash(h.0),
            },
            ContractExecutable::StellarAsset => Executable::StellarAsset,
            ContractExecutable::ExternalRef(r) => Executable::ExternalRef {
                owner: contract_of(&r.executable_owner),
                tag: from_untrusted_bytes(r.tag.0.as_ref(), false),
                raw_tag: r.tag.0.to_vec(),
            },
        }
    }

    /// The WASM hash, for a WASM executable.
    pub fn wasm_hash(&self) -> Option<WasmHash> {
        match self {
            Executable::Wasm { hash } => Some(*hash),
            _ => None,
        }
    }

    /// The WASM executable of a hash.
    pub fn wasm(hash: WasmHash) -> Executable {
        Executable::Wasm { hash }
    }
}

/// A contract instance entry: the contract, what runs it and, for a Stellar Asset Contract,
/// its asset as the instance storage records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The contract the entry belongs to.
    pub contract: ContractId,
    /// Its executable.
    pub executable: Executable,
    /// The asset of a Stellar Asset Contract, when its storage names one.
    pub asset: Option<AssetRef>,
}

/// The contract of an address, when it is one.
pub fn contract_of(addr: &ScAddress) -> Option<ContractId> {
    match addr {
        ScAddress::Contract(c) => Some(ContractId(c.0.0)),
        _ => None,
    }
}

/// The contract-instance entry a ledger entry is, if it is one (persistent, keyed by
/// `LedgerKeyContractInstance`, holding a `ContractInstance`).
pub fn instance(data: &LedgerEntryData) -> Option<Instance> {
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
    let executable = Executable::from_xdr(&inst.executable);
    let asset = match executable {
        Executable::StellarAsset => inst.storage.as_ref().and_then(asset_from_storage),
        _ => None,
    };
    Some(Instance {
        contract: contract_of(&d.contract)?,
        executable,
        asset,
    })
}

fn symbol_is(v: &ScVal, name: &str) -> bool {
    matches!(v, ScVal::Symbol(s) if s.0.as_slice() == name.as_bytes())
}

fn map_get<'a>(map: &'a ScMap, key: &str) -> Option<&'a ScVal> {
    map.0
        .iter()
        .find(|e| symbol_is(&e.key, key))
        .map(|e| &e.val)
}

/// The asset a Stellar Asset Contract's instance storage records. The host writes it under
/// the key `Vec[Symbol("AssetInfo")]` as `Vec[Symbol("Native")]` or
/// `Vec[Symbol("AlphaNum4" | "AlphaNum12"), Map{asset_code: String, issuer: Bytes(32)}]`
/// (rs-soroban-env, `builtin_contracts/stellar_asset_contract`); the metadata entry
/// `Symbol("METADATA")` holds `name` (`native` or `CODE:ISSUER`) and is read when the first
/// is missing.
pub fn asset_from_storage(storage: &ScMap) -> Option<AssetRef> {
    let info = storage.0.iter().find(|e| match &e.key {
        ScVal::Vec(Some(v)) => v.0.len() == 1 && symbol_is(&v.0[0], "AssetInfo"),
        _ => false,
    });
    if let Some(ScVal::Vec(Some(v))) = info.map(|e| &e.val) {
        match v.0.as_slice() {
            [kind] if symbol_is(kind, "Native") => return Some(AssetRef::Native),
            [kind, ScVal::Map(Some(m))]
                if symbol_is(kind, "AlphaNum4") || symbol_is(kind, "AlphaNum12") =>
            {
                let code = match map_get(m, "asset_code") {
                    Some(ScVal::String(s)) => s.0.to_vec(),
                    Some(ScVal::Bytes(b)) => b.0.to_vec(),
                    _ => Vec::new(),
                };
                let issuer = match map_get(m, "issuer") {
                    Some(ScVal::Bytes(b)) if b.0.len() == 32 => {
                        let mut k = [0u8; 32];
                        k.copy_from_slice(b.0.as_slice());
                        Some(AccountId(k))
                    }
                    Some(ScVal::Address(a)) => {
                        address_strkey(a).and_then(|s| s.parse::<AccountId>().ok())
                    }
                    _ => None,
                };
                if let Some(a) = issuer.and_then(|i| AssetRef::credit(&code, i)) {
                    return Some(a);
                }
            }
            _ => {}
        }
    }
    let meta = storage.0.iter().find(|e| symbol_is(&e.key, "METADATA"))?;
    let ScVal::Map(Some(m)) = &meta.val else {
        return None;
    };
    match map_get(m, "name")? {
        ScVal::String(s) => AssetRef::parse_canonical(std::str::from_utf8(s.0.as_slice()).ok()?),
        _ => None,
    }
}

/// The key of a contract's instance entry.
pub fn instance_key(id: ContractId) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: contract_address(id),
        key: ScVal::LedgerKeyContractInstance,
        durability: ContractDataDurability::Persistent,
    })
}

/// The key of a WASM code entry.
pub fn code_key(hash: WasmHash) -> LedgerKey {
    LedgerKey::ContractCode(LedgerKeyContractCode { hash: Hash(hash.0) })
}

/// The key of a CAP-85 executable tag entry (held by `owner`, persistent).
pub fn executable_tag_key(owner: ContractId, tag: &[u8]) -> Option<LedgerKey> {
    Some(LedgerKey::ContractData(LedgerKeyContractData {
        contract: contract_address(owner),
        key: ScVal::ExecutableTag(ScString(tag.to_vec().try_into().ok()?)),
        durability: ContractDataDurability::Persistent,
    }))
}

/// A contract's address.
pub fn contract_address(id: ContractId) -> ScAddress {
    ScAddress::Contract(stellar_xdr::ContractId(Hash(id.0)))
}

/// Base64 XDR of a value the indexer built itself (a key, an address): cannot fail.
pub fn b64<T: WriteXdr>(v: &T) -> String {
    v.to_xdr_base64(Limits::none()).unwrap_or_default()
}

/// A symbol or string from the chain, sanitised for display and storage.
pub fn text(bytes: &[u8]) -> String {
    from_untrusted_bytes(bytes, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stellar_xdr::{ScMapEntry, ScVec};

    fn sym(s: &str) -> ScVal {
        ScVal::Symbol(s.try_into().unwrap())
    }

    fn storage(entries: Vec<(ScVal, ScVal)>) -> ScMap {
        ScMap(
            entries
                .into_iter()
                .map(|(key, val)| ScMapEntry { key, val })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        )
    }

    fn vec(items: Vec<ScVal>) -> ScVal {
        ScVal::Vec(Some(ScVec(items.try_into().unwrap())))
    }

    #[test]
    fn the_asset_info_entry_names_a_credit_asset() {
        let issuer = [7u8; 32];
        let info = vec(vec![
            sym("AlphaNum4"),
            ScVal::Map(Some(storage(vec![
                (
                    sym("asset_code"),
                    ScVal::String(stellar_xdr::ScString("USDC".try_into().unwrap())),
                ),
                (
                    sym("issuer"),
                    ScVal::Bytes(issuer.to_vec().try_into().unwrap()),
                ),
            ]))),
        ]);
        let s = storage(vec![(vec(vec![sym("AssetInfo")]), info)]);
        assert_eq!(
            asset_from_storage(&s),
            AssetRef::credit(b"USDC", AccountId(issuer))
        );
    }

    #[test]
    fn native_and_metadata_only_storage_are_read() {
        let native = storage(vec![(
            vec(vec![sym("AssetInfo")]),
            vec(vec![sym("Native")]),
        )]);
        assert_eq!(asset_from_storage(&native), Some(AssetRef::Native));
        let name = "KALE:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN";
        let meta = storage(vec![(
            sym("METADATA"),
            ScVal::Map(Some(storage(vec![(
                sym("name"),
                ScVal::String(stellar_xdr::ScString(name.try_into().unwrap())),
            )]))),
        )]);
        assert_eq!(
            asset_from_storage(&meta).map(|a| a.canonical()).as_deref(),
            Some(name)
        );
        assert_eq!(asset_from_storage(&storage(vec![])), None);
    }
}
