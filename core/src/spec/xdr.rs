//! From WASM bytes to XDR values and on to the ABI model.
//!
//! A Soroban WASM carries its interface in custom sections (SEP-46/48): `contractspecv0` (a
//! stream of `ScSpecEntry`), `contractmetav0` (`ScMetaEntry`) and `contractenvmetav0`
//! (`ScEnvMetaEntry`). A name may occur more than once; the copies are concatenated in module
//! order, as stellar-cli does. Every read is bounded (module size, XDR depth and length), so
//! hostile input costs at most a bounded amount of time and memory and never panics.

use std::io::Cursor;

use stellar_xdr::{
    Limited, Limits, ReadXdr, ScEnvMetaEntry, ScMetaEntry, ScSpecEntry, ScSpecEventDataFormat,
    ScSpecEventParamLocationV0, ScSpecTypeDef, ScSpecUdtUnionCaseV0,
};

use super::SpecError;
use super::model::{
    ContractSpec, EnumCase, EnumDef, EventDataFormat, EventDef, EventParam, EventParamLocation,
    Field, Function, StructDef, TypeDef, UnionCase, UnionDef,
};
use crate::text::from_untrusted_bytes;

/// The largest module the decoder reads. The network's limit is a setting (128 KiB in 2026);
/// this leaves room for it to grow while bounding the work per module.
pub const MAX_WASM_BYTES: usize = 4 << 20;

/// XDR nesting limit while reading a spec; stellar-cli and soroban-spec use the same.
const XDR_DEPTH: u32 = 500;

/// The deepest nesting of types (`Option<Vec<Map<…>>>`, one level each) the registry keeps in
/// a contract's ABI. The XDR allows about 240 levels; real contracts stay under 10. An entry
/// nesting deeper is left out of the ABI (with the reason in `spec_error`): its JSON forms
/// would nest past what JSON readers accept (serde_json stops at 128 levels, and the raw
/// form spends two levels per type), so one hostile entry could make the WASM unreadable.
pub const MAX_TYPE_DEPTH: usize = 32;

/// The three Soroban custom sections of a module, each the concatenation of its copies.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sections {
    /// `contractspecv0` bytes.
    pub spec: Vec<u8>,
    /// `contractmetav0` bytes.
    pub meta: Vec<u8>,
    /// `contractenvmetav0` bytes.
    pub env_meta: Vec<u8>,
    /// Whether a `contractspecv0` section was present at all.
    pub has_spec: bool,
}

/// Reads the Soroban custom sections of a WASM module.
pub fn sections(code: &[u8]) -> Result<Sections, SpecError> {
    if code.len() > MAX_WASM_BYTES {
        return Err(SpecError::TooLarge { size: code.len() });
    }
    let mut out = Sections::default();
    for payload in wasmparser::Parser::new(0).parse_all(code) {
        let payload = payload.map_err(|e| SpecError::Wasm(e.message().to_owned()))?;
        if let wasmparser::Payload::CustomSection(reader) = payload {
            match reader.name() {
                "contractspecv0" => {
                    out.has_spec = true;
                    out.spec.extend_from_slice(reader.data());
                }
                "contractmetav0" => out.meta.extend_from_slice(reader.data()),
                "contractenvmetav0" => out.env_meta.extend_from_slice(reader.data()),
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The values of an XDR stream that decoded, in order, and what could not be read.
///
/// The stream has no framing: after a value that does not decode (an entry kind this
/// stellar-xdr does not know, a corrupt value) the reader looks for the next 4-byte-aligned
/// position from which the rest of the stream decodes to its end (or, failing that, from which
/// at least two whole values decode in a row: the stream has another bad entry further on),
/// and goes on from there, so only that entry is lost. When no such position exists (or the
/// search would cost more than [`RESYNC_BUDGET`] times the stream's length), everything from
/// the bad entry on is lost.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream<T> {
    /// The values read, in stream order.
    pub values: Vec<T>,
    /// The entries left out and, last, where reading stopped early, if it did.
    pub errors: Vec<SpecError>,
}

/// How many times its own length the search for the next readable entry may decode, in all,
/// before giving up: a bound on the work a hostile stream can cause.
pub const RESYNC_BUDGET: usize = 16;

/// Reads one value at `pos`: the value and its end position, or the error and how many bytes
/// were read before it.
fn read_one<T: ReadXdr>(bytes: &[u8], pos: usize) -> Result<(T, usize), (String, usize)> {
    let mut reader = Limited::new(
        Cursor::new(&bytes[pos..]),
        Limits {
            depth: XDR_DEPTH,
            len: bytes.len() - pos,
        },
    );
    match T::read_xdr(&mut reader) {
        Ok(v) => Ok((v, pos + reader.inner.position() as usize)),
        Err(e) => Err((e.to_string(), reader.inner.position() as usize)),
    }
}

/// How reading from a position goes: how many whole values decode in a row, and whether
/// they reach the end. Spends what it reads from `budget`.
fn run_from<T: ReadXdr>(bytes: &[u8], mut pos: usize, budget: &mut usize) -> (usize, bool) {
    let mut values = 0;
    while pos < bytes.len() {
        if *budget == 0 {
            return (values, false);
        }
        match read_one::<T>(bytes, pos) {
            Ok((_, end)) => {
                *budget = budget.saturating_sub(end - pos);
                pos = end;
                values += 1;
            }
            Err((_, read)) => {
                *budget = budget.saturating_sub(read + 1);
                return (values, false);
            }
        }
    }
    (values, true)
}

/// The position after a bad value at `pos` to read on from (see [`Stream`]).
fn resync<T: ReadXdr>(bytes: &[u8], pos: usize, budget: &mut usize) -> Option<usize> {
    let mut fallback = None;
    for q in (pos + 4..bytes.len()).step_by(4) {
        if *budget == 0 {
            break;
        }
        match run_from::<T>(bytes, q, budget) {
            (_, true) => return Some(q),
            (n, false) if n >= 2 && fallback.is_none() => fallback = Some(q),
            _ => {}
        }
    }
    fallback
}

fn read_stream<T: ReadXdr>(bytes: &[u8], section: &'static str) -> Stream<T> {
    let mut out = Stream {
        values: Vec::new(),
        errors: Vec::new(),
    };
    let mut budget = bytes.len().max(1024).saturating_mul(RESYNC_BUDGET);
    let mut pos = 0;
    while pos < bytes.len() {
        match read_one::<T>(bytes, pos) {
            Ok((v, end)) => {
                out.values.push(v);
                pos = end;
            }
            Err((message, _)) => {
                let entry = out.values.len() + out.errors.len();
                match resync::<T>(bytes, pos, &mut budget) {
                    Some(q) => {
                        out.errors.push(SpecError::Skipped {
                            section,
                            entry,
                            bytes: q - pos,
                            message,
                        });
                        pos = q;
                    }
                    None => {
                        out.errors.push(SpecError::Xdr {
                            section,
                            entry,
                            message,
                        });
                        break;
                    }
                }
            }
        }
    }
    out
}

/// Decodes a `contractspecv0` byte stream.
pub fn spec_entries(bytes: &[u8]) -> Stream<ScSpecEntry> {
    read_stream(bytes, "contractspecv0")
}

/// Decodes a `contractmetav0` byte stream into sanitised key/value pairs.
pub fn meta_entries(bytes: &[u8]) -> Stream<(String, String)> {
    let s = read_stream::<ScMetaEntry>(bytes, "contractmetav0");
    Stream {
        values: s
            .values
            .into_iter()
            .map(|ScMetaEntry::ScMetaV0(m)| {
                (
                    from_untrusted_bytes(m.key.as_ref(), false),
                    from_untrusted_bytes(m.val.as_ref(), true),
                )
            })
            .collect(),
        errors: s.errors,
    }
}

/// Decodes a `contractenvmetav0` byte stream: the `(protocol, pre_release)` of the last
/// interface-version entry that decoded, if any.
pub fn env_meta(bytes: &[u8]) -> Option<(u32, u32)> {
    read_stream::<ScEnvMetaEntry>(bytes, "contractenvmetav0")
        .values
        .into_iter()
        .map(|ScEnvMetaEntry::ScEnvMetaKindInterfaceVersion(v)| (v.protocol, v.pre_release))
        .next_back()
}

/// Whether a type nests deeper than `budget` levels. Stops descending once the budget is
/// spent, so the walk itself is bounded whatever the input.
fn nests_deeper(t: &ScSpecTypeDef, budget: usize) -> bool {
    if budget == 0 {
        return true;
    }
    let b = budget - 1;
    match t {
        ScSpecTypeDef::Option(o) => nests_deeper(&o.value_type, b),
        ScSpecTypeDef::Result(r) => nests_deeper(&r.ok_type, b) || nests_deeper(&r.error_type, b),
        ScSpecTypeDef::Vec(v) => nests_deeper(&v.element_type, b),
        ScSpecTypeDef::Map(m) => nests_deeper(&m.key_type, b) || nests_deeper(&m.value_type, b),
        ScSpecTypeDef::Tuple(t) => t.value_types.iter().any(|t| nests_deeper(t, b)),
        _ => false,
    }
}

/// Every type an entry mentions (parameters, results, fields, case values, event params).
fn entry_types(entry: &ScSpecEntry) -> Vec<&ScSpecTypeDef> {
    match entry {
        ScSpecEntry::FunctionV0(f) => f
            .inputs
            .iter()
            .map(|i| &i.type_)
            .chain(f.outputs.iter())
            .collect(),
        ScSpecEntry::UdtStructV0(s) => s.fields.iter().map(|f| &f.type_).collect(),
        ScSpecEntry::UdtUnionV0(u) => u
            .cases
            .iter()
            .flat_map(|c| match c {
                ScSpecUdtUnionCaseV0::VoidV0(_) => [].iter(),
                ScSpecUdtUnionCaseV0::TupleV0(t) => t.type_.iter(),
            })
            .collect(),
        ScSpecEntry::UdtEnumV0(_) | ScSpecEntry::UdtErrorEnumV0(_) => Vec::new(),
        ScSpecEntry::EventV0(e) => e.params.iter().map(|p| &p.type_).collect(),
    }
}

/// The entry's name, sanitised, for messages.
pub fn entry_name(entry: &ScSpecEntry) -> String {
    let (kind, name): (&str, &[u8]) = match entry {
        ScSpecEntry::FunctionV0(f) => ("function", f.name.as_ref()),
        ScSpecEntry::UdtStructV0(s) => ("struct", s.name.as_ref()),
        ScSpecEntry::UdtUnionV0(u) => ("union", u.name.as_ref()),
        ScSpecEntry::UdtEnumV0(e) => ("enum", e.name.as_ref()),
        ScSpecEntry::UdtErrorEnumV0(e) => ("error enum", e.name.as_ref()),
        ScSpecEntry::EventV0(e) => ("event", e.name.as_ref()),
    };
    format!("{kind} `{}`", text(name))
}

/// Whether any type of the entry nests deeper than [`MAX_TYPE_DEPTH`].
pub fn too_deep(entry: &ScSpecEntry) -> bool {
    entry_types(entry)
        .into_iter()
        .any(|t| nests_deeper(t, MAX_TYPE_DEPTH))
}

fn text(bytes: &[u8]) -> String {
    from_untrusted_bytes(bytes, false)
}

fn doc(bytes: &[u8]) -> String {
    from_untrusted_bytes(bytes, true)
}

/// Converts decoded spec entries into the ABI model, sanitising every string.
pub fn to_model(entries: &[ScSpecEntry]) -> ContractSpec {
    let mut spec = ContractSpec::default();
    for entry in entries {
        match entry {
            ScSpecEntry::FunctionV0(f) => spec.functions.push(Function {
                name: text(f.name.as_ref()),
                doc: doc(f.doc.as_ref()),
                inputs: f
                    .inputs
                    .iter()
                    .map(|i| Field {
                        name: text(i.name.as_ref()),
                        doc: doc(i.doc.as_ref()),
                        type_: type_def(&i.type_),
                    })
                    .collect(),
                outputs: f.outputs.iter().map(type_def).collect(),
            }),
            ScSpecEntry::UdtStructV0(s) => spec.structs.push(StructDef {
                name: text(s.name.as_ref()),
                doc: doc(s.doc.as_ref()),
                lib: text(s.lib.as_ref()),
                fields: s
                    .fields
                    .iter()
                    .map(|f| Field {
                        name: text(f.name.as_ref()),
                        doc: doc(f.doc.as_ref()),
                        type_: type_def(&f.type_),
                    })
                    .collect(),
            }),
            ScSpecEntry::UdtUnionV0(u) => spec.unions.push(UnionDef {
                name: text(u.name.as_ref()),
                doc: doc(u.doc.as_ref()),
                lib: text(u.lib.as_ref()),
                cases: u
                    .cases
                    .iter()
                    .map(|c| match c {
                        ScSpecUdtUnionCaseV0::VoidV0(v) => UnionCase {
                            name: text(v.name.as_ref()),
                            doc: doc(v.doc.as_ref()),
                            types: vec![],
                        },
                        ScSpecUdtUnionCaseV0::TupleV0(t) => UnionCase {
                            name: text(t.name.as_ref()),
                            doc: doc(t.doc.as_ref()),
                            types: t.type_.iter().map(type_def).collect(),
                        },
                    })
                    .collect(),
            }),
            ScSpecEntry::UdtEnumV0(e) => spec.enums.push(EnumDef {
                name: text(e.name.as_ref()),
                doc: doc(e.doc.as_ref()),
                lib: text(e.lib.as_ref()),
                cases: e
                    .cases
                    .iter()
                    .map(|c| EnumCase {
                        name: text(c.name.as_ref()),
                        doc: doc(c.doc.as_ref()),
                        value: c.value,
                    })
                    .collect(),
            }),
            ScSpecEntry::UdtErrorEnumV0(e) => spec.error_enums.push(EnumDef {
                name: text(e.name.as_ref()),
                doc: doc(e.doc.as_ref()),
                lib: text(e.lib.as_ref()),
                cases: e
                    .cases
                    .iter()
                    .map(|c| EnumCase {
                        name: text(c.name.as_ref()),
                        doc: doc(c.doc.as_ref()),
                        value: c.value,
                    })
                    .collect(),
            }),
            ScSpecEntry::EventV0(e) => spec.events.push(EventDef {
                name: text(e.name.as_ref()),
                doc: doc(e.doc.as_ref()),
                lib: text(e.lib.as_ref()),
                prefix_topics: e.prefix_topics.iter().map(|t| text(t.as_ref())).collect(),
                params: e
                    .params
                    .iter()
                    .map(|p| EventParam {
                        name: text(p.name.as_ref()),
                        doc: doc(p.doc.as_ref()),
                        type_: type_def(&p.type_),
                        location: match p.location {
                            ScSpecEventParamLocationV0::Data => EventParamLocation::Data,
                            ScSpecEventParamLocationV0::TopicList => EventParamLocation::TopicList,
                        },
                    })
                    .collect(),
                data_format: match e.data_format {
                    ScSpecEventDataFormat::SingleValue => EventDataFormat::SingleValue,
                    ScSpecEventDataFormat::Vec => EventDataFormat::Vec,
                    ScSpecEventDataFormat::Map => EventDataFormat::Map,
                },
            }),
        }
    }
    spec
}

/// Converts one XDR type. Recursion depth is bounded by the XDR reader's depth limit.
pub fn type_def(t: &ScSpecTypeDef) -> TypeDef {
    match t {
        ScSpecTypeDef::Val => TypeDef::Val,
        ScSpecTypeDef::Bool => TypeDef::Bool,
        ScSpecTypeDef::Void => TypeDef::Void,
        ScSpecTypeDef::Error => TypeDef::Error,
        ScSpecTypeDef::U32 => TypeDef::U32,
        ScSpecTypeDef::I32 => TypeDef::I32,
        ScSpecTypeDef::U64 => TypeDef::U64,
        ScSpecTypeDef::I64 => TypeDef::I64,
        ScSpecTypeDef::Timepoint => TypeDef::Timepoint,
        ScSpecTypeDef::Duration => TypeDef::Duration,
        ScSpecTypeDef::U128 => TypeDef::U128,
        ScSpecTypeDef::I128 => TypeDef::I128,
        ScSpecTypeDef::U256 => TypeDef::U256,
        ScSpecTypeDef::I256 => TypeDef::I256,
        ScSpecTypeDef::Bytes => TypeDef::Bytes,
        ScSpecTypeDef::String => TypeDef::String,
        ScSpecTypeDef::Symbol => TypeDef::Symbol,
        ScSpecTypeDef::Address => TypeDef::Address,
        ScSpecTypeDef::MuxedAddress => TypeDef::MuxedAddress,
        ScSpecTypeDef::Option(o) => TypeDef::Option(Box::new(type_def(&o.value_type))),
        ScSpecTypeDef::Result(r) => TypeDef::Result {
            ok: Box::new(type_def(&r.ok_type)),
            error: Box::new(type_def(&r.error_type)),
        },
        ScSpecTypeDef::Vec(v) => TypeDef::Vec(Box::new(type_def(&v.element_type))),
        ScSpecTypeDef::Map(m) => TypeDef::Map {
            key: Box::new(type_def(&m.key_type)),
            value: Box::new(type_def(&m.value_type)),
        },
        ScSpecTypeDef::Tuple(t) => TypeDef::Tuple(t.value_types.iter().map(type_def).collect()),
        ScSpecTypeDef::BytesN(b) => TypeDef::BytesN(b.n),
        ScSpecTypeDef::Udt(u) => TypeDef::Udt(text(u.name.as_ref())),
    }
}
