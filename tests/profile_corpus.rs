//! Profile-reading accuracy on the labelled Phase 1 corpus (`tests/corpus/phase1.jsonl`).
//!
//! Each line is `{"id", "style", "split", "text", "expect"}`; `expect` holds the profile facts the
//! message states, keyed like the replay contract's `profile` (plus `pain`: words the read pain must
//! contain). Lines starting with `#` are comments (the corpus history). The reader's data
//! (`config/reading.toml`) was tuned on the `tune` half only; this test prints per-fact figures for
//! both halves, counts false facts (read but not expected), and fails when the held-out (`test`)
//! half falls below the threshold.
//!
//! `cargo test --test profile_corpus -- --nocapture` prints the figures;
//! `PAVEBOT_CORPUS_MISSES=tune` (or `test`) also prints every miss of that half.
//!
//! Comparison: tool names ignore case, spaces, punctuation, a leading vendor word (`AWS Secrets
//! Manager` = `Secrets Manager`) and a trailing "operator" (`External Secrets Operator`); environment names compare by their usual short form (`production`
//! = `prod`); capabilities and constraints compare as sets; pain holds when every expected word is in
//! the read pain.

use std::collections::{BTreeMap, BTreeSet};

use pavebot_engine::read::Reader;
use pavebot_engine::state::Source;
use serde_json::{Map, Value};

/// The held-out figure this test demands (percent of expected facts read right).
const THRESHOLD: f64 = 95.0;

struct Line {
    id: String,
    style: String,
    split: String,
    text: String,
    expect: Map<String, Value>,
}

fn corpus(raw: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for (n, l) in raw.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        out.push(Line {
            id: s("id"),
            style: s("style"),
            // A batch not folded in yet has no split: it is scored as one "new" half.
            split: v["split"].as_str().unwrap_or("new").to_string(),
            text: s("text"),
            expect: v["expect"].as_object().cloned().unwrap_or_default(),
        });
    }
    out
}

fn tool(s: &str) -> String {
    let l = s.to_lowercase();
    let mut words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    while words.len() > 1 && matches!(words[0], "aws" | "amazon" | "eks" | "hashicorp" | "opa") {
        words.remove(0);
    }
    // "External Secrets Operator" is External Secrets.
    if words.len() > 1 && words.last() == Some(&"operator") {
        words.pop();
    }
    words.concat()
}

fn env(s: &str) -> String {
    let l = s.to_lowercase();
    let t: String = l.chars().filter(|c| c.is_alphanumeric()).collect();
    match t.as_str() {
        "production" | "prd" | "prod" | "live" => "prod",
        "development" | "develop" | "devel" | "dev" => "dev",
        "stage" | "stg" | "staging" => "staging",
        "preproduction" | "preprod" => "preprod",
        "testing" | "test" | "tst" => "test",
        other => return other.to_string(),
    }
    .to_string()
}

fn set(v: &Value) -> BTreeSet<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => [s.clone()].into(),
        _ => BTreeSet::new(),
    }
}

/// Flattens a contract value into fact keys: `teams.app`, `stack.gitops`, `wanted.portal`, and the
/// plain keys.
fn facts(v: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (k, val) in v {
        match (k.as_str(), val) {
            ("teams" | "stack" | "wanted", Value::Object(m)) => {
                for (kk, vv) in m {
                    out.insert(format!("{k}.{kk}"), vv.clone());
                }
            }
            ("greenfield", _) => {}
            _ => {
                out.insert(k.clone(), val.clone());
            }
        }
    }
    out
}

/// True when the read value matches the expected one for this key.
fn same(key: &str, want: &Value, got: &Value) -> bool {
    let family = key.split('.').next().unwrap_or(key);
    match family {
        "stack" | "wanted" => tool(want.as_str().unwrap_or("")) == tool(got.as_str().unwrap_or("")),
        "environments" => {
            let f = |v: &Value| set_vec(v).into_iter().map(|s| env(&s)).collect::<Vec<_>>();
            f(want) == f(got)
        }
        "capabilities" | "constraints" => set(want) == set(got),
        "pain" => {
            let got = got.as_str().unwrap_or("").to_lowercase();
            let words: Vec<String> = match want {
                Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str())
                    .map(str::to_lowercase)
                    .collect(),
                Value::String(s) => s.split_whitespace().map(str::to_lowercase).collect(),
                _ => Vec::new(),
            };
            !words.is_empty() && words.iter().all(|w| got.contains(w.as_str()))
        }
        "engineers" | "clusters" | "teams" => want.as_f64() == got.as_f64(),
        _ => want == got,
    }
}

fn set_vec(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Default)]
struct Tally {
    right: usize,
    total: usize,
    false_facts: usize,
    per_key: BTreeMap<String, (usize, usize, usize)>,
    /// Facts right and expected by the message's writing style (prose, list, labels, ...).
    per_style: BTreeMap<String, (usize, usize)>,
}

impl Tally {
    fn pct(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            100.0 * self.right as f64 / self.total as f64
        }
    }
}

#[test]
fn profile_facts_on_the_held_out_half() {
    let show = std::env::var("PAVEBOT_CORPUS_MISSES").unwrap_or_default();
    let held = score(&show);
    assert!(
        held >= THRESHOLD,
        "held-out profile facts {held:.1}% < {THRESHOLD}%"
    );
}

/// Reads the whole corpus, prints the figures (and the misses of split `show`), and returns the
/// held-out percentage.
pub fn score(show: &str) -> f64 {
    let lines = corpus(include_str!("corpus/phase1.jsonl"));
    assert!(
        lines.len() >= 300,
        "the corpus has {} messages",
        lines.len()
    );
    score_lines(&lines, show)
}

/// Scores a batch that is not in the corpus yet (a draft written by someone who has not seen the
/// rules): its lines have no split and are reported as `new`. Prints no misses unless `show` is `new`.
pub fn score_file(path: &str, show: &str) {
    let raw = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    score_lines(&corpus(&raw), show);
}

fn score_lines(lines: &[Line], show: &str) -> f64 {
    let reader =
        Reader::parse(include_str!("../config/reading.toml")).expect("config/reading.toml");
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for l in lines {
        assert!(
            l.split == "tune" || l.split == "test" || l.split == "new",
            "{}: split {:?}",
            l.id,
            l.split
        );
        let (v, _) = reader.read(&l.text, &Source::Message).contract();
        let got = facts(v.as_object().expect("object"));
        let want = facts(&l.expect);
        let t = tallies.entry(l.split.clone()).or_default();
        let mut misses = Vec::new();
        for (k, w) in &want {
            let family = if k.starts_with("teams.") {
                k.clone()
            } else {
                k.split('.').next().unwrap_or(k).to_string()
            };
            let family = if k.starts_with("stack.") || k.starts_with("wanted.") {
                k.clone()
            } else {
                family
            };
            let ok = got.get(k).is_some_and(|g| same(k, w, g));
            let st = t.per_style.entry(l.style.clone()).or_default();
            st.1 += 1;
            st.0 += usize::from(ok);
            let e = t.per_key.entry(family).or_default();
            e.1 += 1;
            t.total += 1;
            if ok {
                e.0 += 1;
                t.right += 1;
            } else {
                misses.push(format!(
                    "  miss {k}: want {w}, read {}",
                    got.get(k).map_or("nothing".into(), |g| g.to_string())
                ));
            }
        }
        for (k, g) in &got {
            if !want.contains_key(k) {
                t.false_facts += 1;
                let family = k.clone();
                t.per_key.entry(family).or_default().2 += 1;
                misses.push(format!("  false {k}: read {g}"));
            }
        }
        if show == l.split && !misses.is_empty() {
            println!("{} {:?}\n{}", l.id, l.text, misses.join("\n"));
        }
    }
    for (split, t) in &tallies {
        println!(
            "{split}: {}/{} facts right ({:.1}%), {} false facts",
            t.right,
            t.total,
            t.pct(),
            t.false_facts
        );
        for (k, (r, n, f)) in &t.per_key {
            println!("  {k:<34} {r:>4}/{n:<4} false {f}");
        }
        let styles: Vec<String> = t
            .per_style
            .iter()
            .map(|(s, (r, n))| {
                format!(
                    "{s} {:.1}% ({r}/{n})",
                    100.0 * *r as f64 / (*n).max(1) as f64
                )
            })
            .collect();
        println!("  by style: {}", styles.join(", "));
    }
    let held = tallies.get("test").map_or(0.0, Tally::pct);
    let all_right: usize = tallies.values().map(|t| t.right).sum();
    let all_total: usize = tallies.values().map(|t| t.total).sum();
    println!(
        "held-out (test): {held:.1}% of facts right; whole corpus {:.1}%",
        100.0 * all_right as f64 / all_total.max(1) as f64
    );
    held
}
