//! Scores the reader on the Phase 1 corpus without building the bot: the same code as
//! `tests/profile_corpus.rs`. `cargo run -p pavebot-engine --example corpus [tune|test]` also prints
//! the misses of that half.

#[allow(dead_code)]
#[path = "../../../tests/profile_corpus.rs"]
mod corpus;

fn main() {
    let show = std::env::args().nth(1).unwrap_or_default();
    corpus::score(&show);
}
