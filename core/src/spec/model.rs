//! The registry's ABI model: a contract interface as a developer reads it, decoded from the
//! `contractspecv0` section. It is what `wasm_codes.abi` stores (as JSON, through serde) and
//! what the GraphQL `abi` module renders. Every string in it has been sanitised
//! ([`crate::text`]), so it may be shown as is.
//!
//! The lossless form for tooling is stellar-xdr's own serde JSON of the `ScSpecEntry` stream,
//! stored beside it; this model is for reading, not for re-encoding.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A contract's interface: its functions and the user-defined types and events they use,
/// each list in spec order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractSpec {
    /// Exported functions, including `__constructor` and `__check_auth` when present.
    pub functions: Vec<Function>,
    /// `#[contracttype]` structs.
    pub structs: Vec<StructDef>,
    /// `#[contracttype]` enums with data (Rust enums whose cases carry values).
    pub unions: Vec<UnionDef>,
    /// Integer enums.
    pub enums: Vec<EnumDef>,
    /// `#[contracterror]` enums: the codes a function can fail with.
    pub error_enums: Vec<EnumDef>,
    /// `#[contractevent]` declarations (protocol 23+).
    pub events: Vec<EventDef>,
}

impl ContractSpec {
    /// The names of the exported functions, in spec order.
    pub fn function_names(&self) -> impl Iterator<Item = &str> {
        self.functions.iter().map(|f| f.name.as_str())
    }

    /// The function of that name, if the contract exports it.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// Whether `name` is a user-defined type of this spec (struct, union, enum or error enum).
    pub fn defines_type(&self, name: &str) -> bool {
        self.structs.iter().any(|s| s.name == name)
            || self.unions.iter().any(|u| u.name == name)
            || self.enums.iter().any(|e| e.name == name)
            || self.error_enums.iter().any(|e| e.name == name)
    }
}

/// One exported function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// The exported symbol.
    pub name: String,
    /// Its doc comment (may span lines).
    pub doc: String,
    /// Named, typed parameters in call order.
    pub inputs: Vec<Field>,
    /// Zero or one result type (the XDR allows at most one).
    pub outputs: Vec<TypeDef>,
}

impl Function {
    /// `fn name(a: T, b: U) -> R`, the way the function reads in Rust.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .inputs
            .iter()
            .map(|i| format!("{}: {}", i.name, i.type_))
            .collect();
        let mut s = format!("fn {}({})", self.name, params.join(", "));
        if let Some(out) = self.outputs.first() {
            s.push_str(&format!(" -> {out}"));
        }
        s
    }
}

/// A named, typed value: a function parameter or a struct field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The parameter or field name.
    pub name: String,
    /// Its doc comment.
    pub doc: String,
    /// Its type.
    #[serde(rename = "type")]
    pub type_: TypeDef,
}

/// A struct type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructDef {
    /// The type name.
    pub name: String,
    /// Its doc comment.
    pub doc: String,
    /// The crate it was imported from, when it was not defined in this contract.
    pub lib: String,
    /// Fields in declaration order; numeric names (`"0"`, `"1"`) mean a tuple struct.
    pub fields: Vec<Field>,
}

/// An enum whose cases may carry values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnionDef {
    /// The type name.
    pub name: String,
    /// Its doc comment.
    pub doc: String,
    /// The crate it was imported from.
    pub lib: String,
    /// Cases in declaration order.
    pub cases: Vec<UnionCase>,
}

/// One case of a union: a bare name, or a name with a tuple of values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnionCase {
    /// The case name.
    pub name: String,
    /// Its doc comment.
    pub doc: String,
    /// The values the case carries; empty for a bare (void) case.
    pub types: Vec<TypeDef>,
}

/// An integer enum or an error enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumDef {
    /// The type name.
    pub name: String,
    /// Its doc comment.
    pub doc: String,
    /// The crate it was imported from.
    pub lib: String,
    /// Cases with their numeric values.
    pub cases: Vec<EnumCase>,
}

/// One case of an enum or error enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumCase {
    /// The case name.
    pub name: String,
    /// Its doc comment (for an error, what went wrong).
    pub doc: String,
    /// Its value; for an error enum, the contract error code.
    pub value: u32,
}

/// An event the contract declares that it emits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDef {
    /// The event name.
    pub name: String,
    /// Its doc comment.
    pub doc: String,
    /// The crate it was imported from.
    pub lib: String,
    /// Constant symbols at the start of the topic list.
    pub prefix_topics: Vec<String>,
    /// The event's values, each in the topics or in the data.
    pub params: Vec<EventParam>,
    /// How the data-located params are packed.
    pub data_format: EventDataFormat,
}

/// One value of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventParam {
    /// The param name.
    pub name: String,
    /// Its doc comment.
    pub doc: String,
    /// Its type.
    #[serde(rename = "type")]
    pub type_: TypeDef,
    /// Whether it travels in the topics or in the data.
    pub location: EventParamLocation,
}

/// Where an event param travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventParamLocation {
    /// In the event's data.
    Data,
    /// Appended to the topics, after the prefix.
    TopicList,
}

/// How an event's data-located params are packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventDataFormat {
    /// A single value.
    SingleValue,
    /// A vector, in param order.
    Vec,
    /// A map keyed by param name.
    Map,
}

/// A value type of the Soroban contract ABI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // the variants are the ABI's own type names
pub enum TypeDef {
    Val,
    Bool,
    Void,
    Error,
    U32,
    I32,
    U64,
    I64,
    Timepoint,
    Duration,
    U128,
    I128,
    U256,
    I256,
    Bytes,
    String,
    Symbol,
    Address,
    MuxedAddress,
    Option(Box<TypeDef>),
    Result {
        ok: Box<TypeDef>,
        error: Box<TypeDef>,
    },
    Vec(Box<TypeDef>),
    Map {
        key: Box<TypeDef>,
        value: Box<TypeDef>,
    },
    Tuple(Vec<TypeDef>),
    BytesN(u32),
    /// A user-defined type of the same spec, by name.
    Udt(String),
}

impl TypeDef {
    /// The type's kind as an upper-case word (`U32`, `VEC`, `UDT`, …), for the GraphQL enum.
    pub fn kind(&self) -> &'static str {
        match self {
            TypeDef::Val => "VAL",
            TypeDef::Bool => "BOOL",
            TypeDef::Void => "VOID",
            TypeDef::Error => "ERROR",
            TypeDef::U32 => "U32",
            TypeDef::I32 => "I32",
            TypeDef::U64 => "U64",
            TypeDef::I64 => "I64",
            TypeDef::Timepoint => "TIMEPOINT",
            TypeDef::Duration => "DURATION",
            TypeDef::U128 => "U128",
            TypeDef::I128 => "I128",
            TypeDef::U256 => "U256",
            TypeDef::I256 => "I256",
            TypeDef::Bytes => "BYTES",
            TypeDef::String => "STRING",
            TypeDef::Symbol => "SYMBOL",
            TypeDef::Address => "ADDRESS",
            TypeDef::MuxedAddress => "MUXED_ADDRESS",
            TypeDef::Option(_) => "OPTION",
            TypeDef::Result { .. } => "RESULT",
            TypeDef::Vec(_) => "VEC",
            TypeDef::Map { .. } => "MAP",
            TypeDef::Tuple(_) => "TUPLE",
            TypeDef::BytesN(_) => "BYTES_N",
            TypeDef::Udt(_) => "UDT",
        }
    }

    /// Every user-defined type name this type mentions, depth first.
    pub fn udt_names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_udts(&mut out);
        out
    }

    fn collect_udts<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            TypeDef::Udt(n) => out.push(n),
            TypeDef::Option(t) | TypeDef::Vec(t) => t.collect_udts(out),
            TypeDef::Result { ok, error } => {
                ok.collect_udts(out);
                error.collect_udts(out);
            }
            TypeDef::Map { key, value } => {
                key.collect_udts(out);
                value.collect_udts(out);
            }
            TypeDef::Tuple(ts) => ts.iter().for_each(|t| t.collect_udts(out)),
            _ => {}
        }
    }
}

/// Renders the type as the Rust SDK spells it: `Vec<Address>`, `Map<Symbol, i128>`,
/// `Option<u32>`, `Result<(), Error>`, `(u32, bool)`, `BytesN<32>`.
impl fmt::Display for TypeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeDef::Val => f.write_str("Val"),
            TypeDef::Bool => f.write_str("bool"),
            TypeDef::Void => f.write_str("()"),
            TypeDef::Error => f.write_str("Error"),
            TypeDef::U32 => f.write_str("u32"),
            TypeDef::I32 => f.write_str("i32"),
            TypeDef::U64 => f.write_str("u64"),
            TypeDef::I64 => f.write_str("i64"),
            TypeDef::Timepoint => f.write_str("Timepoint"),
            TypeDef::Duration => f.write_str("Duration"),
            TypeDef::U128 => f.write_str("u128"),
            TypeDef::I128 => f.write_str("i128"),
            TypeDef::U256 => f.write_str("U256"),
            TypeDef::I256 => f.write_str("I256"),
            TypeDef::Bytes => f.write_str("Bytes"),
            TypeDef::String => f.write_str("String"),
            TypeDef::Symbol => f.write_str("Symbol"),
            TypeDef::Address => f.write_str("Address"),
            TypeDef::MuxedAddress => f.write_str("MuxedAddress"),
            TypeDef::Option(t) => write!(f, "Option<{t}>"),
            TypeDef::Result { ok, error } => write!(f, "Result<{ok}, {error}>"),
            TypeDef::Vec(t) => write!(f, "Vec<{t}>"),
            TypeDef::Map { key, value } => write!(f, "Map<{key}, {value}>"),
            TypeDef::Tuple(ts) => {
                f.write_str("(")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                if ts.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            TypeDef::BytesN(n) => write!(f, "BytesN<{n}>"),
            TypeDef::Udt(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_types_render_like_the_rust_sdk() {
        let t = TypeDef::Result {
            ok: Box::new(TypeDef::Vec(Box::new(TypeDef::Map {
                key: Box::new(TypeDef::Symbol),
                value: Box::new(TypeDef::Option(Box::new(TypeDef::BytesN(32)))),
            }))),
            error: Box::new(TypeDef::Udt("Error".into())),
        };
        assert_eq!(
            t.to_string(),
            "Result<Vec<Map<Symbol, Option<BytesN<32>>>>, Error>"
        );
        assert_eq!(TypeDef::Tuple(vec![TypeDef::U32]).to_string(), "(u32,)");
        assert_eq!(t.udt_names(), vec!["Error"]);
    }

    #[test]
    fn signature_lists_parameters_and_result() {
        let f = Function {
            name: "transfer".into(),
            doc: String::new(),
            inputs: vec![
                Field {
                    name: "from".into(),
                    doc: String::new(),
                    type_: TypeDef::Address,
                },
                Field {
                    name: "amount".into(),
                    doc: String::new(),
                    type_: TypeDef::I128,
                },
            ],
            outputs: vec![],
        };
        assert_eq!(f.signature(), "fn transfer(from: Address, amount: i128)");
    }
}
