//! Times the reader on the Phase 1 corpus (release build):
//! `cargo run --release -p pavebot-engine --example read_bench`.

use std::time::Instant;

use pavebot_engine::read::Reader;
use pavebot_engine::state::Source;

fn main() {
    let reader = Reader::parse(include_str!("../../../config/reading.toml")).expect("reading.toml");
    let texts: Vec<String> = include_str!("../../../tests/corpus/phase1.jsonl")
        .lines()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    let rounds = 20;
    let start = Instant::now();
    let mut worst = 0u128;
    for _ in 0..rounds {
        for t in &texts {
            let s = Instant::now();
            std::hint::black_box(reader.read(t, &Source::Message));
            worst = worst.max(s.elapsed().as_nanos());
        }
    }
    let per = start.elapsed().as_nanos() / (rounds * texts.len()) as u128;
    println!(
        "{} messages x {rounds}: mean {:.1} µs per message, worst {:.1} µs",
        texts.len(),
        per as f64 / 1000.0,
        worst as f64 / 1000.0
    );
}
