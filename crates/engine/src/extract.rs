//! Phase 1 as slot filling: turns free text into recognised items for the five inputs.
//!
//! The patterns are data (`config/extract.toml`). A message can answer several inputs at once: in
//! prose ("30 app teams, everything is a jira ticket, we run argo cd"), as labelled lines
//! ("pain: snowflake pipelines"), or as a numbered list answering the grouped question in order.
//! "none", "nothing yet" and the like are answers, not gaps.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use super::state::{Item, Slot, Source};
use crate::error::LoadError;
use crate::read::gate::{Found, Gate, GateBuilder, Gates};
use crate::read::when;

/// One thing recognised in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The input it answers.
    pub slot: Slot,
    /// Fact id or `<slot>:text`.
    pub key: String,
    /// Display label.
    pub label: String,
    /// A negated mention ("we are not air-gapped").
    pub negated: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactFile {
    id: String,
    slot: String,
    label: String,
    re: String,
    /// Optional: the specifics named in the text, shown after the label ("compliance (PCI, SOC 2)").
    #[serde(default)]
    detail: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NothingFile {
    key: String,
    label: String,
    re: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractFile {
    labels: BTreeMap<String, Vec<String>>,
    nothing: BTreeMap<String, NothingFile>,
    fact: Vec<FactFile>,
}

#[derive(Debug, Clone)]
struct Fact {
    slot: Slot,
    key: String,
    label: String,
    re: Regex,
    /// The literal gate of `re` (see [`crate::read::gate`]): closed, the pattern cannot match.
    gate: Gate,
    detail: Option<Regex>,
}

impl Fact {
    /// The label, followed by the specifics the text names ("compliance (PCI-DSS, SOC 2)").
    fn detailed_label(&self, text: &str) -> String {
        let Some(d) = &self.detail else {
            return self.label.clone();
        };
        let mut named: Vec<String> = Vec::new();
        for m in d.find_iter(text) {
            let n = tidy(m.as_str()).to_uppercase();
            if !n.is_empty() && !named.contains(&n) {
                named.push(n);
            }
        }
        if named.is_empty() {
            self.label.clone()
        } else {
            format!("{} ({})", self.label, named.join(", "))
        }
    }
}

/// The compiled extractors.
#[derive(Debug, Clone)]
pub struct Extractor {
    facts: Vec<Fact>,
    gates: Gates,
    labels: Vec<(Slot, Regex)>,
    nothing: Vec<(Slot, String, String, Regex)>,
    negation: Regex,
    numbered: Regex,
    team_count: Regex,
    people_count: Regex,
    /// The literal gates of `team_count` and `people_count`.
    count_gates: (Gate, Gate),
}

const NUMBER_WORDS: &str = r"~?\d+\+?|a few|a couple of|several|a dozen|dozens of|hundreds of|many|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty|a hundred";

impl Extractor {
    /// Parses and compiles `config/extract.toml` text.
    pub fn parse(text: &str) -> Result<Extractor, LoadError> {
        let file_name = "config/extract.toml";
        let err = |m: String| LoadError::new(file_name, m);
        let file: ExtractFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let slot = |s: &str| Slot::from_id(s).ok_or_else(|| err(format!("unknown slot {s:?}")));
        let re = |p: &str, what: &str| {
            Regex::new(&format!("(?i){p}")).map_err(|e| err(format!("{what}: {e}")))
        };
        let mut facts = Vec::new();
        let mut gates = GateBuilder::default();
        for f in &file.fact {
            facts.push(Fact {
                slot: slot(&f.slot)?,
                key: f.id.clone(),
                label: f.label.clone(),
                re: re(&f.re, &f.id)?,
                gate: gates.add(&f.re),
                detail: f
                    .detail
                    .as_deref()
                    .map(|d| re(d, &format!("{} detail", f.id)))
                    .transpose()?,
            });
        }
        let team_count = format!(
            r"(?P<n>{NUMBER_WORDS})\s+(?:(?P<kind>[a-z][\w.+#/-]*)\s+)?(?:teams|squads|team)\b"
        );
        let people_count = format!(
            r"(?P<n>{NUMBER_WORDS})\s+(?:(?P<kind>[a-z][\w.+#/-]*)\s+)?(?:devs|developers|engineers|people)\b"
        );
        let count_gates = (gates.add(&team_count), gates.add(&people_count));
        let gates = gates.build();
        let mut labels = Vec::new();
        for (s, words) in &file.labels {
            let pattern = format!(
                r"^\s*[-*•]?\s*(?:\*\*)?(?:{})(?:\*\*)?\s*[:=]\s*(?P<v>.*)$",
                words.join("|")
            );
            labels.push((slot(s)?, re(&pattern, s)?));
        }
        let mut nothing = Vec::new();
        for (s, n) in &file.nothing {
            nothing.push((slot(s)?, n.key.clone(), n.label.clone(), re(&n.re, s)?));
        }
        Ok(Extractor {
            facts,
            gates,
            labels,
            nothing,
            negation: re(
                r"\b(no|not|don'?t|do not|doesn'?t|without|never|aren'?t|isn'?t|nor|w/o|neither)\b(\s+[\w'-]+){0,2}\s*$",
                "negation",
            )?,
            numbered: re(
                r"^\s*(?:#|q)?(?P<n>[1-5])\s*[.):\-]\s*(?P<v>.+)$",
                "numbered",
            )?,
            team_count: re(&team_count, "team count")?,
            people_count: re(&people_count, "people count")?,
            count_gates,
        })
    }

    /// Facts named anywhere in `text` (prose), plus team counts.
    pub fn scan(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        // One literal pass says which facts can match; only those are searched.
        let found = self.gates.scan(text);
        for fact in &self.facts {
            if !found.anywhere(fact.gate) {
                continue;
            }
            let Some(m) = fact.re.find(text) else {
                continue;
            };
            let before = &text[..m.start()];
            let line_start = before
                .rfind(['\n', '.', ';', ','])
                .map(|p| p + 1)
                .unwrap_or(0);
            let negated = self.negation.is_match(&before[line_start..]);
            hits.push(Hit {
                slot: fact.slot,
                key: fact.key.clone(),
                label: fact.detailed_label(text),
                negated,
            });
        }
        self.counts(text, &found, &mut hits);
        hits
    }

    fn counts(&self, text: &str, found: &Found, hits: &mut Vec<Hit>) {
        let mut app = Vec::new();
        let teams = found.anywhere(self.count_gates.0);
        for c in when(teams, || self.team_count.captures_iter(text)) {
            let n = c.name("n").map_or("", |m| m.as_str());
            let kind = c.name("kind").map_or("", |m| m.as_str()).to_lowercase();
            let label = tidy(c.get(0).map_or("", |m| m.as_str()));
            match kind.as_str() {
                "ml" | "ai" | "ds" | "genai" | "science" | "mlops" => {
                    replace(hits, Slot::ConsumerTeams, "consumers:ml", &label)
                }
                "data" => replace(hits, Slot::ConsumerTeams, "consumers:data", &label),
                "platform" | "sre" | "ops" | "infra" | "of" => {}
                _ if n.is_empty() => {}
                _ => app.push(label),
            }
        }
        if app.is_empty() && found.anywhere(self.count_gates.1) {
            if let Some(c) = self.people_count.captures(text) {
                app.push(tidy(c.get(0).map_or("", |m| m.as_str())));
            }
        }
        if !app.is_empty() {
            replace(hits, Slot::ConsumerTeams, "consumers:app", &app.join(" + "));
        }
    }

    /// The part of a message that says what the person wants: labelled answer lines ("pain: ...") and
    /// numbered answers are Phase 1 facts, not the request, so routing ignores them. A message made of
    /// nothing else is returned whole.
    pub fn request_part(&self, text: &str) -> String {
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| {
                !self.numbered.is_match(l) && !self.labels.iter().any(|(_, re)| re.is_match(l))
            })
            .collect();
        if kept.iter().all(|l| l.trim().is_empty()) {
            text.to_string()
        } else {
            kept.join("\n")
        }
    }

    /// Extracts everything a message (or document) says. `asked` is the order of the last grouped
    /// question, for numbered answers.
    pub fn extract(&self, text: &str, asked: &[Slot]) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut prose = String::new();
        for line in text.lines() {
            // Cheap tests first: a numbered answer starts with its number ("#", "q" or a digit
            // first), a labelled one holds ":" or "=".
            let numbered = line
                .trim_start()
                .starts_with(|c: char| matches!(c, '#' | 'q' | 'Q' | '1'..='5'));
            let labelled = line.contains([':', '=']);
            let target = if let Some(c) = numbered.then(|| self.numbered.captures(line)).flatten() {
                let n: usize = c["n"].parse().unwrap_or(0);
                asked
                    .get(n.wrapping_sub(1))
                    .map(|s| (*s, c["v"].to_string()))
            } else if labelled {
                self.labels
                    .iter()
                    .find_map(|(slot, re)| re.captures(line).map(|c| (*slot, c["v"].to_string())))
            } else {
                None
            };
            match target {
                Some((slot, value)) => self.answer(slot, &value, &mut hits),
                None => {
                    prose.push_str(line);
                    prose.push('\n');
                }
            }
        }
        for h in self.scan(&prose) {
            push(&mut hits, h);
        }
        let alone = prose.split_whitespace().count() <= 3;
        // "none" on its own answers the open question it can only mean; in prose it needs its own
        // words ("no constraints", "nothing yet for tooling").
        let only = |slot: Slot| {
            let fits: Vec<Slot> = self
                .nothing
                .iter()
                .filter(|(s, _, _, re)| asked.contains(s) && re.is_match(prose.trim()))
                .map(|(s, ..)| *s)
                .collect();
            fits == [slot]
        };
        // A bare "none" among comma-separated answers ("12 teams, we pay for Port, none") answers the
        // one open question nothing else answered.
        let open: Vec<Slot> = asked
            .iter()
            .copied()
            .filter(|s| !hits.iter().any(|h| h.slot == *s && !h.negated))
            .collect();
        if !alone && open.len() == 1 {
            let bare = prose
                .split([',', ';', '\n'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .any(|p| p.split_whitespace().count() <= 2 && self.is_nothing(open[0], p));
            if bare {
                if let Some((slot, key, label, _)) = self.nothing.iter().find(|n| n.0 == open[0]) {
                    replace(&mut hits, *slot, key, label);
                }
            }
        }
        for (slot, key, label, re) in &self.nothing {
            if re.is_match(prose.trim())
                && !hits.iter().any(|h| h.slot == *slot && !h.negated)
                && (!alone || only(*slot))
            {
                replace(&mut hits, *slot, key, label);
            }
        }
        hits
    }

    /// True when `text` is a "nothing" answer for `slot` ("none", "nothing yet").
    fn is_nothing(&self, slot: Slot, text: &str) -> bool {
        self.nothing
            .iter()
            .any(|(s, _, _, re)| *s == slot && re.is_match(text))
    }

    /// Takes `value` as the answer to `slot`: recognised facts, "none"-words, or free text.
    pub fn answer(&self, slot: Slot, value: &str, hits: &mut Vec<Hit>) {
        let found = self.scan(value);
        let own = found.iter().any(|h| h.slot == slot);
        for h in found {
            push(hits, h);
        }
        if own {
            return;
        }
        if let Some((_, key, label, _)) = self
            .nothing
            .iter()
            .find(|(s, _, _, re)| *s == slot && re.is_match(value))
        {
            replace(hits, slot, key, label);
            return;
        }
        let text = tidy(value);
        if !text.is_empty() {
            replace(hits, slot, &format!("{}:text", slot.id()), &text);
        }
    }
}

fn push(hits: &mut Vec<Hit>, h: Hit) {
    if let Some(old) = hits.iter_mut().find(|x| x.key == h.key) {
        *old = h;
    } else {
        hits.push(h);
    }
}

/// Records a positive hit for `key` (replacing an earlier hit with the same key).
fn replace(hits: &mut Vec<Hit>, slot: Slot, key: &str, label: &str) {
    push(
        hits,
        Hit {
            slot,
            key: key.to_string(),
            label: label.to_string(),
            negated: false,
        },
    );
}

/// Collapses whitespace and bounds the length of a value taken from user text.
pub fn tidy(s: &str) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let joined = words.join(" ");
    let trimmed =
        joined.trim_matches(|c: char| c == '.' || c == ',' || c == ';' || c.is_whitespace());
    if trimmed.chars().count() > 160 {
        let mut t: String = trimmed.chars().take(157).collect();
        t.push('…');
        t
    } else {
        trimmed.to_string()
    }
}

/// A change one answer made to the inputs, for the diff echo ("existing stack: Argo CD → Flux").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The input.
    pub slot: Slot,
    /// Labels before.
    pub before: Vec<String>,
    /// Labels after.
    pub after: Vec<String>,
}

/// Applies hits to the inputs. Returns what changed, slot by slot.
pub fn apply(inputs: &mut BTreeMap<Slot, Vec<Item>>, hits: &[Hit], source: &Source) -> Vec<Change> {
    let before: BTreeMap<Slot, Vec<String>> = inputs
        .iter()
        .map(|(s, items)| (*s, items.iter().map(|i| i.label.clone()).collect()))
        .collect();
    for h in hits {
        let items = inputs.entry(h.slot).or_default();
        if h.negated {
            // A negated tool mention says nothing; a negated constraint removes it.
            if h.slot != Slot::ExistingStack {
                items.retain(|i| i.key != h.key);
            }
            continue;
        }
        let prefix = h.key.split(':').next().unwrap_or("");
        let none_key = match h.slot {
            Slot::ExistingStack => Some("stack:none"),
            Slot::Constraints => Some("constraint:none"),
            Slot::TopPain => Some("pain:other"),
            _ => None,
        };
        let text_key = format!("{}:text", h.slot.id());
        if Some(h.key.as_str()) == none_key {
            items.clear();
        } else {
            items.retain(|i| Some(i.key.as_str()) != none_key);
            if h.slot == Slot::ExistingStack && prefix != "stack" {
                items.retain(|i| !i.key.starts_with(&format!("{prefix}:")));
            }
            if h.key != text_key && h.slot != Slot::FirstCapabilities {
                // A recognised answer supersedes an earlier free-text one.
                items.retain(|i| i.key != text_key);
            }
        }
        let item = Item {
            key: h.key.clone(),
            label: h.label.clone(),
            source: source.clone(),
        };
        match items.iter_mut().find(|i| i.key == h.key) {
            Some(old) => *old = item,
            None => items.push(item),
        }
    }
    inputs.retain(|_, items| !items.is_empty());
    let mut changes = Vec::new();
    for slot in Slot::ALL {
        let b = before.get(&slot).cloned().unwrap_or_default();
        let a: Vec<String> = inputs
            .get(&slot)
            .map(|v| v.iter().map(|i| i.label.clone()).collect())
            .unwrap_or_default();
        if a != b {
            changes.push(Change {
                slot,
                before: b,
                after: a,
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex() -> Extractor {
        Extractor::parse(include_str!("../../../config/extract.toml")).unwrap()
    }

    fn keys(h: &[Hit]) -> Vec<&str> {
        h.iter()
            .filter(|h| !h.negated)
            .map(|h| h.key.as_str())
            .collect()
    }

    #[test]
    fn prose_fills_several_inputs() {
        let h = ex().extract("we have 30 app teams, everything is jira tickets, we run argo cd + terraform and we're air gapped", &[]);
        let k = keys(&h);
        for want in [
            "consumers:app",
            "pain:tickets",
            "gitops:argocd",
            "iac:terraform",
            "constraint:airgapped",
        ] {
            assert!(k.contains(&want), "{want} missing from {k:?}");
        }
        assert!(h.iter().any(|x| x.label == "30 app teams"));
    }

    #[test]
    fn numbered_answers_follow_the_question_order() {
        let asked = [Slot::TopPain, Slot::Constraints];
        let h = ex().extract("1. devs wait on stuff forever\n2) none", &asked);
        assert!(h
            .iter()
            .any(|x| x.slot == Slot::TopPain && x.key == "top_pain:text"));
        assert!(h.iter().any(|x| x.key == "constraint:none"));
    }

    #[test]
    fn negation_removes_a_constraint() {
        let h = ex().scan("we are not air-gapped");
        assert!(h
            .iter()
            .any(|x| x.key == "constraint:airgapped" && x.negated));
    }

    #[test]
    fn correction_replaces_same_category() {
        let mut inputs = BTreeMap::new();
        let e = ex();
        apply(
            &mut inputs,
            &e.extract("we use argo cd", &[]),
            &Source::Message,
        );
        let ch = apply(
            &mut inputs,
            &e.extract("actually we use flux", &[]),
            &Source::Message,
        );
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].before, vec!["Argo CD (GitOps)"]);
        assert_eq!(ch[0].after, vec!["Flux (GitOps)"]);
    }

    #[test]
    fn port_counts_only_as_a_named_tool() {
        let e = ex();
        assert!(keys(&e.extract("stack: flux, port, crossplane", &[])).contains(&"portal:port"));
        assert!(keys(&e.extract("we pay for port.io", &[])).contains(&"portal:port"));
        assert!(!keys(&e.extract("our api listens on port 8080", &[])).contains(&"portal:port"));
        assert!(!keys(&e.extract("port forwarding is painful", &[])).contains(&"portal:port"));
    }
}
