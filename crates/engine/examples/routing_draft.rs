//! Scores the router on a draft routing batch that is not in the corpus yet (its first-contact
//! figure): `cargo run -p pavebot-engine --example routing_draft -- DRAFT.tsv [--show]`. The file
//! has a `label<TAB>text` header and one utterance per line; `--show` also prints the misses;
//! `--rules` scores the routing rules alone, without the phrasing model.

use std::collections::BTreeMap;

use pavebot_engine::Engine;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: routing_draft DRAFT.tsv [--show] [--rules]");
        std::process::exit(2);
    };
    let show = args.iter().any(|a| a == "--show");
    let rules_only = args.iter().any(|a| a == "--rules");
    let raw = match std::fs::read_to_string(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let engine = match Engine::embedded() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for line in raw.lines().skip(1) {
        let Some((label, text)) = line.split_once('\t') else {
            continue;
        };
        let trace = if rules_only {
            engine.classify_rules(text)
        } else {
            engine.classify(text)
        };
        let got = trace.mode.id().to_string();
        let e = per.entry(label.to_string()).or_default();
        e.1 += 1;
        if got == label {
            e.0 += 1;
        } else if show {
            println!("{label:>18} -> {got:<18} {text}");
        }
    }
    let (right, total) = per.values().fold((0, 0), |(r, t), (a, b)| (r + a, t + b));
    println!(
        "{path}: {right}/{total} = {:.1}%",
        100.0 * right as f64 / total.max(1) as f64
    );
    for (label, (r, t)) in &per {
        println!("  {label:<18} {r}/{t}");
    }
}
