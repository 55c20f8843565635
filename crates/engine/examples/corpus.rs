//! Scores the reader on the Phase 1 corpus without building the bot: the same code as
//! `tests/profile_corpus.rs`. `cargo run -p pavebot-engine --example corpus [tune|test]` also prints
//! the misses of that half. `... --example corpus -- --file DRAFT.jsonl [new]` scores a batch that is
//! not folded in yet (its first-contact figure); `new` also prints its misses.

#[allow(dead_code)]
#[path = "../../../tests/profile_corpus.rs"]
mod corpus;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--file") => {
            let Some(path) = args.get(1) else {
                eprintln!("usage: corpus --file DRAFT.jsonl [new]");
                std::process::exit(2);
            };
            corpus::score_file(path, args.get(2).map_or("", String::as_str));
        }
        show => {
            corpus::score(show.unwrap_or_default());
        }
    }
}
