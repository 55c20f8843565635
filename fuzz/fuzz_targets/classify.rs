//! The router's classifier on arbitrary text: never panics, always picks a mode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pavebot_fuzz_common::engine;

#[path = "common.rs"]
mod pavebot_fuzz_common;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let trace = engine().classify(&text);
    // The chosen mode is either a scored mode or a fallback; the trace must serialise.
    assert!(serde_json::to_string(&trace).is_ok());
});
