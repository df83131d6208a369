//! Property tests of the spec decoder and the ABI model on hostile input: arbitrary custom
//! sections, real sections with bytes flipped, and well-formed specs whose types nest far
//! past the cap. Whatever comes in, decoding never panics, stays within a fixed memory
//! budget (the allocator below refuses more, which aborts the test), and everything it
//! keeps reads back through a JSON reader with the usual 128-level limit (the registry stores
//! the ABI as jsonb and reads it again). `make test` runs a short pass; `make fuzz` runs the
//! coverage-guided targets of `core/fuzz` for longer.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use registry_core::spec::model::ContractSpec;
use registry_core::spec::xdr::MAX_TYPE_DEPTH;
use registry_core::spec::{self, EMPTY_MODULE, append_custom_section, decode_wasm};
use stellar_xdr::{
    Limits, ScSpecEntry, ScSpecFunctionInputV0, ScSpecFunctionV0, ScSpecTypeDef, ScSpecTypeMap,
    ScSpecTypeOption, ScSpecTypeResult, ScSpecTypeTuple, ScSpecTypeVec, WriteXdr,
};

/// Every allocation of this test process counts against this budget; a decoder that tried to
/// reserve memory for a hostile length prefix would hit it and abort the run.
const MEMORY_BUDGET: usize = 256 << 20;

#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, MEMORY_BUDGET);

fn module(sections: &[(&str, &[u8])]) -> Vec<u8> {
    let mut m = EMPTY_MODULE.to_vec();
    for (name, payload) in sections {
        m = append_custom_section(&m, name, payload);
    }
    m
}

/// What the registry stores of a decoded module reads back through serde_json.
fn stored_json_reads_back(code: &[u8]) -> Result<(), TestCaseError> {
    let before = ALLOCATOR.allocated();
    let d = decode_wasm(code);
    prop_assert!(ALLOCATOR.allocated() < before + (64 << 20));
    if let Some(raw) = &d.raw_spec {
        let text = serde_json::to_string(raw).unwrap();
        prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    }
    if let Some(abi) = &d.spec {
        let text = serde_json::to_string(abi).unwrap();
        let back: ContractSpec = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, abi);
        for f in &abi.functions {
            let _ = f.signature();
        }
    }
    prop_assert!(d.spec.is_some() == d.raw_spec.is_some());
    Ok(())
}

/// A type nested exactly `depth` levels (1 is a bare `u32`), through a mix of containers.
fn nested(depth: usize, shape: &[u8]) -> ScSpecTypeDef {
    let mut t = ScSpecTypeDef::U32;
    for i in 1..depth {
        t = match shape[i % shape.len()] % 5 {
            0 => ScSpecTypeDef::Option(Box::new(ScSpecTypeOption {
                value_type: Box::new(t),
            })),
            1 => ScSpecTypeDef::Vec(Box::new(ScSpecTypeVec {
                element_type: Box::new(t),
            })),
            2 => ScSpecTypeDef::Map(Box::new(ScSpecTypeMap {
                key_type: Box::new(ScSpecTypeDef::Symbol),
                value_type: Box::new(t),
            })),
            3 => ScSpecTypeDef::Result(Box::new(ScSpecTypeResult {
                ok_type: Box::new(t),
                error_type: Box::new(ScSpecTypeDef::Error),
            })),
            _ => ScSpecTypeDef::Tuple(Box::new(ScSpecTypeTuple {
                value_types: vec![t, ScSpecTypeDef::Bool].try_into().unwrap(),
            })),
        };
    }
    t
}

fn function(name: &str, input: ScSpecTypeDef) -> ScSpecEntry {
    ScSpecEntry::FunctionV0(ScSpecFunctionV0 {
        doc: "".try_into().unwrap(),
        name: name.try_into().unwrap(),
        inputs: vec![ScSpecFunctionInputV0 {
            doc: "".try_into().unwrap(),
            name: "x".try_into().unwrap(),
            type_: input,
        }]
        .try_into()
        .unwrap(),
        outputs: vec![].try_into().unwrap(),
    })
}

fn xdr(entries: &[ScSpecEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend(e.to_xdr(Limits::none()).unwrap());
    }
    out
}

/// The spec section of the fixture that uses nearly every type the XDR has.
fn real_spec() -> Vec<u8> {
    let code = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wasm/js_sdk_custom_types.wasm"
    ))
    .unwrap();
    spec::xdr::sections(&code).unwrap().spec
}

#[test]
fn a_type_nested_past_the_cap_loses_only_its_entry() {
    // Option<Option<…>> 120 deep: the XDR decoder (depth 500) reads it, JSON readers could not.
    let deep = function("deep", nested(120, &[0]));
    let ok = function("ok", nested(MAX_TYPE_DEPTH, &[4, 2, 3]));
    let code = module(&[("contractspecv0", &xdr(&[ok, deep]))]);
    let d = decode_wasm(&code);
    let abi = d.spec.as_ref().unwrap();
    assert_eq!(
        abi.function_names().collect::<Vec<_>>(),
        vec!["ok"],
        "the deep entry is left out, the other kept"
    );
    let err = d.spec_error.as_deref().unwrap();
    assert!(
        err.contains("entry 1 (function `deep`)") && err.contains("deeper than 32 levels"),
        "{err}"
    );
    assert_eq!(d.raw_spec.as_ref().unwrap().as_array().unwrap().len(), 1);
    // The stored forms read back through serde_json (128 levels), the widest shape included.
    stored_json_reads_back(&code).unwrap();
}

#[test]
fn an_entry_kind_unknown_to_the_decoder_loses_only_that_entry() {
    let good = xdr(&[function("first", ScSpecTypeDef::U32)]);
    // Discriminant 99 is no ScSpecEntry kind (a kind a later protocol might add), with a body.
    let mut section = good.clone();
    section.extend([
        0, 0, 0, 99, 0, 0, 0, 5, b'n', b'e', b'w', b'e', b'r', 0, 0, 0,
    ]);
    section.extend(xdr(&[
        function("after", ScSpecTypeDef::U32),
        function("last", ScSpecTypeDef::Bool),
    ]));
    let d = decode_wasm(&module(&[("contractspecv0", &section)]));
    assert_eq!(
        d.spec.unwrap().function_names().collect::<Vec<_>>(),
        vec!["first", "after", "last"]
    );
    let err = d.spec_error.unwrap();
    assert!(
        err.starts_with("contractspecv0: entry 1 (16 bytes) could not be read and is left out"),
        "{err}"
    );
    assert_eq!(d.raw_spec.unwrap().as_array().unwrap().len(), 3);
}

#[test]
fn a_stream_that_never_reads_again_keeps_what_came_before() {
    let mut section = xdr(&[function("first", ScSpecTypeDef::U32)]);
    section.extend([0, 0, 0, 99, 1, 2, 3]);
    let d = decode_wasm(&module(&[("contractspecv0", &section)]));
    assert_eq!(
        d.spec.unwrap().function_names().collect::<Vec<_>>(),
        vec!["first"]
    );
    assert!(
        d.spec_error
            .unwrap()
            .starts_with("contractspecv0 does not decode from entry 1 on")
    );
}

#[test]
fn a_malformed_meta_entry_loses_only_itself() {
    use stellar_xdr::{ScMetaEntry, ScMetaV0};
    let entry = |k: &str, v: &str| {
        ScMetaEntry::ScMetaV0(ScMetaV0 {
            key: k.try_into().unwrap(),
            val: v.try_into().unwrap(),
        })
        .to_xdr(Limits::none())
        .unwrap()
    };
    let mut meta = entry("sep", "41");
    // An entry of a kind the XDR does not have, then a good one: only the bad one is lost.
    meta.extend([0, 0, 0, 3, 0, 0, 0, 1, b'x', 0, 0, 0]);
    meta.extend(entry("home_domain", "example.org"));
    meta.extend(entry("cliver", "23.1.0"));
    meta.extend([0, 0, 0, 7, 1]); // and at the end, a key that claims 7 bytes and has one
    let d = decode_wasm(&module(&[
        ("contractspecv0", &[]),
        ("contractmetav0", &meta),
    ]));
    assert_eq!(d.meta.len(), 3);
    let i = d.interpreted();
    assert_eq!(i.seps, vec![41]);
    assert_eq!(i.home_domain.as_deref(), Some("example.org"));
    let err = d.meta_error.unwrap();
    assert!(
        err.contains("entry 1 (12 bytes) could not be read")
            && err.contains("does not decode from entry 4 on"),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_custom_sections_never_panic(
        spec in proptest::collection::vec(any::<u8>(), 0..2048),
        meta in proptest::collection::vec(any::<u8>(), 0..512),
        env in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let code = module(&[
            ("contractspecv0", &spec),
            ("contractmetav0", &meta),
            ("contractenvmetav0", &env),
        ]);
        stored_json_reads_back(&code)?;
    }

    #[test]
    fn real_specs_with_bytes_changed_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut spec = real_spec();
        for (at, byte) in &edits {
            let i = at.index(spec.len());
            spec[i] = *byte;
        }
        spec.truncate(cut.index(spec.len() + 1).max(1));
        stored_json_reads_back(&module(&[("contractspecv0", &spec)]))?;
    }

    #[test]
    fn entries_are_kept_exactly_when_they_nest_within_the_cap(
        depths in proptest::collection::vec(1usize..80, 1..6),
        shape in proptest::collection::vec(any::<u8>(), 1..8),
    ) {
        let entries: Vec<ScSpecEntry> = depths
            .iter()
            .enumerate()
            .map(|(i, d)| function(&format!("f{i}"), nested(*d, &shape)))
            .collect();
        let code = module(&[("contractspecv0", &xdr(&entries))]);
        let d = decode_wasm(&code);
        let kept: Vec<String> = depths
            .iter()
            .enumerate()
            .filter(|(_, d)| **d <= MAX_TYPE_DEPTH)
            .map(|(i, _)| format!("f{i}"))
            .collect();
        let names: Vec<String> = d
            .spec
            .as_ref()
            .map(|s| s.function_names().map(str::to_owned).collect())
            .unwrap_or_default();
        prop_assert_eq!(names, kept.clone());
        prop_assert_eq!(d.spec_error.is_some(), kept.len() < depths.len());
        stored_json_reads_back(&code)?;
    }
}
