//! The eks-recon report parser on arbitrary bytes: a result or a short reason, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pavebot::knowledge::Knowledge;

fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::embedded().expect("the compiled-in replies load"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(reason) = pavebot::engine::recon::parse(&text, knowledge()) {
        assert!(reason.chars().count() <= 400, "reasons stay short");
    }
});
