//! # pavebot
//!
//! A Discord bot that runs the *EKS Platform Engineering workflow*: it routes each message onto the
//! workflow's routing table, runs engagements phase by phase with STOP gates, and produces an
//! opinionated Internal Developer Platform plan for Amazon EKS.
//!
//! The heart is [`engine`]: a pure, deterministic state machine (`state + event -> new state +
//! effects`, no IO, no clock, no randomness). Around it sit thin adapters that share one driver
//! ([`bot::Bot`]: load from sled, step, flush, act): [`replay`] (the public JSONL contract),
//! [`console`] (a terminal chat) and [`discord`] (serenity + poise).
//!
//! Domain knowledge is data in `replies/`; the routing table, the Phase 1 extractors and the
//! Defaults table are data in `config/`. Both are compiled in and validated at start-up
//! ([`knowledge::Knowledge`]).

#![warn(missing_docs)]

pub mod bot;
pub mod config;
pub mod console;
pub mod discord;
pub mod engine;
pub mod error;
pub mod knowledge;
pub mod loadbench;
pub mod mem;
pub mod replay;
pub mod serial;
pub mod store;

use engine::Engine;

/// Builds the engine from a configuration: the compiled-in routing and extractor tables, the
/// knowledge base (compiled in, or `replies_dir`), and the configured limits and approver roles.
pub fn engine_from(cfg: &config::Config) -> Result<Engine, error::LoadError> {
    let kb = if cfg.replies_dir.is_empty() {
        knowledge::Knowledge::embedded()?
    } else {
        knowledge::Knowledge::from_dir(std::path::Path::new(&cfg.replies_dir))?
    };
    Engine::new(
        include_str!("../config/routing.toml"),
        include_str!("../config/extract.toml"),
        kb,
        cfg.engine_limits(),
        cfg.approver_roles.clone(),
    )
}
