//! The engine, built once per fuzzing process.

use std::sync::OnceLock;

use pavebot::engine::Engine;

pub fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::embedded().expect("the embedded data loads"))
}
