//! The Phase 1 extractor on arbitrary text and an arbitrary "asked" order (for numbered answers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pavebot::engine::state::Slot;
use pavebot_fuzz_common::engine;

#[path = "common.rs"]
mod pavebot_fuzz_common;

fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_first().unwrap_or((&0, &[]));
    let asked: Vec<Slot> = Slot::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| head & (1 << i) != 0)
        .map(|(_, s)| s)
        .collect();
    let text = String::from_utf8_lossy(rest);
    for hit in engine().extractor().extract(&text, &asked) {
        assert!(!hit.key.is_empty(), "a hit always has a key");
    }
});
