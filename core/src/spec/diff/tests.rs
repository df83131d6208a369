use super::*;
use crate::spec::decode_wasm;
use crate::spec::model::{
    EnumCase, EventDataFormat, EventParam, EventParamLocation, Field, Function, UnionCase,
};

use ChangeKind::{Added, Changed, Removed};
use Severity::{Breaking, Compatible};
use Subject as S;

fn spec_of(path: &str) -> ContractSpec {
    let path = format!("{}/tests/fixtures/wasm/{path}", env!("CARGO_MANIFEST_DIR"));
    decode_wasm(&std::fs::read(&path).unwrap()).spec.unwrap()
}

/// `(subject, name, kind, severity)` of each change.
fn summary(d: &AbiDiff) -> Vec<(Subject, &str, ChangeKind, Severity)> {
    d.changes
        .iter()
        .map(|c| (c.subject, c.name.as_str(), c.kind, c.severity))
        .collect()
}

#[test]
fn a_real_wallets_two_releases_differ_in_its_constructor_and_its_upgrade_function() {
    let d = diff(
        &spec_of("real/sdp/smart_wallet.9b784817.wasm"),
        &spec_of("real/sdp/smart_wallet.optimized.7ac3713a.wasm"),
    );
    assert_eq!(
        summary(&d),
        [
            // Only deployments call it.
            (S::Function, "__constructor", Changed, Compatible),
            (S::Function, "rotate_signer", Added, Compatible),
            (S::Function, "upgrade", Removed, Breaking),
            // A storage key type no function takes or returns.
            (S::Union, "DataKey", Changed, Compatible),
            (S::ErrorEnum, "RecoveryError", Added, Compatible),
        ]
    );
    assert!(d.breaking());
    let ctor = &d.changes[0];
    assert_eq!(
        ctor.before.as_deref(),
        Some("fn __constructor(admin: Address, public_key: BytesN<65>)")
    );
    assert_eq!(
        ctor.after.as_deref(),
        Some("fn __constructor(public_key: BytesN<65>, recovery: Address)")
    );
    assert!(
        ctor.details
            .contains(&"parameter 1 (admin): Address became BytesN<65>".to_owned()),
        "{:?}",
        ctor.details
    );
    assert_eq!(
        d.changes[3].details,
        ["case Admin removed", "case Recovery added"]
    );
}

#[test]
fn real_contracts_rebuilt_for_newer_protocols_changed_compatibly_or_not_at_all() {
    let data = diff(
        &spec_of("rs-soroban-env/p20/example_contract_data.wasm"),
        &spec_of("rs-soroban-env/p26/example_contract_data.wasm"),
    );
    assert_eq!(
        summary(&data),
        [
            (S::Function, "extend_instance_v2", Added, Compatible),
            (S::Function, "extend_persistent_v2", Added, Compatible),
            (S::Function, "extend_temporary_v2", Added, Compatible),
        ]
    );
    assert!(!data.breaking());
    let sac = diff(
        &spec_of("rs-soroban-env/p20/contract_sac_transfer.wasm"),
        &spec_of("rs-soroban-env/p23/contract_sac_transfer.wasm"),
    );
    assert_eq!(
        summary(&sac),
        [
            (S::Function, "batch_transfer", Added, Compatible),
            (S::Function, "transfer_amount", Added, Compatible),
        ]
    );
    let same = spec_of("rs-soroban-env/p21/test_constructor.wasm");
    assert_eq!(
        diff(&same, &spec_of("rs-soroban-env/p22/test_constructor.wasm")),
        AbiDiff::default()
    );
    // A rich spec against itself: nothing.
    let rich = spec_of("js_sdk_custom_types.wasm");
    assert_eq!(diff(&rich, &rich), AbiDiff::default());
}

fn func(name: &str, inputs: &[(&str, TypeDef)], output: Option<TypeDef>) -> Function {
    Function {
        name: name.into(),
        doc: String::new(),
        inputs: inputs
            .iter()
            .map(|(n, t)| Field {
                name: (*n).into(),
                doc: String::new(),
                type_: t.clone(),
            })
            .collect(),
        outputs: output.into_iter().collect(),
    }
}

fn strukt(name: &str, fields: &[(&str, TypeDef)]) -> StructDef {
    StructDef {
        name: name.into(),
        doc: String::new(),
        lib: String::new(),
        fields: func("", fields, None).inputs,
    }
}

fn union(name: &str, cases: &[(&str, &[TypeDef])]) -> UnionDef {
    UnionDef {
        name: name.into(),
        doc: String::new(),
        lib: String::new(),
        cases: cases
            .iter()
            .map(|(n, ts)| UnionCase {
                name: (*n).into(),
                doc: String::new(),
                types: ts.to_vec(),
            })
            .collect(),
    }
}

fn enumm(name: &str, cases: &[(&str, u32)]) -> EnumDef {
    EnumDef {
        name: name.into(),
        doc: String::new(),
        lib: String::new(),
        cases: cases
            .iter()
            .map(|(n, v)| EnumCase {
                name: (*n).into(),
                doc: String::new(),
                value: *v,
            })
            .collect(),
    }
}

fn event(
    name: &str,
    topics: &[&str],
    params: &[(&str, TypeDef, EventParamLocation)],
    format: EventDataFormat,
) -> EventDef {
    EventDef {
        name: name.into(),
        doc: String::new(),
        lib: String::new(),
        prefix_topics: topics.iter().map(|t| (*t).into()).collect(),
        params: params
            .iter()
            .map(|(n, t, l)| EventParam {
                name: (*n).into(),
                doc: String::new(),
                type_: t.clone(),
                location: *l,
            })
            .collect(),
        data_format: format,
    }
}

fn udt(name: &str) -> TypeDef {
    TypeDef::Udt(name.into())
}

fn with(edit: impl FnOnce(&mut ContractSpec)) -> ContractSpec {
    let mut s = base();
    edit(&mut s);
    s
}

/// The interface every constructed case edits: `pay(to: Address, amount: i128, memo: Memo)
/// -> Receipt`, `mode() -> Mode`, `set(level: Level)`, an error enum, a `paid` event and an
/// unused struct.
fn base() -> ContractSpec {
    use EventParamLocation::{Data, TopicList};
    use TypeDef as T;
    ContractSpec {
        functions: vec![
            func(
                "pay",
                &[
                    ("to", T::Address),
                    ("amount", T::I128),
                    ("memo", udt("Memo")),
                ],
                Some(T::Result {
                    ok: Box::new(udt("Receipt")),
                    error: Box::new(udt("Error")),
                }),
            ),
            func("mode", &[], Some(udt("Mode"))),
            func("set", &[("level", udt("Level"))], None),
            func("list", &[("from", udt("Node"))], None),
        ],
        structs: vec![
            strukt("Receipt", &[("id", T::U64), ("detail", udt("Detail"))]),
            strukt("Detail", &[("fee", T::I128)]),
            strukt("Memo", &[("text", T::String)]),
            strukt("Unused", &[("x", T::U32)]),
            strukt(
                "Node",
                &[
                    ("value", T::U32),
                    ("next", T::Option(Box::new(udt("Node")))),
                ],
            ),
        ],
        unions: vec![
            union("Mode", &[("Open", &[]), ("Limited", &[T::U32])]),
            union("Level", &[("Low", &[]), ("High", &[T::U32])]),
        ],
        enums: vec![enumm("Kind", &[("A", 1), ("B", 2)])],
        error_enums: vec![enumm("Error", &[("NoFunds", 1), ("Frozen", 2)])],
        events: vec![event(
            "paid",
            &["paid"],
            &[
                ("to", T::Address, TopicList),
                ("amount", T::I128, Data),
                ("mode", udt("Mode"), Data),
            ],
            EventDataFormat::Map,
        )],
    }
}

#[test]
fn every_kind_of_change_is_classified_by_the_rule() {
    use EventParamLocation::Data;
    use TypeDef as T;
    type Expect = &'static [(Subject, &'static str, ChangeKind, Severity)];
    let cases: Vec<(&str, ContractSpec, Expect)> = vec![
        (
            "a function added",
            with(|s| s.functions.push(func("new_one", &[], None))),
            &[(S::Function, "new_one", Added, Compatible)],
        ),
        (
            "a function removed",
            with(|s| s.functions.retain(|f| f.name != "set")),
            &[(S::Function, "set", Removed, Breaking)],
        ),
        (
            "a parameter added",
            with(|s| {
                s.functions[0]
                    .inputs
                    .push(func("", &[("x", T::U32)], None).inputs[0].clone())
            }),
            &[(S::Function, "pay", Changed, Breaking)],
        ),
        (
            "a parameter renamed (arguments travel by position)",
            with(|s| s.functions[0].inputs[1].name = "value".into()),
            &[(S::Function, "pay", Changed, Compatible)],
        ),
        (
            "a parameter's type changed",
            with(|s| s.functions[0].inputs[1].type_ = T::U64),
            &[(S::Function, "pay", Changed, Breaking)],
        ),
        (
            "the result changed",
            with(|s| s.functions[2].outputs = vec![T::U32]),
            &[(S::Function, "set", Changed, Breaking)],
        ),
        (
            "a field two levels down the result's type changed",
            with(|s| s.structs[1].fields[0].type_ = T::I64),
            &[
                (S::Function, "pay", Changed, Breaking),
                (S::Struct, "Detail", Changed, Breaking),
            ],
        ),
        (
            "a field added to a struct a function takes",
            with(|s| {
                s.structs[2]
                    .fields
                    .push(strukt("", &[("lang", T::Symbol)]).fields[0].clone())
            }),
            &[
                (S::Function, "pay", Changed, Breaking),
                (S::Struct, "Memo", Changed, Breaking),
            ],
        ),
        (
            "a struct renamed, its fields the same (names do not travel)",
            with(|s| {
                s.structs[2].name = "Note".into();
                s.functions[0].inputs[2].type_ = udt("Note");
            }),
            &[
                (S::Struct, "Memo", Removed, Compatible),
                (S::Struct, "Note", Added, Compatible),
            ],
        ),
        (
            "a case added to a union callers only send",
            with(|s| {
                s.unions[1]
                    .cases
                    .push(union("", &[("Max", &[])]).cases[0].clone())
            }),
            &[
                (S::Function, "set", Changed, Compatible),
                (S::Union, "Level", Changed, Compatible),
            ],
        ),
        (
            "a case removed from a union callers send",
            with(|s| s.unions[1].cases.truncate(1)),
            &[
                (S::Function, "set", Changed, Breaking),
                (S::Union, "Level", Changed, Breaking),
            ],
        ),
        (
            "a case added to a union callers and consumers receive",
            with(|s| {
                s.unions[0]
                    .cases
                    .push(union("", &[("Closed", &[])]).cases[0].clone())
            }),
            &[
                (S::Function, "mode", Changed, Breaking),
                (S::Union, "Mode", Changed, Breaking),
                (S::Event, "paid", Changed, Breaking),
            ],
        ),
        (
            "a case removed from a union callers receive",
            with(|s| s.unions[0].cases.truncate(1)),
            &[
                (S::Function, "mode", Changed, Compatible),
                (S::Union, "Mode", Changed, Compatible),
                (S::Event, "paid", Changed, Compatible),
            ],
        ),
        (
            "a case's payload changed",
            with(|s| s.unions[1].cases[1].types = vec![T::U64]),
            &[
                (S::Function, "set", Changed, Breaking),
                (S::Union, "Level", Changed, Breaking),
            ],
        ),
        (
            "a constructor added",
            with(|s| {
                s.functions
                    .push(func("__constructor", &[("admin", T::Address)], None));
            }),
            &[(S::Function, "__constructor", Added, Compatible)],
        ),
        (
            "an enum a function takes renamed a case (numbers travel, not names)",
            with(|s| {
                s.functions
                    .push(func("by_kind", &[("k", udt("Kind"))], None));
                s.enums[0].cases[0].name = "Alpha".into();
            }),
            &[
                (S::Function, "by_kind", Added, Compatible),
                (S::Enum, "Kind", Changed, Compatible),
            ],
        ),
        (
            "an error code that now names another error",
            with(|s| s.error_enums[0].cases[1].name = "Overflow".into()),
            &[
                (S::Function, "pay", Changed, Breaking),
                (S::ErrorEnum, "Error", Changed, Breaking),
            ],
        ),
        (
            "an enum value added, the enum unused",
            with(|s| {
                s.enums[0]
                    .cases
                    .push(enumm("", &[("C", 3)]).cases[0].clone())
            }),
            &[(S::Enum, "Kind", Changed, Compatible)],
        ),
        (
            "an enum value added, the enum returned",
            with(|s| {
                s.enums[0]
                    .cases
                    .push(enumm("", &[("C", 3)]).cases[0].clone());
                s.functions.push(func("kind", &[], Some(udt("Kind"))));
            }),
            &[
                (S::Function, "kind", Added, Compatible),
                (S::Enum, "Kind", Changed, Compatible),
            ],
        ),
        (
            "an error code added",
            with(|s| {
                s.error_enums[0]
                    .cases
                    .push(enumm("", &[("Paused", 3)]).cases[0].clone())
            }),
            &[
                (S::Function, "pay", Changed, Compatible),
                (S::ErrorEnum, "Error", Changed, Compatible),
            ],
        ),
        (
            "an error code renumbered",
            with(|s| s.error_enums[0].cases[1].value = 7),
            &[
                (S::Function, "pay", Changed, Breaking),
                (S::ErrorEnum, "Error", Changed, Breaking),
            ],
        ),
        (
            "a struct no function or event uses changed",
            with(|s| s.structs[3].fields.clear()),
            &[(S::Struct, "Unused", Changed, Compatible)],
        ),
        (
            "a union became a struct",
            with(|s| {
                s.unions.remove(1);
                s.structs.push(strukt("Level", &[("n", T::U32)]));
            }),
            // Matched by name: the type called Level changed kind.
            &[
                (S::Function, "set", Changed, Breaking),
                (S::Union, "Level", Changed, Breaking),
            ],
        ),
        (
            "an event added",
            with(|s| {
                s.events
                    .push(event("frozen", &["frozen"], &[], EventDataFormat::Vec))
            }),
            &[(S::Event, "frozen", Added, Compatible)],
        ),
        (
            "an event removed",
            with(|s| s.events.clear()),
            &[(S::Event, "paid", Removed, Breaking)],
        ),
        (
            "an event's topic changed",
            with(|s| s.events[0].prefix_topics = vec!["payment".into()]),
            &[(S::Event, "paid", Changed, Breaking)],
        ),
        (
            "an event value moved from the topics to the data",
            with(|s| s.events[0].params[0].location = Data),
            &[(S::Event, "paid", Changed, Breaking)],
        ),
        (
            "an event's data format changed",
            with(|s| s.events[0].data_format = EventDataFormat::Vec),
            &[(S::Event, "paid", Changed, Breaking)],
        ),
        (
            "an event value's type changed",
            with(|s| s.events[0].params[1].type_ = T::U64),
            &[(S::Event, "paid", Changed, Breaking)],
        ),
        (
            "doc comments changed",
            with(|s| {
                s.functions[0].doc = "Pays.".into();
                s.structs[0].fields[0].doc = "The id.".into();
                s.events[0].doc = "Paid.".into();
            }),
            &[],
        ),
        (
            "a recursive type changed deep inside",
            with(|s| s.structs[4].fields[0].type_ = T::U64),
            &[
                (S::Function, "list", Changed, Breaking),
                (S::Struct, "Node", Changed, Breaking),
            ],
        ),
    ];
    let old = base();
    assert_eq!(diff(&old, &old), AbiDiff::default());
    // The constructor's own changes, against an interface that has one.
    let with_ctor = with(|s| {
        s.functions
            .push(func("__constructor", &[("admin", T::Address)], None))
    });
    for (what, new) in [
        (
            "a parameter added",
            with(|s| {
                s.functions.push(func(
                    "__constructor",
                    &[("admin", T::Address), ("x", T::U32)],
                    None,
                ))
            }),
        ),
        ("removed", base()),
    ] {
        let d = diff(&with_ctor, &new);
        assert_eq!(d.changes.len(), 1, "{what}: {d:?}");
        assert_eq!(d.changes[0].severity, Compatible, "the constructor {what}");
        assert!(
            d.changes[0]
                .details
                .iter()
                .any(|l| l.contains("only when a contract is deployed"))
        );
    }
    for (what, new, expected) in cases {
        let d = diff(&old, &new);
        assert_eq!(summary(&d), expected, "{what}: {d:#?}");
        assert_eq!(
            d.breaking(),
            expected.iter().any(|e| e.3 == Breaking),
            "{what}"
        );
        for c in &d.changes {
            assert!(!c.details.is_empty(), "{what}: {c:?}");
        }
    }
}

#[test]
fn a_field_whose_type_did_not_change_is_not_reported() {
    use TypeDef as T;
    let d = diff(
        &base(),
        &with(|s| {
            s.structs[0]
                .fields
                .push(strukt("", &[("n", T::U32)]).fields[0].clone())
        }),
    );
    let receipt = d.changes.iter().find(|c| c.name == "Receipt").unwrap();
    assert_eq!(
        receipt.details,
        [
            "field n added",
            "breaks callers and consumers that receive it"
        ]
    );
}

#[test]
fn details_say_what_changed_in_words() {
    let d = diff(
        &base(),
        &with(|s| {
            s.unions[1].cases.truncate(1);
            s.error_enums[0].cases[1].value = 7;
        }),
    );
    let details: Vec<(&str, &[String])> = d
        .changes
        .iter()
        .map(|c| (c.name.as_str(), c.details.as_slice()))
        .collect();
    assert_eq!(
        details,
        [
            (
                "pay",
                &["the result: type Result<Receipt, Error> changed".to_owned()][..]
            ),
            (
                "set",
                &["parameter 1 (level): type Level changed".to_owned()][..]
            ),
            (
                "Level",
                &[
                    "case High removed".to_owned(),
                    "breaks callers that send it".to_owned()
                ][..]
            ),
            (
                "Error",
                &[
                    "code Frozen is 7 instead of 2".to_owned(),
                    "breaks callers and consumers that receive it".to_owned()
                ][..]
            ),
        ]
    );
    assert_eq!(
        d.changes[2].before.as_deref(),
        Some("enum Level { Low, High(u32) }")
    );
    assert_eq!(
        d.changes[3].after.as_deref(),
        Some("error Error { NoFunds = 1, Frozen = 7 }")
    );
}
