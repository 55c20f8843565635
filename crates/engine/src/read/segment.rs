//! Segmenting: a message is cut into lines, numbered answers, labelled segments and sentences before
//! any fact is read, so that each piece is read for what it answers.

use regex::Regex;

use super::gate::{Found, Gate};

/// What a segment answers, decided by its label or its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Unlabelled prose.
    Prose,
    /// Consumer teams.
    Teams,
    /// The top pain.
    Pain,
    /// First capabilities.
    First,
    /// The existing stack.
    Stack,
    /// Tools wanted or considered.
    Wanted,
    /// Constraints.
    Constraints,
    /// Environments.
    Environments,
    /// Accounts.
    Accounts,
    /// Clusters.
    Clusters,
    /// Tenancy.
    Tenancy,
    /// Engineers.
    Engineers,
    /// External tenants (a bare number counts them).
    Tenants,
}

impl Kind {
    /// Parses a kind name from config.
    pub fn from_id(id: &str) -> Option<Kind> {
        Some(match id {
            "teams" => Kind::Teams,
            "pain" => Kind::Pain,
            "first" => Kind::First,
            "stack" => Kind::Stack,
            "wanted" => Kind::Wanted,
            "constraints" => Kind::Constraints,
            "environments" => Kind::Environments,
            "accounts" => Kind::Accounts,
            "clusters" => Kind::Clusters,
            "tenancy" => Kind::Tenancy,
            "engineers" => Kind::Engineers,
            "tenants" => Kind::Tenants,
            _ => return None,
        })
    }
}

/// One piece of a message, read on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// What it answers.
    pub kind: Kind,
    /// The label kind of the segment this one continues (a later sentence after "first: ...").
    pub after: Option<Kind>,
    /// True when a label in the text (not the answer's number) decided the kind.
    pub by_label: bool,
    /// Byte range of the text (label excluded) in the message.
    pub start: usize,
    /// End of the range.
    pub end: usize,
}

/// The compiled segmenting patterns.
#[derive(Debug, Clone)]
pub struct Segmenter {
    /// Label matcher (no capture groups).
    pub(crate) label: Regex,
    /// The label matcher's literal gate.
    pub(crate) label_gate: Gate,
    /// Each kind with the label pattern of its words alone, anchored at both ends: the first that
    /// matches all of a label match is its kind.
    pub(crate) label_kinds: Vec<(Regex, Kind)>,
    /// What comes before the label words in a match (punctuation, a bullet, "and", "**").
    pub(crate) label_head: Regex,
    /// A match that ends in "is" or "are" rather than a colon ("CI is slow").
    pub(crate) label_is: Regex,
    pub(crate) numbered: Regex,
    pub(crate) inline_numbered: Regex,
    pub(crate) sentence_end: Regex,
    pub(crate) order: Vec<Kind>,
    /// Label words that need a colon: with "is" they are prose ("CI is slow").
    pub(crate) colon_only: Regex,
}

impl Segmenter {
    /// Cuts `text` into segments, in order.
    pub fn segments(&self, text: &str) -> Vec<Segment> {
        self.split(text, None)
    }

    /// [`Segmenter::segments`], looking for labels only where `found` says one may be.
    pub(crate) fn split(&self, text: &str, found: Option<&Found>) -> Vec<Segment> {
        let mut out = Vec::new();
        // A label alone on a line ("Stack:") carries over to the following lines until a blank line.
        let mut carried: Option<Kind> = None;
        let mut offset = 0;
        for line in text.split('\n') {
            let start = offset;
            offset += line.len() + 1;
            if line.trim().is_empty() {
                carried = None;
                continue;
            }
            // A heading alone on its line without a colon ("Pain", "**First golden paths**") labels
            // the following lines, as "Pain:" would.
            if let Some(kind) = self.heading(line) {
                carried = Some(kind);
                continue;
            }
            // Numbered answers: "1. ...", "2) ...", possibly several on one line.
            let parts = self.numbered_parts(line);
            if parts.is_empty() {
                self.labelled(
                    text,
                    (start, start + line.len()),
                    carried,
                    found,
                    &mut out,
                    &mut carried,
                );
            } else {
                let first = parts[0].2;
                // "Priorities in order: 1) preview envs, 2) databases": after a label, the numbers
                // are items of that label, not the answers to the grouped questions.
                let mut items_of = None;
                if first > 0 {
                    items_of = self.list_heading(&line[..first]);
                    self.labelled(
                        text,
                        (start, start + first),
                        carried,
                        found,
                        &mut out,
                        &mut items_of,
                    );
                }
                // An answer ends where the next one's number starts ("2) manual deploys 3) ship":
                // the "3)" is not part of answer 2).
                for (i, &(n, s, _)) in parts.iter().enumerate() {
                    let e = parts.get(i + 1).map_or(line.len(), |p| p.2.max(s));
                    let kind = items_of.or_else(|| self.order.get(n - 1).copied());
                    let mut c = None;
                    self.labelled(text, (start + s, start + e), kind, found, &mut out, &mut c);
                }
                carried = None;
            }
        }
        out
    }

    /// The kind named by the words before a numbered list on its line ("Priorities in order:",
    /// "Asks (ranked):").
    fn list_heading(&self, prefix: &str) -> Option<Kind> {
        let t = prefix.trim().trim_end_matches([':', '-', '>']).trim_end();
        let lower = t.to_ascii_lowercase();
        let t = [
            "in order",
            "in priority order",
            "in that order",
            "by priority",
            "ranked",
            "(ranked)",
            "(in order)",
            "ordered",
        ]
        .iter()
        .find_map(|q| lower.strip_suffix(q))
        .map_or(t, |rest| &t[..rest.len()]);
        self.heading(t.trim_end_matches([',', ' ']))
    }

    /// The kind of a line that is nothing but a label word without its colon (at most four words, no
    /// digits, no colon of its own).
    fn heading(&self, line: &str) -> Option<Kind> {
        let t = line
            .trim()
            .trim_matches(|c: char| matches!(c, '*' | '_' | '#'));
        let t = t.trim();
        if t.is_empty()
            || t.contains(':')
            || t.split_whitespace().count() > 4
            || t.chars().any(|c| c.is_ascii_digit())
        {
            return None;
        }
        let probe = format!("{t}:");
        let m = self.label.find(&probe)?;
        if (m.start(), m.end()) != (0, probe.len()) {
            return None;
        }
        self.kind_of(m.as_str())
    }

    /// The kind a label match names: the first kind whose own pattern matches all of it.
    fn kind_of(&self, matched: &str) -> Option<Kind> {
        self.label_kinds
            .iter()
            .find(|(re, _)| re.is_match(matched))
            .map(|&(_, k)| k)
    }

    /// The numbered answers in a line: (number, byte offset of the answer text, byte offset of its
    /// number).
    fn numbered_parts(&self, line: &str) -> Vec<(usize, usize, usize)> {
        if let Some(c) = self.numbered.captures(line) {
            let raw = c.name("n").or(c.name("qn")).map_or("", |m| m.as_str());
            let n: usize = match raw.chars().next() {
                Some(l @ 'a'..='e') => l as usize - 'a' as usize + 1,
                Some(l @ 'A'..='E') => l as usize - 'A' as usize + 1,
                Some(d) => d.to_digit(10).map_or(0, |d| d as usize),
                None => 0,
            };
            let body = c.get(0).map_or(0, |m| m.end());
            if (1..=self.order.len()).contains(&n) {
                let mut parts = vec![(n, body, 0)];
                // Further answers on the same line: "1) x 2) y".
                let mut want = n + 1;
                for c in self.inline_numbered.captures_iter(&line[body..]) {
                    let k: usize = number(&c);
                    if k == want {
                        let m = c.get(0).expect("match");
                        parts.push((k, body + m.end(), body + m.start()));
                        want += 1;
                    }
                }
                return parts;
            }
        }
        // Five short answers in the order asked, on one line: "14 teams / manual deploys / ship
        // svc + scaffold / gha, tf / none" (after an optional "answers in order:").
        for sep in [" / ", "; ", " | "] {
            // The words before a colon, if any, must say these are answers ("short answers:").
            let body = match line.find(':') {
                Some(i) if line[..i].split_whitespace().count() <= 4 => {
                    let head = line[..i].to_ascii_lowercase();
                    if !["answer", "order", "q1", "short", "quick", "tl;dr", "tldr"]
                        .iter()
                        .any(|w| head.contains(w))
                    {
                        continue;
                    }
                    i + 1
                }
                _ => 0,
            };
            let pieces: Vec<&str> = line[body..].split(sep).collect();
            // The first answer counts teams.
            let counts = pieces
                .first()
                .is_some_and(|p| p.chars().any(|c| c.is_ascii_digit()));
            if counts
                && pieces.len() == self.order.len()
                && pieces
                    .iter()
                    .all(|p| !p.trim().is_empty() && p.split_whitespace().count() <= 10)
            {
                let mut at = body;
                let mut parts = Vec::new();
                for (k, p) in pieces.iter().enumerate() {
                    parts.push((k + 1, at, at));
                    at += p.len() + sep.len();
                }
                return parts;
            }
        }
        // A chain "1) x 2) y 3) z" that does not start the line.
        let mut parts = Vec::new();
        let mut want = 1;
        for c in self.inline_numbered.captures_iter(line) {
            let k: usize = number(&c);
            if k == want {
                let m = c.get(0).expect("match");
                parts.push((k, m.end(), m.start()));
                want += 1;
            }
        }
        if parts.len() >= 2 {
            parts
        } else {
            Vec::new()
        }
    }

    /// Splits `text[s..e]` at labels, then each piece at sentences.
    fn labelled(
        &self,
        text: &str,
        (s, e): (usize, usize),
        default: Option<Kind>,
        found: Option<&Found>,
        out: &mut Vec<Segment>,
        carried: &mut Option<Kind>,
    ) {
        let piece = &text[s..e];
        let mut cuts: Vec<(usize, usize, Kind)> = Vec::new();
        let labels = found
            .is_none_or(|f| f.may(self.label_gate, s, e))
            .then(|| self.label.find_iter(piece));
        for m in labels.into_iter().flatten() {
            let Some(kind) = self.kind_of(m.as_str()) else {
                continue;
            };
            let head = self.label_head.find(m.as_str()).map_or(0, |h| h.end());
            // "CI is slow": a colon-only label word followed by "is" is prose, not a label.
            if let Some(is) = self.label_is.find(m.as_str()) {
                let lab = m.as_str().get(head..is.start()).unwrap_or("");
                if self.colon_only.is_match(lab.trim()) {
                    continue;
                }
            }
            cuts.push((m.start() + head, m.end(), kind));
        }
        let mut pos = 0;
        let mut kind = default;
        let mut by_label = false;
        for (lab, body, k) in cuts
            .iter()
            .copied()
            .chain([(piece.len(), piece.len(), Kind::Prose)])
        {
            if lab > pos {
                let before = out.len();
                self.sentences(text, s + pos, s + lab, kind, out);
                for seg in &mut out[before..] {
                    seg.by_label = by_label;
                }
            }
            kind = Some(k);
            by_label = true;
            pos = body;
        }
        // A label with nothing after it on its line labels the following lines.
        match cuts.last() {
            Some(&(_, body, k)) if piece[body..].trim().is_empty() => *carried = Some(k),
            _ if cuts.is_empty() => {}
            _ => *carried = None,
        }
    }

    /// Splits `text[s..e]` into sentences; the first keeps `kind`, later ones continue it.
    fn sentences(
        &self,
        text: &str,
        s: usize,
        e: usize,
        kind: Option<Kind>,
        out: &mut Vec<Segment>,
    ) {
        let piece = &text[s..e];
        let mut pos = 0;
        let mut first = true;
        let ends: Vec<usize> = self
            .sentence_end
            .find_iter(piece)
            .filter(|m| !abbreviation(&piece[..m.start()]))
            .map(|m| m.end())
            .chain([piece.len()])
            .collect();
        for end in ends {
            if end <= pos {
                continue;
            }
            let t = &piece[pos..end];
            if !t.trim().is_empty() {
                let (k, after) = match (kind, first) {
                    (Some(k), true) => (k, None),
                    (Some(Kind::Prose), false) | (None, _) => (Kind::Prose, None),
                    (Some(k), false) => (Kind::Prose, Some(k)),
                };
                let lead = t.len() - t.trim_start().len();
                let trail = t.len() - t.trim_end().len();
                out.push(Segment {
                    kind: k,
                    after,
                    by_label: false,
                    start: s + pos + lead,
                    end: s + end - trail,
                });
                first = false;
            }
            pos = end;
        }
    }
}

/// True when the text before a full stop ends with an abbreviation or a number ("e.g.", "v1.").
fn abbreviation(before: &str) -> bool {
    let w = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        w.as_str(),
        "e.g" | "i.e" | "etc" | "vs" | "approx" | "ca" | "incl" | "e" | "i" | "mr" | "dr" | "no"
    )
}

/// The number of a chained answer ("2)", "q2").
fn number(c: &regex::Captures) -> usize {
    c.name("n")
        .or(c.name("qn"))
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0)
}
