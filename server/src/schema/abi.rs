//! A contract's interface in the API: typed functions, user types and events, read from the
//! registry's ABI model, plus the raw spec JSON for tooling. Every string here was sanitised
//! when the spec was decoded.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, Enum, Json, Object, OutputType, Positioned, ServerResult, Value,
};
use registry_core::spec::model::{
    ContractSpec, EnumDef, EventDataFormat, EventDef, EventParam, EventParamLocation, Field,
    Function, StructDef, TypeDef, UnionCase, UnionDef,
};

use crate::cache::SpecDoc;

/// A contract interface.
#[derive(Clone)]
pub struct Abi {
    spec: Arc<ContractSpec>,
    raw: Option<Arc<Value>>,
    builtin: bool,
}

/// A JSON document kept as the engine's value tree, answered as the `JSON` scalar.
pub struct RawJson(Arc<Value>);

impl OutputType for RawJson {
    fn type_name() -> Cow<'static, str> {
        <Json<serde_json::Value> as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Json<serde_json::Value> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        _ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<async_graphql::parser::types::Field>,
    ) -> ServerResult<Value> {
        Ok((*self.0).clone())
    }
}

impl Abi {
    /// The interface decoded from a WASM's spec; `None` when it did not decode.
    pub fn from_doc(doc: Arc<SpecDoc>) -> Option<Abi> {
        Some(Abi {
            spec: doc.abi.clone()?,
            raw: doc.raw.clone(),
            builtin: false,
        })
    }

    /// A built-in interface (the Stellar Asset Contract's).
    pub fn built_in(spec: &ContractSpec) -> Abi {
        Abi {
            spec: Arc::new(spec.clone()),
            raw: None,
            builtin: true,
        }
    }
}

#[Object]
impl Abi {
    /// Exported functions, in spec order.
    async fn functions(&self) -> Vec<AbiFunction> {
        self.spec
            .functions
            .iter()
            .cloned()
            .map(AbiFunction)
            .collect()
    }

    /// Structs.
    async fn structs(&self) -> Vec<AbiStruct> {
        self.spec.structs.iter().cloned().map(AbiStruct).collect()
    }

    /// Enums whose cases carry values.
    async fn unions(&self) -> Vec<AbiUnion> {
        self.spec.unions.iter().cloned().map(AbiUnion).collect()
    }

    /// Integer enums.
    async fn enums(&self) -> Vec<AbiEnum> {
        self.spec.enums.iter().cloned().map(AbiEnum).collect()
    }

    /// Error enums: the codes functions fail with.
    async fn error_enums(&self) -> Vec<AbiEnum> {
        self.spec.error_enums.iter().cloned().map(AbiEnum).collect()
    }

    /// Declared events.
    async fn events(&self) -> Vec<AbiEvent> {
        self.spec.events.iter().cloned().map(AbiEvent).collect()
    }

    /// True for an interface built into the network (a Stellar Asset Contract), not read from
    /// a WASM.
    async fn builtin(&self) -> bool {
        self.builtin
    }

    /// The spec entries exactly as stellar-xdr serialises them to JSON (the form `stellar
    /// contract info interface --output json` prints); null for a built-in interface.
    #[graphql(complexity = "super::pagination::RAW_SPEC_COST")]
    async fn raw(&self) -> Option<RawJson> {
        self.raw.clone().map(RawJson)
    }
}

/// An exported function.
pub struct AbiFunction(Function);

#[Object]
impl AbiFunction {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn doc(&self) -> &str {
        &self.0.doc
    }

    /// The function as Rust spells it: `fn transfer(from: Address, to: Address, amount: i128)`.
    async fn signature(&self) -> String {
        self.0.signature()
    }

    /// Parameters, in call order.
    async fn inputs(&self) -> Vec<AbiField> {
        self.0.inputs.iter().cloned().map(AbiField).collect()
    }

    /// Result types (zero or one).
    async fn outputs(&self) -> Vec<AbiType> {
        self.0.outputs.iter().cloned().map(AbiType).collect()
    }
}

/// A named, typed value: a parameter or a struct field.
pub struct AbiField(Field);

#[Object]
impl AbiField {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn doc(&self) -> &str {
        &self.0.doc
    }

    #[graphql(name = "type")]
    async fn type_(&self) -> AbiType {
        AbiType(self.0.type_.clone())
    }
}

/// The kind of an ABI type.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[allow(missing_docs)]
pub enum AbiTypeKind {
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
    Option,
    Result,
    Vec,
    Map,
    Tuple,
    BytesN,
    Udt,
}

impl AbiTypeKind {
    fn of(t: &TypeDef) -> Self {
        match t {
            TypeDef::Val => Self::Val,
            TypeDef::Bool => Self::Bool,
            TypeDef::Void => Self::Void,
            TypeDef::Error => Self::Error,
            TypeDef::U32 => Self::U32,
            TypeDef::I32 => Self::I32,
            TypeDef::U64 => Self::U64,
            TypeDef::I64 => Self::I64,
            TypeDef::Timepoint => Self::Timepoint,
            TypeDef::Duration => Self::Duration,
            TypeDef::U128 => Self::U128,
            TypeDef::I128 => Self::I128,
            TypeDef::U256 => Self::U256,
            TypeDef::I256 => Self::I256,
            TypeDef::Bytes => Self::Bytes,
            TypeDef::String => Self::String,
            TypeDef::Symbol => Self::Symbol,
            TypeDef::Address => Self::Address,
            TypeDef::MuxedAddress => Self::MuxedAddress,
            TypeDef::Option(_) => Self::Option,
            TypeDef::Result { .. } => Self::Result,
            TypeDef::Vec(_) => Self::Vec,
            TypeDef::Map { .. } => Self::Map,
            TypeDef::Tuple(_) => Self::Tuple,
            TypeDef::BytesN(_) => Self::BytesN,
            TypeDef::Udt(_) => Self::Udt,
        }
    }
}

/// A value type. Compound types expose their parts: `elementType` (VEC), `valueType`
/// (OPTION, MAP), `keyType` (MAP), `okType`/`errorType` (RESULT), `valueTypes` (TUPLE), `n`
/// (BYTES_N) and `name` (UDT: a struct, union, enum or error enum of the same interface).
pub struct AbiType(TypeDef);

#[Object]
impl AbiType {
    async fn kind(&self) -> AbiTypeKind {
        AbiTypeKind::of(&self.0)
    }

    /// The type as Rust spells it: `Vec<Address>`, `Option<u32>`, `BytesN<32>`.
    async fn display(&self) -> String {
        self.0.to_string()
    }

    /// The user-defined type's name (UDT only).
    async fn name(&self) -> Option<&str> {
        match &self.0 {
            TypeDef::Udt(n) => Some(n),
            _ => None,
        }
    }

    /// Byte length (BYTES_N only).
    async fn n(&self) -> Option<u32> {
        match &self.0 {
            TypeDef::BytesN(n) => Some(*n),
            _ => None,
        }
    }

    /// Element type (VEC only).
    async fn element_type(&self) -> Option<AbiType> {
        match &self.0 {
            TypeDef::Vec(t) => Some(AbiType((**t).clone())),
            _ => None,
        }
    }

    /// Value type (OPTION and MAP).
    async fn value_type(&self) -> Option<AbiType> {
        match &self.0 {
            TypeDef::Option(t) => Some(AbiType((**t).clone())),
            TypeDef::Map { value, .. } => Some(AbiType((**value).clone())),
            _ => None,
        }
    }

    /// Key type (MAP only).
    async fn key_type(&self) -> Option<AbiType> {
        match &self.0 {
            TypeDef::Map { key, .. } => Some(AbiType((**key).clone())),
            _ => None,
        }
    }

    /// Success type (RESULT only).
    async fn ok_type(&self) -> Option<AbiType> {
        match &self.0 {
            TypeDef::Result { ok, .. } => Some(AbiType((**ok).clone())),
            _ => None,
        }
    }

    /// Error type (RESULT only).
    async fn error_type(&self) -> Option<AbiType> {
        match &self.0 {
            TypeDef::Result { error, .. } => Some(AbiType((**error).clone())),
            _ => None,
        }
    }

    /// Member types (TUPLE only).
    async fn value_types(&self) -> Option<Vec<AbiType>> {
        match &self.0 {
            TypeDef::Tuple(ts) => Some(ts.iter().cloned().map(AbiType).collect()),
            _ => None,
        }
    }
}

/// A struct type.
pub struct AbiStruct(StructDef);

#[Object]
impl AbiStruct {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn doc(&self) -> &str {
        &self.0.doc
    }

    /// The library it was imported from, when not defined by this contract.
    async fn lib(&self) -> &str {
        &self.0.lib
    }

    /// Fields in declaration order (numeric names: a tuple struct).
    async fn fields(&self) -> Vec<AbiField> {
        self.0.fields.iter().cloned().map(AbiField).collect()
    }
}

/// An enum whose cases may carry values.
pub struct AbiUnion(UnionDef);

#[Object]
impl AbiUnion {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn doc(&self) -> &str {
        &self.0.doc
    }

    async fn lib(&self) -> &str {
        &self.0.lib
    }

    async fn cases(&self) -> Vec<AbiUnionCase> {
        self.0.cases.iter().cloned().map(AbiUnionCase).collect()
    }
}

/// A union case: a name, and the values it carries (none for a bare case).
pub struct AbiUnionCase(UnionCase);

#[Object]
impl AbiUnionCase {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn doc(&self) -> &str {
        &self.0.doc
    }

    async fn types(&self) -> Vec<AbiType> {
        self.0.types.iter().cloned().map(AbiType).collect()
    }
}

/// An integer enum or an error enum.
pub struct AbiEnum(EnumDef);

#[Object]
impl AbiEnum {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn doc(&self) -> &str {
        &self.0.doc
    }

    async fn lib(&self) -> &str {
        &self.0.lib
    }

    async fn cases(&self) -> Vec<AbiEnumCase> {
        self.0
            .cases
            .iter()
            .map(|c| AbiEnumCase {
                name: c.name.clone(),
                doc: c.doc.clone(),
                value: c.value,
            })
            .collect()
    }
}

/// A case of an enum; for an error enum, `value` is the contract error code.
#[derive(async_graphql::SimpleObject)]
pub struct AbiEnumCase {
    pub name: String,
    pub doc: String,
    pub value: u32,
}

/// Where an event parameter travels.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AbiEventParamLocation {
    /// In the event data.
    Data,
    /// In the topics, after the prefix.
    TopicList,
}

/// How an event's data parameters are packed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AbiEventDataFormat {
    /// One value.
    SingleValue,
    /// A vector in parameter order.
    Vec,
    /// A map keyed by parameter name.
    Map,
}

/// An event the contract declares.
pub struct AbiEvent(EventDef);

#[Object]
impl AbiEvent {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn doc(&self) -> &str {
        &self.0.doc
    }

    async fn lib(&self) -> &str {
        &self.0.lib
    }

    /// Constant symbols at the start of the topics.
    async fn prefix_topics(&self) -> &[String] {
        &self.0.prefix_topics
    }

    async fn params(&self) -> Vec<AbiEventParam> {
        self.0.params.iter().cloned().map(AbiEventParam).collect()
    }

    async fn data_format(&self) -> AbiEventDataFormat {
        match self.0.data_format {
            EventDataFormat::SingleValue => AbiEventDataFormat::SingleValue,
            EventDataFormat::Vec => AbiEventDataFormat::Vec,
            EventDataFormat::Map => AbiEventDataFormat::Map,
        }
    }
}

/// A parameter of an event.
pub struct AbiEventParam(EventParam);

#[Object]
impl AbiEventParam {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn doc(&self) -> &str {
        &self.0.doc
    }

    #[graphql(name = "type")]
    async fn type_(&self) -> AbiType {
        AbiType(self.0.type_.clone())
    }

    async fn location(&self) -> AbiEventParamLocation {
        match self.0.location {
            EventParamLocation::Data => AbiEventParamLocation::Data,
            EventParamLocation::TopicList => AbiEventParamLocation::TopicList,
        }
    }
}
