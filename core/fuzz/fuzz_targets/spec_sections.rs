//! Arbitrary contents of the three Soroban custom sections: decoding never panics, and what
//! it keeps reads back through a JSON reader with the usual 128-level limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use registry_core::spec::model::ContractSpec;
use registry_core::spec::{EMPTY_MODULE, append_custom_section, decode_wasm};

fuzz_target!(|data: &[u8]| {
    // The first two bytes split the input between the spec, meta and env meta sections.
    let (a, b) = match data {
        [a, b, ..] => (*a as usize, *b as usize),
        _ => (0, 0),
    };
    let rest = data.get(2..).unwrap_or_default();
    let cut1 = a.min(rest.len());
    let cut2 = (cut1 + b).min(rest.len());
    let mut module = append_custom_section(EMPTY_MODULE, "contractmetav0", &rest[..cut1]);
    module = append_custom_section(&module, "contractenvmetav0", &rest[cut1..cut2]);
    module = append_custom_section(&module, "contractspecv0", &rest[cut2..]);
    let d = decode_wasm(&module);
    if let Some(raw) = &d.raw_spec {
        let text = serde_json::to_string(raw).expect("serialises");
        serde_json::from_str::<serde_json::Value>(&text).expect("the raw spec reads back");
    }
    if let Some(abi) = &d.spec {
        let text = serde_json::to_string(abi).expect("serialises");
        let back: ContractSpec = serde_json::from_str(&text).expect("the ABI reads back");
        assert_eq!(&back, abi);
        for f in &abi.functions {
            let _ = f.signature();
        }
    }
    let _ = d.interpreted();
});
