//! A small model of how each routing mode is phrased: naive Bayes over the words and word pairs of
//! the routing corpus's tuning half, shipped as data (`config/routing-model.tsv`, written by
//! `cargo run -p pavebot-engine --example train_router`). Deterministic, no IO.
//!
//! The rules decide; the model overrides them only when it is all but certain of another mode (a
//! posterior at or above the file's `threshold`, chosen by cross-validation on the tuning half), and
//! the explanation names the words that weighed most for the mode it chose.

use std::collections::HashMap;

use crate::error::LoadError;
use crate::state::Mode;

const FILE: &str = "config/routing-model.tsv";

/// The trained model.
#[derive(Debug, Clone)]
pub struct Phrasing {
    modes: Vec<Mode>,
    log_prior: Vec<f64>,
    /// Log-likelihood of each token per mode, in `modes` order.
    tokens: HashMap<String, Vec<f64>>,
    /// The posterior at or above which the model overrides the rules.
    pub threshold: f64,
}

/// The tokens of a text: lower-case words (letters and digits, with `'+#./-` inside) and adjacent
/// word pairs (`a_b`), sorted and without repeats.
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in lower.chars() {
        let start = c.is_ascii_lowercase() || c.is_ascii_digit();
        let inner = start || matches!(c, '\'' | '+' | '#' | '.' | '/' | '-');
        if (cur.is_empty() && start) || (!cur.is_empty() && inner) {
            cur.push(c);
        } else if !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut out: Vec<String> = words
        .windows(2)
        .map(|w| format!("{}_{}", w[0], w[1]))
        .collect();
    out.extend(words);
    out.sort();
    out.dedup();
    out
}

/// Counts per mode, as the trainer gathers them and the file stores them.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// The modes, in column order.
    pub modes: Vec<Mode>,
    /// Utterances per mode.
    pub docs: Vec<u32>,
    /// Utterances per mode that contain each token.
    pub tokens: std::collections::BTreeMap<String, Vec<u32>>,
}

impl Counts {
    /// Adds one labelled utterance.
    pub fn add(&mut self, mode: Mode, text: &str) {
        let i = match self.modes.iter().position(|m| *m == mode) {
            Some(i) => i,
            None => {
                self.modes.push(mode);
                self.docs.push(0);
                for v in self.tokens.values_mut() {
                    v.push(0);
                }
                self.modes.len() - 1
            }
        };
        self.docs[i] += 1;
        let n = self.modes.len();
        for t in tokens(text) {
            let v = self.tokens.entry(t).or_insert_with(|| vec![0; n]);
            v[i] += 1;
        }
    }

    /// Drops tokens seen in at most `min` utterances in all.
    pub fn prune(&mut self, min: u32) {
        self.tokens.retain(|_, v| v.iter().sum::<u32>() > min);
    }

    /// The file form (see `config/routing-model.tsv`).
    pub fn to_tsv(&self, threshold: f64, header: &str) -> String {
        let mut s = String::new();
        for l in header.lines() {
            s.push_str(&format!("# {l}\n"));
        }
        s.push_str(&format!("@threshold\t{threshold}\n"));
        s.push_str("@modes");
        for m in &self.modes {
            s.push('\t');
            s.push_str(m.id());
        }
        s.push_str("\n@docs");
        for d in &self.docs {
            s.push_str(&format!("\t{d}"));
        }
        s.push('\n');
        for (t, v) in &self.tokens {
            s.push_str(t);
            for c in v {
                s.push_str(&format!("\t{c}"));
            }
            s.push('\n');
        }
        s
    }

    /// The model these counts give.
    pub fn model(&self, threshold: f64) -> Phrasing {
        let n = self.modes.len();
        let total_docs: u32 = self.docs.iter().sum();
        let log_prior = self
            .docs
            .iter()
            .map(|d| (f64::from(*d) / f64::from(total_docs.max(1))).ln())
            .collect();
        let vocab = self.tokens.len() as f64;
        let mut per_mode = vec![0u32; n];
        for v in self.tokens.values() {
            for (i, c) in v.iter().enumerate() {
                per_mode[i] += c;
            }
        }
        let tokens = self
            .tokens
            .iter()
            .map(|(t, v)| {
                let ll = v
                    .iter()
                    .zip(&per_mode)
                    .map(|(c, tot)| ((f64::from(*c) + 0.5) / (f64::from(*tot) + 0.5 * vocab)).ln())
                    .collect();
                (t.clone(), ll)
            })
            .collect();
        Phrasing {
            modes: self.modes.clone(),
            log_prior,
            tokens,
            threshold,
        }
    }
}

impl Phrasing {
    /// The project's model, compiled in.
    pub const EMBEDDED: &'static str = include_str!("../../../config/routing-model.tsv");

    /// Reads the file form.
    pub fn parse(text: &str) -> Result<Phrasing, LoadError> {
        let err = |m: String| LoadError::new(FILE, m);
        let mut counts = Counts::default();
        let mut threshold = None;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut f = line.split('\t');
            let key = f.next().unwrap_or_default();
            let rest: Vec<&str> = f.collect();
            match key {
                "@threshold" => {
                    let t: f64 = rest
                        .first()
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| err(format!("line {}: threshold is not a number", n + 1)))?;
                    if !(0.5..=1.0).contains(&t) {
                        return Err(err(format!("threshold {t} is outside 0.5..1")));
                    }
                    threshold = Some(t);
                }
                "@modes" => {
                    for id in &rest {
                        counts.modes.push(
                            Mode::from_id(id).ok_or_else(|| err(format!("unknown mode {id:?}")))?,
                        );
                    }
                }
                _ => {
                    if counts.modes.is_empty() {
                        return Err(err(format!("line {}: `@modes` must come first", n + 1)));
                    }
                    if rest.len() != counts.modes.len() {
                        return Err(err(format!(
                            "line {}: {} counts for {} modes",
                            n + 1,
                            rest.len(),
                            counts.modes.len()
                        )));
                    }
                    let v = rest
                        .iter()
                        .map(|c| c.parse::<u32>())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| err(format!("line {}: {e}", n + 1)))?;
                    if key == "@docs" {
                        counts.docs = v;
                    } else {
                        counts.tokens.insert(key.to_string(), v);
                    }
                }
            }
        }
        if counts.docs.len() != counts.modes.len() || counts.docs.contains(&0) {
            return Err(err("`@docs` needs a count above zero for every mode".into()));
        }
        let threshold = threshold.ok_or_else(|| err("no @threshold line".into()))?;
        Ok(counts.model(threshold))
    }

    /// The posterior of each mode for a text, highest first (ties in file order).
    pub fn posterior(&self, text: &str) -> Vec<(Mode, f64)> {
        let mut score = self.log_prior.clone();
        for t in tokens(text) {
            if let Some(ll) = self.tokens.get(&t) {
                for (s, l) in score.iter_mut().zip(ll) {
                    *s += l;
                }
            }
        }
        let max = score.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = score.iter().map(|s| (s - max).exp()).sum();
        let mut out: Vec<(Mode, f64)> = self
            .modes
            .iter()
            .zip(&score)
            .map(|(m, s)| (*m, (s - max).exp() / z))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }

    /// The mode the model is all but certain of, when it is at or above the threshold.
    pub fn certain(&self, text: &str) -> Option<(Mode, f64)> {
        self.posterior(text)
            .first()
            .copied()
            .filter(|(_, p)| *p >= self.threshold)
    }

    /// The words of `text` that weigh most for `mode` against the other modes (at most `n`).
    pub fn strongest(&self, text: &str, mode: Mode, n: usize) -> Vec<String> {
        let Some(i) = self.modes.iter().position(|m| *m == mode) else {
            return vec![];
        };
        let mut scored: Vec<(f64, String)> = tokens(text)
            .into_iter()
            .filter_map(|t| {
                let ll = self.tokens.get(&t)?;
                let others = ll
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, l)| *l)
                    .fold(f64::NEG_INFINITY, f64::max);
                let gain = ll[i] - others;
                (gain > 0.0).then(|| (gain, t.replace('_', " ")))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        scored.into_iter().take(n).map(|(_, t)| t).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_words_and_pairs() {
        assert_eq!(
            tokens("Set up Backstage, please!"),
            vec![
                "backstage",
                "backstage_please",
                "please",
                "set",
                "set_up",
                "up",
                "up_backstage"
            ]
        );
        assert!(tokens("").is_empty());
    }

    #[test]
    fn a_model_learns_which_words_belong_to_which_mode() {
        let mut c = Counts::default();
        for t in [
            "set up backstage",
            "a developer portal",
            "portal with a catalog",
        ] {
            c.add(Mode::Portal, t);
        }
        for t in [
            "canary releases",
            "progressive delivery with argo rollouts",
            "canary",
        ] {
            c.add(Mode::Delivery, t);
        }
        let m = c.model(0.9);
        assert_eq!(m.posterior("a portal and a catalog")[0].0, Mode::Portal);
        assert_eq!(m.posterior("canary rollouts")[0].0, Mode::Delivery);
        assert_eq!(m.strongest("canary rollouts", Mode::Delivery, 1).len(), 1);
        let back = Phrasing::parse(&c.to_tsv(0.9, "test")).expect("round trip");
        assert_eq!(
            back.posterior("canary rollouts")[0].0,
            m.posterior("canary rollouts")[0].0
        );
    }

    #[test]
    fn a_broken_model_file_is_refused() {
        assert!(Phrasing::parse("@threshold\t2\n@modes\tportal\n@docs\t1\n").is_err());
        assert!(Phrasing::parse("@modes\tnope\n").is_err());
        assert!(Phrasing::parse("@threshold\t0.9\n@modes\tportal\n@docs\t1\nx\t1\t2\n").is_err());
        assert!(Phrasing::parse("@threshold\t0.9\n@modes\tportal\n@docs\t1\ndocs\t1\n").is_ok());
        assert!(Phrasing::parse(Phrasing::EMBEDDED).is_ok());
    }
}
