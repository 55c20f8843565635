//! The eks-recon report parser on arbitrary bytes: a result or a short reason, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(reason) = pavebot::engine::recon::parse(&text) {
        assert!(reason.chars().count() <= 400, "reasons stay short");
    }
});
