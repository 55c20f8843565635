//! # pavebot
//!
//! A Discord bot that runs the *EKS Platform Engineering workflow*: it routes each message onto the
//! workflow's routing table, runs engagements phase by phase with STOP gates, and produces an
//! opinionated Internal Developer Platform plan for Amazon EKS.
//!
//! The heart is [`engine`], the separate crate `pavebot-engine` (`crates/engine`): a pure,
//! deterministic state machine (`state + event -> new state + effects`, no IO, no clock, no
//! randomness; Cargo enforces it, the crate has no IO dependencies). This crate is the edge around it:
//!
//! | module | owns |
//! |---|---|
//! | [`store`] | the `Store` trait: sled (group commit, schema migration, the Discord outbox) and in-memory |
//! | [`serial`] | the dispatcher: per-thread serialisation; the only code that loads and saves state |
//! | [`bot`] | load, step, save durably, hand back the effects and a typed summary of the thread |
//! | [`replay`], [`console`] | the public JSONL contract and the terminal chat |
//! | [`discord`] | serenity + poise: events, commands, ordered delivery with retries, message packing |
//! | [`config`] | operator settings (`config/pavebot.toml`, a user file, `PAVEBOT_*` variables) |
//!
//! Domain knowledge is data in `replies/`; the routing table, turn patterns, the Phase 1 reader's
//! vocabulary and the Defaults table are data in `config/`. All are compiled in and validated at
//! start-up ([`knowledge::Knowledge`], `pavebot check`). Benchmarks live in `crates/bench`.

#![warn(missing_docs)]

pub mod bot;
pub mod config;
pub mod console;
pub mod discord;
pub mod replay;
pub mod serial;
pub mod store;

/// The pure engine (crate `pavebot-engine`), re-exported under its old path.
pub use pavebot_engine as engine;
pub use pavebot_engine::{error, knowledge};

use engine::Engine;

/// Builds the engine from a configuration: the compiled-in routing and extractor tables, the
/// knowledge base (compiled in, or `replies_dir`), and the configured limits and approver roles.
pub fn engine_from(cfg: &config::Config) -> Result<Engine, error::LoadError> {
    let kb = if cfg.replies_dir.is_empty() {
        knowledge::Knowledge::embedded()?
    } else {
        knowledge_from_dir(std::path::Path::new(&cfg.replies_dir))?
    };
    Engine::new(
        include_str!("../config/routing.toml"),
        include_str!("../config/extract.toml"),
        kb,
        cfg.engine_limits(),
        cfg.approver_roles.clone(),
    )
}

/// Loads `replies/` from `replies_dir` (a directory laid out like the project's `replies/`) and the
/// Defaults table from the compiled-in copy. The engine does no IO: this reads the files for it.
pub fn knowledge_from_dir(
    replies_dir: &std::path::Path,
) -> Result<knowledge::Knowledge, error::LoadError> {
    knowledge::Knowledge::load_with(|path| match path.strip_prefix("replies/") {
        Some(rel) => {
            let full = replies_dir.join(rel);
            std::fs::read_to_string(&full).map_err(|e| {
                error::LoadError::new(full.display().to_string(), format!("cannot read: {e}"))
            })
        }
        None => knowledge::EMBEDDED
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| (*t).to_string())
            .ok_or_else(|| error::LoadError::new(path, "not compiled in")),
    })
}
