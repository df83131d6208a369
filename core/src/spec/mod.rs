//! Contract specs: reading a WASM module's interface and metadata.
//!
//! [`decode_wasm`] is the one entry point the indexer and the seeder use: it never fails as a
//! whole. A module whose spec does not decode still yields its hash, size and whatever
//! metadata did decode, with the reason in [`DecodedWasm::spec_error`], so the registry can
//! store it and move on (a deterministic per-item error, never a reason to stall).

pub mod model;
pub mod sac;
pub mod xdr;

use serde::{Deserialize, Serialize};

use crate::ids::WasmHash;
pub use model::ContractSpec;

/// Why a module's spec or metadata could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The module is larger than [`xdr::MAX_WASM_BYTES`].
    #[error("module is {size} bytes, over the {} byte limit", xdr::MAX_WASM_BYTES)]
    TooLarge {
        /// The module's size in bytes.
        size: usize,
    },
    /// The bytes are not a well-formed WASM module.
    #[error("not a valid WASM module: {0}")]
    Wasm(String),
    /// A section's XDR stream did not decode.
    #[error("{section} does not decode: {message}")]
    Xdr {
        /// The custom section's name.
        section: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The module has no `contractspecv0` section.
    #[error("module has no contractspecv0 section")]
    NoSpec,
}

/// One `contractmetav0` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaEntry {
    /// The key, e.g. `rssdkver`.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Everything the registry stores about a WASM module, decoded once per hash.
#[derive(Debug, Clone)]
pub struct DecodedWasm {
    /// sha256 of the module bytes.
    pub hash: WasmHash,
    /// Size of the module in bytes.
    pub size: usize,
    /// The ABI model, when the spec decoded.
    pub spec: Option<ContractSpec>,
    /// stellar-xdr's serde JSON of the spec entries (what `stellar contract info interface
    /// --output json` prints), when the spec decoded.
    pub raw_spec: Option<serde_json::Value>,
    /// Why the spec is missing, when it is.
    pub spec_error: Option<String>,
    /// `contractmetav0` entries (empty when absent or undecodable).
    pub meta: Vec<MetaEntry>,
    /// The env interface version the module was built for: `(protocol, pre_release)`.
    pub interface_version: Option<(u32, u32)>,
}

impl DecodedWasm {
    /// The soroban-sdk version from the `rssdkver` meta entry, if the module has one.
    pub fn sdk_version(&self) -> Option<&str> {
        self.meta
            .iter()
            .find(|m| m.key == "rssdkver")
            .map(|m| m.value.as_str())
    }
}

/// Decodes a module's spec, meta and env meta. See the module docs for the error policy.
pub fn decode_wasm(code: &[u8]) -> DecodedWasm {
    let mut out = DecodedWasm {
        hash: WasmHash::of_code(code),
        size: code.len(),
        spec: None,
        raw_spec: None,
        spec_error: None,
        meta: Vec::new(),
        interface_version: None,
    };
    let sections = match xdr::sections(code) {
        Ok(s) => s,
        Err(e) => {
            out.spec_error = Some(e.to_string());
            return out;
        }
    };
    if let Ok(meta) = xdr::meta_entries(&sections.meta) {
        out.meta = meta
            .into_iter()
            .map(|(key, value)| MetaEntry { key, value })
            .collect();
    }
    out.interface_version = xdr::env_meta(&sections.env_meta).ok().flatten();
    if !sections.has_spec {
        out.spec_error = Some(SpecError::NoSpec.to_string());
        return out;
    }
    match xdr::spec_entries(&sections.spec) {
        Ok(entries) => {
            out.spec = Some(xdr::to_model(&entries));
            match serde_json::to_value(&entries) {
                Ok(v) => out.raw_spec = Some(v),
                Err(e) => out.spec_error = Some(format!("spec does not serialise to JSON: {e}")),
            }
        }
        Err(e) => out.spec_error = Some(e.to_string()),
    }
    out
}

/// Appends a custom section to a WASM module. Custom sections may appear anywhere and do not
/// change what the module does; the seeder and the tests use this to build distinct modules
/// (distinct hashes) from the real fixtures, and to embed a synthetic spec.
pub fn append_custom_section(code: &[u8], name: &str, payload: &[u8]) -> Vec<u8> {
    fn leb128(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    let mut body = Vec::with_capacity(name.len() + payload.len() + 5);
    leb128(name.len(), &mut body);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    let mut out = Vec::with_capacity(code.len() + body.len() + 6);
    out.extend_from_slice(code);
    out.push(0);
    leb128(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

/// The header of an empty WASM module (magic and version 1).
pub const EMPTY_MODULE: &[u8] = b"\0asm\x01\0\0\0";
