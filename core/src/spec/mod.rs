//! Contract specs: reading a WASM module's interface and metadata.
//!
//! [`decode_wasm`] is the one entry point the indexer and the seeder use: it never fails as a
//! whole. A module whose spec does not decode still yields its hash, size and whatever
//! metadata did decode, with the reason in [`DecodedWasm::spec_error`], so the registry can
//! store it and move on (a deterministic per-item error, never a reason to stall).

pub mod diff;
pub mod events;
pub mod meta;
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
    /// One entry of a section's XDR stream could not be read and was passed over (the
    /// stream has no framing: the entries after it were found by reading on from the next
    /// position where the rest decodes).
    #[error(
        "{section}: entry {entry} ({bytes} bytes) could not be read and is left out: {message}"
    )]
    Skipped {
        /// The custom section's name.
        section: &'static str,
        /// The 0-based index of the entry.
        entry: usize,
        /// How many bytes were passed over.
        bytes: usize,
        /// The decoder's message.
        message: String,
    },
    /// A section's XDR stream stopped decoding at one of its entries: those before it are
    /// kept, and nothing after it could be found.
    #[error("{section} does not decode from entry {entry} on: {message}")]
    Xdr {
        /// The custom section's name.
        section: &'static str,
        /// The 0-based index of the entry that failed.
        entry: usize,
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
    /// Why the spec, or some of its entries, are missing: `spec` is `None` when nothing
    /// decoded, and holds the entries that did otherwise.
    pub spec_error: Option<String>,
    /// `contractmetav0` entries that decoded (empty when absent).
    pub meta: Vec<MetaEntry>,
    /// Why the meta stream stopped before its end, when it did.
    pub meta_error: Option<String>,
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

    /// What the meta entries say (SEP-47, SEP-55, toolchain), validated.
    pub fn interpreted(&self) -> meta::Interpreted {
        meta::interpret(&self.meta)
    }
}

/// Decodes a module's spec, meta and env meta. See the module docs for the error policy: what
/// decodes is kept, entry by entry, and every entry that is lost is named in `spec_error`.
pub fn decode_wasm(code: &[u8]) -> DecodedWasm {
    let mut out = DecodedWasm {
        hash: WasmHash::of_code(code),
        size: code.len(),
        spec: None,
        raw_spec: None,
        spec_error: None,
        meta: Vec::new(),
        meta_error: None,
        interface_version: None,
    };
    let sections = match xdr::sections(code) {
        Ok(s) => s,
        Err(e) => {
            out.spec_error = Some(e.to_string());
            return out;
        }
    };
    let meta = xdr::meta_entries(&sections.meta);
    out.meta = meta
        .values
        .into_iter()
        .map(|(key, value)| MetaEntry { key, value })
        .collect();
    out.meta_error = (!meta.errors.is_empty()).then(|| {
        meta.errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    });
    out.interface_version = xdr::env_meta(&sections.env_meta);
    if !sections.has_spec {
        out.spec_error = Some(SpecError::NoSpec.to_string());
        return out;
    }
    let stream = xdr::spec_entries(&sections.spec);
    let mut problems = Vec::new();
    let mut kept = Vec::with_capacity(stream.values.len());
    for (i, entry) in stream.values.into_iter().enumerate() {
        if xdr::too_deep(&entry) {
            problems.push(format!(
                "entry {i} ({}) nests types deeper than {} levels and is left out",
                xdr::entry_name(&entry),
                xdr::MAX_TYPE_DEPTH
            ));
        } else {
            kept.push(entry);
        }
    }
    problems.extend(stream.errors.iter().map(ToString::to_string));
    // An empty section is an empty interface; a section none of whose entries survived is
    // no interface at all.
    if !kept.is_empty() || problems.is_empty() {
        out.spec = Some(xdr::to_model(&kept));
        match serde_json::to_value(&kept) {
            Ok(v) => out.raw_spec = Some(v),
            Err(e) => problems.push(format!("spec does not serialise to JSON: {e}")),
        }
    }
    if !problems.is_empty() {
        out.spec_error = Some(problems.join("; "));
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
