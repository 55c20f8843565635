//! Spelling: a misspelled domain word ("enviroments", "acount", "Terrafom", "data sicence") is read
//! as the word it was meant to be, before any pattern runs.
//!
//! The words come from `config/reading.toml` (`[spelling] words`). A word of the message is corrected
//! when it is at least `min_len` letters long, is not a listed word itself nor a `keep` word (ordinary
//! English words one edit away from a listed word: "staying" is not "staging"), and exactly one listed
//! word is one edit away (a letter dropped, added, changed, or two neighbours swapped). The lookup is
//! a deletion index (every listed word with one letter taken out), so a message costs a few hash
//! lookups per long word.
//!
//! The corrected text is what the reader reads; [`Fixed::original`] maps a span of it back to the
//! team's own words, so a restated pain keeps the spelling the team used.

use std::collections::{HashMap, HashSet};

/// The compiled word list.
#[derive(Debug, Clone, Default)]
pub(super) struct Speller {
    words: Vec<String>,
    known: HashSet<String>,
    /// A listed word, and each of its one-letter deletions, to the listed words it comes from.
    index: HashMap<String, Vec<u32>>,
    min_len: usize,
}

/// One corrected word: its span in the corrected text and in the original.
#[derive(Debug, Clone, Copy)]
struct Edit {
    fixed: (usize, usize),
    original: (usize, usize),
}

/// A corrected message.
#[derive(Debug)]
pub(super) struct Fixed {
    pub text: String,
    edits: Vec<Edit>,
}

impl Fixed {
    /// The original text behind `fixed[start..end]` (a corrected word inside maps to its original
    /// spelling).
    pub fn original<'a>(&self, original: &'a str, start: usize, end: usize) -> &'a str {
        let s = self.map(start, false);
        let e = self.map(end, true);
        original.get(s..e.max(s)).unwrap_or("")
    }

    fn map(&self, pos: usize, end: bool) -> usize {
        let mut shift: isize = 0;
        for e in &self.edits {
            if pos >= e.fixed.1 {
                shift = e.original.1 as isize - e.fixed.1 as isize;
            } else if pos > e.fixed.0 || (end && pos == e.fixed.1) {
                return if end { e.original.1 } else { e.original.0 };
            } else {
                break;
            }
        }
        pos.saturating_add_signed(shift)
    }
}

fn deletions(w: &str) -> impl Iterator<Item = String> + '_ {
    w.char_indices().map(move |(i, c)| {
        let mut s = String::with_capacity(w.len());
        s.push_str(&w[..i]);
        s.push_str(&w[i + c.len_utf8()..]);
        s
    })
}

/// Optimal string alignment distance is at most one (one insertion, deletion, substitution or swap
/// of neighbours).
fn one_edit(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match a.len() as isize - b.len() as isize {
        0 => {
            let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            diff.len() == 1
                || (diff.len() == 2
                    && diff[1] == diff[0] + 1
                    && a[diff[0]] == b[diff[1]]
                    && a[diff[1]] == b[diff[0]])
        }
        1 | -1 => {
            let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
            let i = (0..short.len())
                .find(|&i| long[i] != short[i])
                .unwrap_or(short.len());
            long[i + 1..] == short[i..]
        }
        _ => false,
    }
}

impl Speller {
    pub fn new(words: &[String], keep: &[String], min_len: usize) -> Speller {
        let mut sp = Speller {
            min_len,
            ..Speller::default()
        };
        for w in words {
            let w = w.to_lowercase();
            if !sp.known.insert(w.clone()) {
                continue;
            }
            let n = u32::try_from(sp.words.len()).unwrap_or(u32::MAX);
            sp.index.entry(w.clone()).or_default().push(n);
            for d in deletions(&w) {
                let e = sp.index.entry(d).or_default();
                if !e.contains(&n) {
                    e.push(n);
                }
            }
            sp.words.push(w);
        }
        sp.known.extend(keep.iter().map(|k| k.to_lowercase()));
        sp
    }

    /// The one listed word `w` (lower case) is a misspelling of, if any.
    fn correct(&self, w: &str) -> Option<&str> {
        if w.len() < self.min_len || self.known.contains(w) {
            return None;
        }
        // A listed word with an ending ("integrations", "deployer") is that word, not a misspelling.
        let inflected = ["s", "es", "ed", "er", "ers", "ing", "ly"]
            .iter()
            .any(|end| {
                w.strip_suffix(end)
                    .is_some_and(|stem| self.known.contains(stem))
            });
        if inflected {
            return None;
        }
        let mut found: Option<u32> = None;
        let mut consider = |ids: &[u32]| -> bool {
            for &id in ids {
                if found == Some(id) {
                    continue;
                }
                if !one_edit(self.words[id as usize].as_bytes(), w.as_bytes()) {
                    continue;
                }
                if found.is_some() {
                    return false;
                }
                found = Some(id);
            }
            true
        };
        // A listed word with a letter dropped is the word (an added letter), the word is a listed
        // word with one dropped (a missing letter), or both drop one (a changed or swapped letter).
        if let Some(ids) = self.index.get(w) {
            if !consider(ids) {
                return None;
            }
        }
        for d in deletions(w) {
            if let Some(ids) = self.index.get(&d) {
                if !consider(ids) {
                    return None;
                }
            }
        }
        found.map(|id| self.words[id as usize].as_str())
    }

    /// The text with its misspelled words corrected, or `None` when nothing needed correcting.
    pub fn fix(&self, text: &str) -> Option<Fixed> {
        if self.words.is_empty() {
            return None;
        }
        let mut out: Option<Fixed> = None;
        let mut copied = 0;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_alphabetic() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            // Words glued to digits or other scripts ("k8s", "café") are left alone.
            let glued = |b: u8| b.is_ascii_digit() || b >= 0x80 || b == b'_';
            if (start > 0 && glued(bytes[start - 1])) || (i < bytes.len() && glued(bytes[i])) {
                continue;
            }
            let word = &text[start..i];
            if word.len() < self.min_len {
                continue;
            }
            let lower = word.to_ascii_lowercase();
            let Some(right) = self.correct(&lower) else {
                continue;
            };
            let f = out.get_or_insert_with(|| Fixed {
                text: String::with_capacity(text.len() + 8),
                edits: Vec::new(),
            });
            f.text.push_str(&text[copied..start]);
            let from = f.text.len();
            if word.bytes().all(|b| b.is_ascii_uppercase()) {
                f.text.push_str(&right.to_ascii_uppercase());
            } else if word.as_bytes()[0].is_ascii_uppercase() {
                f.text
                    .push(right.as_bytes()[0].to_ascii_uppercase() as char);
                f.text.push_str(&right[1..]);
            } else {
                f.text.push_str(right);
            }
            f.edits.push(Edit {
                fixed: (from, f.text.len()),
                original: (start, i),
            });
            copied = i;
        }
        if let Some(f) = &mut out {
            f.text.push_str(&text[copied..]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speller() -> Speller {
        let w = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        Speller::new(
            &w("environments engineers staging account science terraform"),
            &w("staying"),
            6,
        )
    }

    #[test]
    fn corrects_one_edit_and_keeps_the_rest() {
        let sp = speller();
        let f = sp
            .fix("Three enviroments, 40 enginers, Terrafom; staying on stagign")
            .expect("corrected");
        assert_eq!(
            f.text,
            "Three environments, 40 engineers, Terraform; staying on staging"
        );
        // Swapped neighbours count as one edit; short words and kept words are never touched.
        assert_eq!(sp.fix("data sicence").unwrap().text, "data science");
        assert!(sp.fix("staying put, one acct").is_none());
        assert!(sp.fix("k8s terrafom2 café").is_none());
        // An ending on a listed word is not a misspelling of a neighbour.
        assert!(sp.fix("two stagings, the accounted").is_none());
    }

    #[test]
    fn maps_spans_back_to_the_original() {
        let sp = speller();
        let orig = "the enviroments are a mess, ask the enginers";
        let f = sp.fix(orig).expect("corrected");
        let at = f.text.find("are").unwrap();
        assert_eq!(
            f.original(orig, at, f.text.len()),
            "are a mess, ask the enginers"
        );
        assert_eq!(f.original(orig, 0, at - 1), "the enviroments");
        let e = f.text.find("environments").unwrap();
        assert_eq!(f.original(orig, e, e + "environments".len()), "enviroments");
    }

    #[test]
    fn an_ambiguous_word_is_left_alone() {
        let w = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        let sp = Speller::new(&w("planner planter"), &[], 6);
        assert!(sp.fix("a plannter").is_none());
        assert_eq!(sp.fix("a plannerr").unwrap().text, "a planner");
    }
}
