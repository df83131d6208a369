//! Arbitrary bytes as a whole module: the WASM parser and the section reader never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use registry_core::spec::decode_wasm;

fuzz_target!(|data: &[u8]| {
    let d = decode_wasm(data);
    assert_eq!(d.size, data.len());
    assert_eq!(d.spec.is_some(), d.raw_spec.is_some());
});
