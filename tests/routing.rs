//! Routing accuracy on the labelled corpus (`tests/corpus/routing.tsv`).
//!
//! The corpus is split in two halves: the rules in `config/routing.toml` were tuned on `tune`; this
//! test reports accuracy on `test` (held out) with the confusion matrix, and fails below 95%.
//! `PAVEBOT_ROUTING_SPLIT=tune cargo test --test routing -- --nocapture` shows the tuning half.

use std::collections::BTreeMap;

use pavebot::engine::state::Mode;
use pavebot::engine::Engine;

struct Row {
    split: String,
    label: String,
    text: String,
}

fn corpus() -> Vec<Row> {
    include_str!("corpus/routing.tsv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut it = l.splitn(3, '\t');
            Row {
                split: it.next().unwrap_or("").into(),
                label: it.next().unwrap_or("").into(),
                text: it.next().unwrap_or("").into(),
            }
        })
        .collect()
}

type Matrix = BTreeMap<(String, String), usize>;

fn evaluate(split: &str) -> (usize, usize, Matrix, Vec<String>) {
    let engine = Engine::embedded().expect("data files load");
    let mut matrix = BTreeMap::new();
    let mut errors = Vec::new();
    let (mut right, mut total) = (0, 0);
    for row in corpus().iter().filter(|r| r.split == split) {
        let got = engine.classify(&row.text).mode.id().to_string();
        total += 1;
        if got == row.label {
            right += 1;
        } else {
            errors.push(format!("{:>18} -> {:<18} {}", row.label, got, row.text));
        }
        *matrix.entry((row.label.clone(), got)).or_insert(0) += 1;
    }
    (right, total, matrix, errors)
}

fn print_matrix(matrix: &Matrix) {
    let modes: Vec<&str> = Mode::ALL.iter().map(|m| m.id()).collect();
    let short = |m: &str| m.chars().take(6).collect::<String>();
    print!("{:>18} |", "label \\ routed");
    for m in &modes {
        print!(" {:>6}", short(m));
    }
    println!();
    for l in &modes {
        if !matrix.keys().any(|(a, _)| a == l) {
            continue;
        }
        print!("{l:>18} |");
        for g in &modes {
            let n = matrix
                .get(&(l.to_string(), g.to_string()))
                .copied()
                .unwrap_or(0);
            print!(
                " {:>6}",
                if n == 0 {
                    ".".to_string()
                } else {
                    n.to_string()
                }
            );
        }
        println!();
    }
}

#[test]
fn corpus_is_large_enough_and_balanced() {
    let rows = corpus();
    assert!(rows.len() >= 300, "corpus has {} utterances", rows.len());
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        assert!(
            Mode::from_id(&r.label).is_some(),
            "unknown label {}",
            r.label
        );
        assert!(
            r.split == "tune" || r.split == "test",
            "bad split {}",
            r.split
        );
        *per.entry(r.label.as_str()).or_default() += 1;
    }
    for m in Mode::ALL.iter().filter(|m| **m != Mode::Unclear) {
        assert!(
            per.get(m.id()).copied().unwrap_or(0) >= 25,
            "{} has fewer than 25 utterances",
            m.id()
        );
    }
}

#[test]
fn held_out_routing_accuracy_is_at_least_95_percent() {
    let split = std::env::var("PAVEBOT_ROUTING_SPLIT").unwrap_or_else(|_| "test".into());
    let (right, total, matrix, errors) = evaluate(&split);
    let acc = right as f64 / total as f64;
    println!(
        "routing accuracy on the {split} half: {right}/{total} = {:.1}%",
        acc * 100.0
    );
    print_matrix(&matrix);
    for e in &errors {
        println!("miss: {e}");
    }
    assert!(total >= 150, "only {total} {split} utterances");
    assert!(
        acc >= 0.95,
        "routing accuracy {:.1}% is below 95% (see the confusion matrix above)",
        acc * 100.0
    );
}
