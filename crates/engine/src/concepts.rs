//! Concept lookup: finds the one-shot answer a question asks for, by alias groups.

use crate::knowledge::{Concept, Knowledge};

/// Normalises text for alias matching: lowercase, punctuation to spaces (keeping `- / . +` inside
/// words), single spaces, padded with a space on each side.
pub fn normalise(s: &str) -> String {
    let lowered: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-/.+#".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = lowered
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| "-/.+#".contains(c) && c != '+' || c == '.'))
        .filter(|w| !w.is_empty())
        .collect();
    format!(" {} ", words.join(" "))
}

/// Finds the best concept for a question: every alias group must match; more groups win, then the
/// most matched text (the longest alias of each group, summed), then file order.
pub fn lookup<'k>(k: &'k Knowledge, text: &str) -> Option<&'k Concept> {
    let hay = normalise(text);
    let mut best: Option<(&Concept, usize, usize)> = None;
    for c in &k.concepts {
        let mut longest = 0;
        let mut all = true;
        for group in &c.normalised {
            let hit = group
                .iter()
                .filter(|a| !a.trim().is_empty() && hay.contains(a.as_str()))
                .map(|a| a.len())
                .max();
            match hit {
                Some(l) => longest += l,
                None => {
                    all = false;
                    break;
                }
            }
        }
        if !all {
            continue;
        }
        let score = (c.groups.len(), longest);
        if best.is_none_or(|(_, g, l)| score > (g, l)) {
            best = Some((c, score.0, score.1));
        }
    }
    best.map(|b| b.0)
}

/// Up to three concepts that share a word with the question, for the "I don't know" answer.
pub fn nearest<'k>(k: &'k Knowledge, text: &str) -> Vec<&'k Concept> {
    // Question words and words too generic to point at a topic ("platform" appears in many aliases).
    const STOP: &[&str] = &[
        "what",
        "whats",
        "the",
        "and",
        "for",
        "with",
        "how",
        "does",
        "our",
        "are",
        "you",
        "can",
        "why",
        "that",
        "this",
        "who",
        "when",
        "which",
        "use",
        "is",
        "do",
        "we",
        "it",
        "vs",
        "about",
        "explain",
        "tell",
        "platform",
        "platforms",
        "from",
        "into",
        "using",
        "work",
        "works",
        "mean",
        "means",
        "should",
        "would",
        "between",
    ];
    let hay = normalise(text);
    let words: Vec<&str> = hay
        .split_whitespace()
        .filter(|w| w.len() >= 3 && !STOP.contains(w))
        .collect();
    let mut scored: Vec<(usize, usize, &Concept)> = k
        .concepts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let aliases = normalise(
                &c.groups
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            let n = words
                .iter()
                .filter(|w| aliases.contains(&format!(" {w} ")))
                .count();
            (n, i, c)
        })
        .filter(|(n, _, _)| *n > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(3).map(|(_, _, c)| c).collect()
}

/// A short title for a concept: its first alias per group, joined by "vs".
pub fn title(c: &Concept) -> String {
    c.groups
        .iter()
        .filter_map(|g| g.first())
        .cloned()
        .collect::<Vec<_>>()
        .join(" vs ")
}
