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
        // `READ_BENCH_ONLY=<words>` times only the messages that hold them.
        .filter(|t| std::env::var("READ_BENCH_ONLY").map_or(true, |w| t.contains(&w)))
        .collect();
    let rounds = 20;
    let start = Instant::now();
    let mut worst = 0u128;
    let mut each = vec![0u128; texts.len()];
    for _ in 0..rounds {
        for (i, t) in texts.iter().enumerate() {
            let s = Instant::now();
            std::hint::black_box(reader.read(t, &Source::Message));
            let took = s.elapsed().as_nanos();
            worst = worst.max(took);
            each[i] += took;
        }
    }
    let per = start.elapsed().as_nanos() / (rounds * texts.len()) as u128;
    println!(
        "{} messages x {rounds}: mean {:.1} µs per message, worst {:.1} µs",
        texts.len(),
        per as f64 / 1000.0,
        worst as f64 / 1000.0
    );
    // The slowest messages on average, with their length.
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(each[i]));
    for &i in order.iter().take(5) {
        let t = &texts[i];
        println!(
            "  {:8.1} µs  {:5} bytes  {}",
            each[i] as f64 / rounds as f64 / 1000.0,
            t.len(),
            t.chars().take(70).collect::<String>().replace('\n', " ")
        );
    }
}
