//! The interface of the Stellar Asset Contract. A SAC has no WASM: its code is built into the
//! host, so its interface cannot be read from a module. Like stellar-cli, the registry
//! substitutes this built-in description (the SEP-41 token interface plus the admin
//! functions of rs-soroban-env's `StellarAssetInterface`).

use std::sync::OnceLock;

use super::model::{
    ContractSpec, EnumCase, EnumDef, EventDataFormat, EventDef, EventParam, EventParamLocation,
    Field, Function, TypeDef,
};

fn field(name: &str, type_: TypeDef) -> Field {
    Field {
        name: name.into(),
        doc: String::new(),
        type_,
    }
}

fn function(name: &str, doc: &str, inputs: Vec<Field>, output: Option<TypeDef>) -> Function {
    Function {
        name: name.into(),
        doc: doc.into(),
        inputs,
        outputs: output.into_iter().collect(),
    }
}

fn event(name: &str, prefix: &str, params: &[(&str, TypeDef, EventParamLocation)]) -> EventDef {
    EventDef {
        name: name.into(),
        doc: String::new(),
        lib: String::new(),
        prefix_topics: vec![prefix.into()],
        params: params
            .iter()
            .map(|(n, t, l)| EventParam {
                name: (*n).into(),
                doc: String::new(),
                type_: t.clone(),
                location: *l,
            })
            .collect(),
        data_format: EventDataFormat::SingleValue,
    }
}

/// The Stellar Asset Contract's interface (built once).
pub fn stellar_asset_spec() -> &'static ContractSpec {
    static SPEC: OnceLock<ContractSpec> = OnceLock::new();
    SPEC.get_or_init(|| {
        use EventParamLocation::{Data, TopicList};
        use TypeDef::{Address, Bool, I128, MuxedAddress, U32};
        let a = || Address;
        ContractSpec {
            functions: vec![
                function("allowance", "Returns the allowance for `spender` to transfer from `from`.", vec![field("from", a()), field("spender", a())], Some(I128)),
                function("approve", "Set the allowance by `amount` for `spender` to transfer/burn from `from`, until `expiration_ledger`.", vec![field("from", a()), field("spender", a()), field("amount", I128), field("expiration_ledger", U32)], None),
                function("balance", "Returns the balance of `id`.", vec![field("id", a())], Some(I128)),
                function("transfer", "Transfer `amount` from `from` to `to`.", vec![field("from", a()), field("to", MuxedAddress), field("amount", I128)], None),
                function("transfer_from", "Transfer `amount` from `from` to `to`, consuming the allowance of `spender`.", vec![field("spender", a()), field("from", a()), field("to", a()), field("amount", I128)], None),
                function("burn", "Burn `amount` from `from`.", vec![field("from", a()), field("amount", I128)], None),
                function("burn_from", "Burn `amount` from `from`, consuming the allowance of `spender`.", vec![field("spender", a()), field("from", a()), field("amount", I128)], None),
                function("decimals", "Returns the number of decimals used to represent amounts of this token.", vec![], Some(U32)),
                function("name", "Returns the name for this token.", vec![], Some(TypeDef::String)),
                function("symbol", "Returns the symbol for this token.", vec![], Some(TypeDef::String)),
                function("set_admin", "Sets the administrator to the specified address `new_admin`.", vec![field("new_admin", a())], None),
                function("admin", "Returns the admin of the contract.", vec![], Some(a())),
                function("set_authorized", "Sets whether the account is authorized to use its balance.", vec![field("id", a()), field("authorize", Bool)], None),
                function("authorized", "Returns true if `id` is authorized to use its balance.", vec![field("id", a())], Some(Bool)),
                function("mint", "Mints `amount` to `to`.", vec![field("to", a()), field("amount", I128)], None),
                function("clawback", "Clawback `amount` from `from` account.", vec![field("from", a()), field("amount", I128)], None),
            ],
            structs: vec![],
            unions: vec![],
            enums: vec![],
            error_enums: vec![EnumDef {
                name: "ContractError".into(),
                doc: "Errors of the built-in token contract.".into(),
                lib: String::new(),
                cases: [
                    ("InternalError", 1), ("OperationNotSupportedError", 2), ("AlreadyInitializedError", 3),
                    ("UnauthorizedError", 4), ("AuthenticationError", 5), ("AccountMissingError", 6),
                    ("AccountIsNotClassic", 7), ("NegativeAmountError", 8), ("AllowanceError", 9),
                    ("BalanceError", 10), ("BalanceDeauthorizedError", 11), ("OverflowError", 12),
                    ("TrustlineMissingError", 13),
                ]
                .into_iter()
                .map(|(name, value)| EnumCase { name: name.into(), doc: String::new(), value })
                .collect(),
            }],
            events: vec![
                event("Transfer", "transfer", &[("from", a(), TopicList), ("to", a(), TopicList), ("amount", I128, Data)]),
                event("Mint", "mint", &[("to", a(), TopicList), ("amount", I128, Data)]),
                event("Burn", "burn", &[("from", a(), TopicList), ("amount", I128, Data)]),
                event("Clawback", "clawback", &[("from", a(), TopicList), ("amount", I128, Data)]),
                event("Approve", "approve", &[("from", a(), TopicList), ("spender", a(), TopicList), ("amount", I128, Data)]),
                event("SetAdmin", "set_admin", &[("new_admin", a(), Data)]),
                event("SetAuthorized", "set_authorized", &[("id", a(), TopicList), ("authorize", Bool, Data)]),
            ],
        }
    })
}
