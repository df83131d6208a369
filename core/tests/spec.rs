//! The spec decoder against real contracts (`tests/fixtures/wasm`, provenance in its README).
#![allow(clippy::unwrap_used)]

use registry_core::spec::model::{EventDataFormat, TypeDef};
use registry_core::spec::{self, decode_wasm};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/wasm/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn hello_world_decodes_to_the_reference_json() {
    let d = decode_wasm(&fixture("py_sdk_hello_world_contract.wasm"));
    assert_eq!(d.spec_error, None);
    let expected: serde_json::Value = serde_json::from_str(
        r#"[{"function_v0":{"doc":"","name":"hello","inputs":[{"doc":"","name":"to","type":"string"}],"outputs":[{"vec":{"element_type":"string"}}]}}]"#,
    )
    .unwrap();
    assert_eq!(d.raw_spec, Some(expected));
    let spec = d.spec.unwrap();
    assert_eq!(
        spec.functions[0].signature(),
        "fn hello(to: String) -> Vec<String>"
    );
}

#[test]
fn custom_types_contract_has_its_functions_types_and_events() {
    let d = decode_wasm(&fixture("js_sdk_custom_types.wasm"));
    assert_eq!(d.spec_error, None);
    let spec = d.spec.unwrap();
    assert_eq!(spec.functions.len(), 37);
    assert_eq!(spec.events.len(), 3);
    assert!(!spec.structs.is_empty() && !spec.unions.is_empty() && !spec.enums.is_empty());
    assert!(!spec.error_enums.is_empty());
    assert_eq!(d.interface_version.map(|v| v.0), Some(23));
    // Every user type a function mentions is defined in the same spec.
    for f in &spec.functions {
        for t in f.inputs.iter().map(|i| &i.type_).chain(f.outputs.iter()) {
            for udt in t.udt_names() {
                assert!(
                    spec.defines_type(udt),
                    "{} uses undefined type {udt}",
                    f.name
                );
            }
        }
    }
    let kinds: std::collections::BTreeSet<&str> = spec
        .functions
        .iter()
        .flat_map(|f| f.inputs.iter().map(|i| i.type_.kind()))
        .collect();
    for k in [
        "OPTION", "VEC", "MAP", "TUPLE", "BYTES_N", "U256", "I256", "UDT", "ADDRESS",
    ] {
        assert!(kinds.contains(k), "no input of kind {k}: {kinds:?}");
    }
    assert!(spec.events.iter().all(|e| matches!(
        e.data_format,
        EventDataFormat::SingleValue | EventDataFormat::Vec | EventDataFormat::Map
    )));
}

#[test]
fn constructor_contract_exports_its_constructor() {
    let spec = decode_wasm(&fixture("sdk_contract_with_constructor.wasm"))
        .spec
        .unwrap();
    let ctor = spec.function("__constructor").expect("__constructor");
    assert!(!ctor.inputs.is_empty());
}

#[test]
fn every_fixture_decodes_without_error() {
    let root = format!("{}/tests/fixtures/wasm", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in [root.clone()].into_iter().chain(
        std::fs::read_dir(format!("{root}/rs-soroban-env"))
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string()),
    ) {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "wasm") {
                let d = decode_wasm(&std::fs::read(&p).unwrap());
                assert_eq!(d.spec_error, None, "{}", p.display());
                assert!(
                    d.interface_version.is_some(),
                    "{} has no env meta",
                    p.display()
                );
                n += 1;
            }
        }
    }
    assert_eq!(n, 48);
}

#[test]
fn repeated_sections_are_concatenated() {
    let hello = fixture("py_sdk_hello_world_contract.wasm");
    let sections = spec::xdr::sections(&hello).unwrap();
    let twice = spec::append_custom_section(&hello, "contractspecv0", &sections.spec);
    let d = decode_wasm(&twice);
    assert_eq!(d.spec.unwrap().functions.len(), 2);
    assert_ne!(d.hash, decode_wasm(&hello).hash);
}

#[test]
fn garbage_and_truncated_modules_report_errors_instead_of_panicking() {
    assert!(
        decode_wasm(b"not wasm")
            .spec_error
            .unwrap()
            .contains("not a valid WASM")
    );
    assert_eq!(
        decode_wasm(spec::EMPTY_MODULE).spec_error.as_deref(),
        Some("module has no contractspecv0 section")
    );
    let bad =
        spec::append_custom_section(spec::EMPTY_MODULE, "contractspecv0", &[0, 0, 0, 9, 1, 2]);
    assert!(
        decode_wasm(&bad)
            .spec_error
            .unwrap()
            .starts_with("contractspecv0 does not decode")
    );
    let hello = fixture("py_sdk_hello_world_contract.wasm");
    for cut in [9, hello.len() / 2, hello.len() - 1] {
        let _ = decode_wasm(&hello[..cut]);
    }
}

#[test]
fn control_characters_in_names_are_escaped() {
    use stellar_xdr::{Limits, ScSpecEntry, ScSpecFunctionV0, ScSpecTypeDef, WriteXdr};
    let f = ScSpecEntry::FunctionV0(ScSpecFunctionV0 {
        doc: "line one\nline two \u{1b}[31m".try_into().unwrap(),
        name: "evil\u{1b}".try_into().unwrap(),
        inputs: vec![].try_into().unwrap(),
        outputs: vec![ScSpecTypeDef::U32].try_into().unwrap(),
    });
    let wasm = spec::append_custom_section(
        spec::EMPTY_MODULE,
        "contractspecv0",
        &f.to_xdr(Limits::none()).unwrap(),
    );
    let spec = decode_wasm(&wasm).spec.unwrap();
    assert_eq!(spec.functions[0].name, "evil\\u{1b}");
    assert_eq!(spec.functions[0].doc, "line one\nline two \\u{1b}[31m");
    assert_eq!(spec.functions[0].outputs, vec![TypeDef::U32]);
}
