//! Literal gates: which patterns can match where, found in one pass over the text.
//!
//! The reader runs many patterns segment by segment. Most of them cannot match most segments, and
//! starting a regex search costs more than the search itself on text this short. A gate is a set of
//! literals such that every match of its pattern contains one of them (the prefix literals of the
//! pattern or of a part every match must go through, taken from the pattern's syntax tree). One
//! Aho-Corasick pass over the message finds every occurrence of every gate's literals; a pattern then
//! runs only on the segments that hold one. The patterns themselves run exactly as before on those
//! segments, so what is read does not change: a gate only skips searches that cannot match.
//!
//! Patterns are matched case-insensitively. Literals come from the pattern read case-sensitively
//! and are looked for ignoring ASCII case, which finds every case variant a case-insensitive match
//! can use, except two characters outside ASCII that Unicode folds into ASCII letters (the Kelvin
//! sign, folded to `k`, and the long s, folded to `s`): a text holding either is read with every
//! gate open. A pattern whose literals are not all ASCII, or that has no usable literal, is never
//! gated.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_syntax::hir::literal::{Extractor, Seq};
use regex_syntax::hir::{Hir, HirKind};

/// Characters outside ASCII that case-insensitive matching takes as ASCII letters.
pub(crate) const FOLDS_TO_ASCII: [char; 2] = ['\u{212A}', '\u{17F}'];

/// The gate of one pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gate(u32);

impl Gate {
    /// A gate that is always open (the pattern always runs).
    pub(crate) const OPEN: Gate = Gate(u32::MAX);
}

/// Collects the gates while the patterns are compiled.
#[derive(Debug, Default)]
pub(crate) struct GateBuilder {
    literals: Vec<Vec<u8>>,
    /// For each literal, the gates it belongs to.
    owners: Vec<Vec<u32>>,
    gates: u32,
    /// The gates asked about by byte range ([`Found::may`]) rather than by segment.
    ranged: Vec<u32>,
}

impl GateBuilder {
    /// The gate of a pattern (without its `(?i)` prefix: the pattern as written, read
    /// case-sensitively). [`Gate::OPEN`] when no literal set bounds its matches.
    pub(crate) fn add(&mut self, pattern: &str) -> Gate {
        let Some(lits) = required(pattern) else {
            return Gate::OPEN;
        };

        let id = self.gates;
        self.gates += 1;
        for lit in lits {
            match self.literals.iter().position(|l| *l == lit) {
                Some(i) => {
                    if !self.owners[i].contains(&id) {
                        self.owners[i].push(id);
                    }
                }
                None => {
                    self.literals.push(lit);
                    self.owners.push(vec![id]);
                }
            }
        }
        Gate(id)
    }

    /// [`GateBuilder::add`], for a pattern asked about by byte range ([`Found::may`]).
    pub(crate) fn add_ranged(&mut self, pattern: &str) -> Gate {
        let g = self.add(pattern);
        if g != Gate::OPEN {
            self.ranged.push(g.0);
        }
        g
    }

    /// The compiled gates.
    pub(crate) fn build(self) -> Gates {
        let ac = if self.literals.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&self.literals)
                .ok()
        };
        // Without an automaton (it cannot fail on plain literals, but if it did) every gate is open.
        let ranged = self
            .owners
            .iter()
            .map(|o| {
                o.iter()
                    .copied()
                    .filter(|g| self.ranged.contains(g))
                    .collect()
            })
            .collect();
        Gates {
            ac,
            owners: self.owners,
            ranged,
            gates: self.gates as usize,
        }
    }
}

/// The compiled gates of a set of patterns.
#[derive(Debug, Clone)]
pub(crate) struct Gates {
    ac: Option<AhoCorasick>,
    owners: Vec<Vec<u32>>,
    /// For each literal, the ranged gates it belongs to.
    ranged: Vec<Vec<u32>>,
    gates: usize,
}

impl Gates {
    /// Finds every literal of every gate in `text`.
    pub(crate) fn scan(&self, text: &str) -> Found {
        let Some(ac) = &self.ac else {
            return Found::all_open();
        };
        if text.contains(FOLDS_TO_ASCII) {
            return Found::all_open();
        }
        let mut at = Vec::new();
        let mut ranged = Vec::new();
        let mut present = vec![false; self.gates];
        for m in ac.find_overlapping_iter(text) {
            let lit = m.pattern().as_usize();
            let (s, e) = (m.start() as u32, m.end() as u32);
            at.push((lit as u32, s, e));
            for &g in &self.owners[lit] {
                present[g as usize] = true;
            }
            for &g in &self.ranged[lit] {
                ranged.push((g, s, e));
            }
        }
        Found {
            open: false,
            at,
            ranged,
            present,
            masks: Vec::new(),
        }
    }
}

/// Where the gates' literals occur in one text.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Every gate is open (the text could not be scanned soundly).
    open: bool,
    /// (literal, start, end) of each occurrence.
    at: Vec<(u32, u32, u32)>,
    /// (gate, start, end) of each occurrence of a ranged gate's literal.
    ranged: Vec<(u32, u32, u32)>,
    /// For each gate, whether one of its literals occurs anywhere in the text.
    present: Vec<bool>,
    /// After [`Found::segments`]: for each gate, the segments holding one of its literals (bit i
    /// for segment i).
    masks: Vec<u64>,
}

impl Found {
    /// Every gate open: every pattern runs.
    pub(crate) fn all_open() -> Found {
        Found {
            open: true,
            at: Vec::new(),
            ranged: Vec::new(),
            present: Vec::new(),
            masks: Vec::new(),
        }
    }

    /// False only when the pattern behind `gate` (added with [`GateBuilder::add_ranged`]) cannot
    /// match inside `text[start..end]`.
    pub(crate) fn may(&self, gate: Gate, start: usize, end: usize) -> bool {
        if self.open || gate == Gate::OPEN {
            return true;
        }
        self.ranged
            .iter()
            .any(|&(g, s, e)| g == gate.0 && start <= s as usize && e as usize <= end)
    }

    /// Files the occurrences under the segments (sorted, disjoint byte ranges) that hold them, for
    /// [`Found::may_in`].
    pub(crate) fn segments(&mut self, gates: &Gates, segs: &[(usize, usize)]) {
        if self.open {
            return;
        }
        if segs.len() > 64 {
            self.open = true;
            return;
        }
        let mut masks = vec![0u64; gates.gates];
        for &(lit, s, e) in &self.at {
            let i = segs.partition_point(|&(a, _)| a <= s as usize);
            let Some(&(_, end)) = i.checked_sub(1).and_then(|i| segs.get(i)) else {
                continue;
            };
            if e as usize <= end {
                for &g in &gates.owners[lit as usize] {
                    masks[g as usize] |= 1 << (i - 1);
                }
            }
        }
        self.masks = masks;
    }

    /// False only when the pattern behind `gate` cannot match anywhere in the text scanned.
    pub(crate) fn anywhere(&self, gate: Gate) -> bool {
        self.open || gate == Gate::OPEN || self.present.get(gate.0 as usize).is_none_or(|&p| p)
    }

    /// After [`Found::segments`]: false only when the pattern behind `gate` cannot match inside
    /// segment `i`.
    pub(crate) fn may_in(&self, gate: Gate, i: usize) -> bool {
        if self.open || gate == Gate::OPEN {
            return true;
        }
        self.masks
            .get(gate.0 as usize)
            .is_none_or(|m| i >= 64 || m & (1 << i) != 0)
    }
}

/// A set of literals, lower-cased ASCII, such that every match of `pattern` contains one of them;
/// `None` when there is no useful one.
pub(crate) fn required(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    required_in(&hir)
}

/// The best literal set every match of `hir` contains: its prefix literals, or those of a part
/// every match goes through, or for an alternation the union of its branches' sets.
fn required_in(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut sets: Vec<Vec<Vec<u8>>> = Vec::new();
    if let Some(set) = usable(&Extractor::new().extract(hir)) {
        sets.push(set);
    }
    match hir.kind() {
        HirKind::Concat(parts) => sets.extend(parts.iter().filter_map(required_in)),
        HirKind::Capture(c) => sets.extend(required_in(&c.sub)),
        HirKind::Repetition(r) if r.min >= 1 => sets.extend(required_in(&r.sub)),
        HirKind::Alternation(branches) => {
            let each: Option<Vec<Vec<Vec<u8>>>> = branches.iter().map(required_in).collect();
            if let Some(each) = each {
                sets.push(minimal(each.into_iter().flatten().collect()));
            }
        }
        _ => {}
    }
    // The longest shortest literal wins (fewer chance hits), then the fewest literals.
    sets.into_iter().max_by(|a, b| {
        let key = |s: &Vec<Vec<u8>>| {
            let min = s.iter().map(Vec::len).min().unwrap_or(0).min(5);
            (min, std::cmp::Reverse(s.len()))
        };
        key(a).cmp(&key(b))
    })
}

/// A finite literal sequence as a gate's literal set: `None` when it is infinite, empty, or holds
/// the empty string or a literal outside ASCII.
fn usable(seq: &Seq) -> Option<Vec<Vec<u8>>> {
    let lits = seq.literals()?;
    if lits.is_empty() {
        return None;
    }
    let bytes: Vec<&[u8]> = lits.iter().map(|l| l.as_bytes()).collect();
    if bytes.iter().any(|b| b.is_empty() || !b.is_ascii()) {
        return None;
    }
    Some(minimal(
        bytes.iter().map(|b| b.to_ascii_lowercase()).collect(),
    ))
}

/// Sorted, without duplicates, and without a literal that holds a shorter one ("teams" always
/// holds "team").
fn minimal(mut all: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    all.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
    all.dedup();
    let mut set: Vec<Vec<u8>> = Vec::new();
    for l in all {
        if !set.iter().any(|k| contains(&l, k)) {
            set.push(l);
        }
    }
    set.sort();
    set
}

/// True when `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn lits(p: &str) -> Option<Vec<String>> {
        required(p).map(|v| {
            v.into_iter()
                .map(|b| String::from_utf8(b).expect("ascii"))
                .collect()
        })
    }

    #[test]
    fn only_two_characters_outside_ascii_fold_into_ascii_letters() {
        // The gates look for literals ignoring ASCII case; this is sound only if no other character
        // matches an ASCII letter case-insensitively.
        let re = Regex::new("(?i)^[a-z]$").expect("regex");
        let folded: Vec<char> = (0x80..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| re.is_match(c.encode_utf8(&mut [0; 4])))
            .collect();
        assert_eq!(folded, {
            let mut f = FOLDS_TO_ASCII.to_vec();
            f.sort();
            f
        });
    }

    #[test]
    fn the_required_part_with_the_longest_literals_is_chosen() {
        // A count starts with a number (no literal: \d is every Unicode digit), then the noun.
        assert_eq!(
            lits(r"(?:about\s+)?\d+\s+(?:app\s+)?(?:teams?|squads?)\b"),
            Some(vec!["squad".into(), "team".into()])
        );
        assert_eq!(
            lits(r"\b(?:Argo ?CD|flux)\b"),
            Some(vec!["argo cd".into(), "argocd".into(), "flux".into()])
        );
        // An alternation: each branch's own set.
        assert_eq!(
            lits(r"\d+ (?:aws )?accounts|one account per team"),
            Some(vec!["accounts".into(), "one account per team".into()])
        );
        assert_eq!(
            lits(r"\d+ accounts|per-team (?:aws )?acct"),
            Some(vec![" accounts".into(), "per-team ".into()])
        );
        // Nothing every match must contain.
        assert_eq!(lits(r"\w+|x"), None);
        assert_eq!(lits(r"(?:foo)?"), None);
        // Literals outside ASCII are not gated.
        assert_eq!(lits(r"→|->"), None);
    }

    #[test]
    fn a_gate_opens_only_where_its_literals_are() {
        let mut b = GateBuilder::default();
        let teams = b.add_ranged(r"\d+\s+(?:teams?|squads?)\b");
        let never = b.add_ranged(r"\w+");
        let gates = b.build();
        let text = "We have 12 TEAMS. No squads here.";
        let mut found = gates.scan(text);
        assert!(found.may(teams, 0, 17));
        assert!(found.may(teams, 18, text.len()));
        assert!(!found.may(teams, 0, 10));
        // A literal that runs past the end of the range does not open it.
        assert!(!found.may(teams, 0, 14));
        assert!(found.may(never, 0, 1));
        // By segment.
        found.segments(&gates, &[(0, 10), (11, 14), (18, text.len())]);
        assert!(!found.may_in(teams, 0));
        assert!(!found.may_in(teams, 1));
        assert!(found.may_in(teams, 2));
        assert!(found.may_in(never, 0));
        // The Kelvin sign matches k case-insensitively: such a text opens every gate.
        let mut b2 = gates.scan("12 \u{212A}ubernetes teams");
        assert!(b2.may(teams, 0, 1));
        b2.segments(&gates, &[(0, 1)]);
        assert!(b2.may_in(teams, 0));
    }

    #[test]
    fn gated_searches_find_what_ungated_ones_find() {
        // Every pattern of the reader, on every segment of a few texts: where the gate is shut the
        // pattern finds nothing (the corpus tests check the same on every message).
        let pats = [
            r"(?:about\s+)?\d+\s+(?:app\s+)?(?:teams?|squads?)\b",
            r"\bno (?:shared|common) (?:nodes?|clusters?)\b",
            r"(?m)^\s*(?:none|n/?a)\s*$",
            r"\b(?:dev|staging|prod(?:uction)?)\b",
        ];
        let mut b = GateBuilder::default();
        let gated: Vec<(Regex, Gate)> = pats
            .iter()
            .map(|p| {
                (
                    Regex::new(&format!("(?i){p}")).expect("regex"),
                    b.add_ranged(p),
                )
            })
            .collect();
        let gates = b.build();
        for text in [
            "About 12 App Teams, no SHARED nodes. dev -> Staging -> PROD",
            "none\nN/A\n3 squads",
            "nothing here at all",
        ] {
            let found = gates.scan(text);
            for s in 0..=text.len() {
                for e in s..=text.len() {
                    if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
                        continue;
                    }
                    let mut by_seg = found.clone();
                    by_seg.segments(&gates, &[(s, e)]);
                    for (re, g) in &gated {
                        if re.is_match(&text[s..e]) {
                            assert!(found.may(*g, s, e), "{re} in {:?}", &text[s..e]);
                            assert!(by_seg.may_in(*g, 0), "{re} in {:?}", &text[s..e]);
                        }
                    }
                }
            }
        }
    }
}
