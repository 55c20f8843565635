//! Reading facts out of segments.

use std::collections::BTreeMap;

use super::gate::Found;
use super::segment::{Kind, Segment};
use super::spell;
use super::{ahead, back, when};
use super::{Cue, Pat, Reader};
use crate::profile::{AccountModel, Category, Constraint, Fact, Profile, TeamKind};
use crate::state::Source;

/// A tool named in the text.
#[derive(Debug, Clone, Copy)]
struct Mention {
    tool: usize,
    start: usize,
    end: usize,
    bare: bool,
}

/// A cue found in the text.
#[derive(Debug, Clone, Copy)]
struct CueHit {
    cue: Cue,
    start: usize,
    end: usize,
}

/// What a mention says about a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Have,
    Want,
    Absent,
}

/// Everything found in the whole text once, shared by the segment readers.
struct Scan<'t> {
    /// The message with misspelled domain words corrected: what the patterns read.
    text: &'t str,
    /// The message as the team wrote it, and the corrections that map one to the other.
    original: &'t str,
    fixed: Option<&'t spell::Fixed>,
    segs: Vec<Segment>,
    cues: Vec<CueHit>,
    breaks: Vec<(usize, usize)>,
    /// Nouns the message says its tenants are ("tenants = hospitals"), lower case.
    aliases: Vec<String>,
    /// Words that end a negation before what it would negate ("no compliance besides PCI").
    stops: &'t regex::Regex,
    /// Where the patterns' literals are: a pattern runs only on segments that hold one.
    found: Found,
}

/// True when `[a, b)` overlaps a span already read.
fn overlaps(covered: &[(usize, usize)], a: usize, b: usize) -> bool {
    covered.iter().any(|&(x, y)| a < y && x < b)
}

/// Keeps the larger of a team count read before and `n`.
fn team_max(teams: &mut BTreeMap<TeamKind, u32>, kind: TeamKind, n: u32) {
    let e = teams.entry(kind).or_insert(0);
    *e = (*e).max(n);
}

/// Keeps the larger of a count read before and `n`.
fn keep_max(slot: &mut Option<u32>, n: u32) {
    *slot = Some(slot.map_or(n, |e| e.max(n)));
}

/// Keeps the account model that ranks first (the readers are in rank order: per tenant first).
fn prefer(best: &mut Option<(usize, AccountModel)>, rank: usize, model: AccountModel) {
    if best.is_none_or(|(r, _)| rank < r) {
        *best = Some((rank, model));
    }
}

/// The items of a plain list of one-word names ("dev, playtest -> live"), lower case, when the whole
/// text is such a list of two names or more.
fn plain_list(t: &str) -> Option<Vec<String>> {
    let lower = t.to_lowercase();
    let mut items = Vec::new();
    for part in lower.split([',', '/', '→', '>', ';', '+', '|']) {
        for item in part.split(" then ").flat_map(|x| x.split(" and ")) {
            let item = item
                .trim()
                .trim_matches(|c: char| !c.is_alphanumeric())
                .trim_start_matches("and ")
                .trim_start_matches("then ");
            if item.is_empty() {
                continue;
            }
            let ok = item.len() <= 12
                && item.chars().all(|c| c.is_alphanumeric() || c == '-')
                && item.chars().any(char::is_alphabetic);
            if !ok {
                return None;
            }
            items.push(item.to_string());
        }
    }
    (items.len() >= 2).then_some(items)
}

/// True when `word` is `noun` in the singular or the plural ("agency" / "agencies").
fn same_noun(word: &str, noun: &str) -> bool {
    let w = word.to_lowercase();
    let n = noun.to_lowercase();
    let stem = |s: &str| -> String {
        if let Some(b) = s.strip_suffix("ies") {
            format!("{b}y")
        } else if let Some(b) = s
            .strip_suffix("es")
            .filter(|b| b.ends_with(['s', 'x', 'h']))
        {
            b.to_string()
        } else {
            s.strip_suffix('s').unwrap_or(s).to_string()
        }
    };
    w.len() >= 3 && stem(&w) == stem(&n)
}

impl Reader {
    /// Where an account model stands among the account readers (their rank order).
    fn account_rank(&self, model: AccountModel) -> usize {
        self.accounts
            .iter()
            .position(|(m, _)| *m == model)
            .unwrap_or(self.accounts.len())
    }
}

impl Scan<'_> {
    /// The team's own words behind `text[start..end]` (their spelling, not the corrected one).
    fn own(&self, start: usize, end: usize) -> &str {
        match self.fixed {
            Some(f) => f.original(self.original, start, end),
            None => &self.text[start..end],
        }
    }

    /// False when `p` cannot match in the segment's text.
    fn may(&self, p: &Pat, seg: &Segment) -> bool {
        let i = self.segs.partition_point(|s| s.start < seg.start);
        self.found.may_in(p.gate, i)
    }

    /// True when `p` matches `t`, the segment's text (or a masked copy of it), its literal gate
    /// asked first.
    fn hit(&self, p: &Pat, seg: &Segment, t: &str) -> bool {
        self.may(p, seg) && p.is_match(t)
    }

    /// True when the two words of `n` stand near each other in `t` (the segment's text or a masked
    /// copy of it), not negated.
    fn near(&self, n: &super::Near, seg: &Segment, t: &str) -> bool {
        self.may(&n.first, seg)
            && n.find(t)
                .is_some_and(|at| !self.negated(seg, seg.start + at, 2))
    }

    /// Number of words between two offsets.
    fn words(&self, a: usize, b: usize) -> usize {
        if b <= a {
            return 0;
        }
        self.text[a..b].split_whitespace().count()
    }

    /// The clause around `pos` inside segment `seg`.
    fn clause(&self, seg: &Segment, pos: usize) -> (usize, usize) {
        let mut s = seg.start;
        let mut e = seg.end;
        for &(bs, be) in &self.breaks {
            if be <= pos && be > s && bs >= seg.start {
                s = be;
            }
            if bs >= pos && bs < e && be <= seg.end {
                e = bs;
            }
        }
        (s, e)
    }

    /// True when a negation cue stands within `window` words before `pos` in its clause.
    fn negated(&self, seg: &Segment, pos: usize, window: usize) -> bool {
        self.negations(seg, pos, window).any(|c| {
            !self.text[c.end..pos].contains([',', '('])
                && !self.stops.is_match(&self.text[c.end..pos])
        })
    }

    /// The negation cues in the clause of `pos`, before it and at most `window` words from it.
    fn negations(&self, seg: &Segment, pos: usize, window: usize) -> impl Iterator<Item = &CueHit> {
        let (cs, _) = self.clause(seg, pos);
        self.cues.iter().filter(move |c| {
            c.cue == Cue::Negate
                && c.start >= cs
                && c.end <= pos
                && self.words(c.end, pos) <= window
        })
    }

    /// True when a regime or requirement at `pos` is negated ("no SOC 2", "not PCI") rather than
    /// excepted: after "except", "other than" or "besides" a constraint is the one that applies
    /// ("no constraints except GDPR").
    fn constraint_negated(&self, seg: &Segment, pos: usize) -> bool {
        let excepted = self
            .negations(seg, pos, 2)
            .any(|c| self.stops.is_match(&self.text[c.start..c.end]));
        !excepted && self.negated(seg, pos, 2)
    }
}

impl Reader {
    /// Reads the facts in one message (or document) into a profile; every fact gets `source`.
    pub fn read(&self, original: &str, source: &Source) -> crate::profile::Profile {
        let fixed = self.speller.fix(original);
        let text = fixed.as_ref().map_or(original, |f| f.text.as_str());
        let mut found = self.gates.scan(text);
        let segs = self.segmenter.split(text, Some(&found));
        let spans: Vec<(usize, usize)> = segs.iter().map(|s| (s.start, s.end)).collect();
        found.segments(&self.gates, &spans);
        let mut cues: Vec<CueHit> = Vec::new();
        for (cue, re) in &self.cues {
            if !found.anywhere(re.gate) {
                continue;
            }
            for m in re.find_iter(text) {
                cues.push(CueHit {
                    cue: *cue,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        // Overlaps: the earlier start wins, then the longer, then negation over want over have.
        cues.sort_by_key(|c| (c.start, std::cmp::Reverse(c.end), c.cue as u8));
        let mut kept: Vec<CueHit> = Vec::new();
        for c in cues {
            if kept.last().is_some_and(|k| c.start < k.end) {
                continue;
            }
            kept.push(c);
        }
        let breaks = self
            .clause_breaks
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        let aliases = self
            .tenant_alias
            .iter()
            .filter(|re| found.anywhere(re.gate))
            .flat_map(|re| re.captures_iter(text))
            .filter_map(|c| c.name("noun").map(|m| m.as_str().to_lowercase()))
            .filter(|n| !self.team_nouns.is_match(n) && !self.alias_stop.is_match(n))
            .collect();
        let scan = Scan {
            text,
            original,
            fixed: fixed.as_ref(),
            segs,
            cues: kept,
            breaks,
            aliases,
            stops: &self.negation_stops,
            found,
        };
        let mut p = Profile::default();
        self.read_tools(&scan, source, &mut p);
        let cluster_per_env = self.read_counts(&scan, source, &mut p);
        self.read_environments(&scan, source, &mut p);
        if cluster_per_env {
            if let Some(envs) = &p.environments {
                let n = u32::try_from(envs.value.len()).unwrap_or(u32::MAX);
                p.clusters = Some(Fact::new(n, source.clone()));
            }
        }
        self.read_layout(&scan, source, &mut p);
        self.read_constraints(&scan, source, &mut p);
        self.read_capabilities(&scan, source, &mut p);
        self.read_pain(&scan, source, &mut p);
        p
    }

    fn read_tools(&self, scan: &Scan, source: &Source, p: &mut Profile) {
        let text = scan.text;
        let mut mentions: Vec<Mention> = Vec::new();
        for i in self.tool_set.matches(text).iter() {
            let t = &self.tools[i];
            for m in t.re.find_iter(text) {
                mentions.push(Mention {
                    tool: i,
                    start: m.start(),
                    end: m.end(),
                    bare: false,
                });
            }
            if let Some(b) = &t.bare {
                for m in b.find_iter(text) {
                    mentions.push(Mention {
                        tool: i,
                        start: m.start(),
                        end: m.end(),
                        bare: true,
                    });
                }
            }
        }
        // Overlaps: the longer mention wins ("argo rollouts" over "argo").
        mentions.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
        let mut kept: Vec<Mention> = Vec::new();
        for m in mentions {
            if kept.last().is_some_and(|k| m.start < k.end) {
                continue;
            }
            kept.push(m);
        }
        // A tool run today; one said to be the main one beats the others of its category.
        let mut stack: BTreeMap<Category, (u8, usize, String)> = BTreeMap::new();
        let mut wanted: BTreeMap<Category, (usize, String)> = BTreeMap::new();
        for (mi, m) in kept.iter().enumerate() {
            let Some(seg) = scan
                .segs
                .iter()
                .find(|s| s.start <= m.start && m.end <= s.end)
            else {
                continue;
            };
            if seg.kind == Kind::Pain && !self.cued(scan, seg, *m) {
                continue;
            }
            if m.bare && !self.tool_context(scan, seg, &kept, mi) {
                continue;
            }
            let status = self.status(scan, seg, &kept, mi);
            let tool = &self.tools[m.tool];
            match status {
                Status::Absent => {}
                Status::Have => {
                    // "keep Backstage", "Backstage (serious investment, keep)".
                    let (cs, ce) = scan.clause(seg, m.start);
                    let next = kept.get(mi + 1).map_or(seg.end, |n| n.start.min(seg.end));
                    let after = &text[m.end..next.max(m.end).min(ce.max(m.end))];
                    // "GitHub Actions (this is the main one now)".
                    let to = ahead(text, m.end, 50).min(next.max(m.end));
                    let near = &text[m.end..to.max(m.end)];
                    let near = near
                        .get(..near.find('\n').unwrap_or(near.len()))
                        .unwrap_or("");
                    let rank = u8::from(self.main_after.is_match(near));
                    let e = stack
                        .entry(tool.category)
                        .or_insert((rank, m.tool, tool.name.clone()));
                    if rank > e.0 {
                        *e = (rank, m.tool, tool.name.clone());
                    }
                    let before = &text[cs.min(m.start)..m.start];
                    if self.investment[0].is_match(before) || self.investment[1].is_match(after) {
                        p.constraints
                            .insert(Constraint::ExistingInvestment, source.clone());
                    }
                }
                Status::Want => {
                    // "Flux vs Argo, leaning Argo CD": the one they lean towards.
                    let (cs, _) = scan.clause(seg, m.start);
                    if self.leaning.is_match(&text[cs.min(m.start)..m.start]) {
                        wanted.insert(tool.category, (m.tool, tool.name.clone()));
                    } else {
                        wanted
                            .entry(tool.category)
                            .or_insert((m.tool, tool.name.clone()));
                    }
                }
            }
        }
        for (c, (_, _, name)) in stack {
            p.stack.insert(c, Fact::new(name, source.clone()));
        }
        for (c, (_, name)) in wanted {
            if p.runs(c) == Some(name.as_str()) {
                continue;
            }
            p.wanted.insert(c, Fact::new(name, source.clone()));
        }
        // Greenfield: "nothing yet", "from scratch", or a stack answer that says none.
        let green = scan.segs.iter().any(|s| {
            let t = &text[s.start..s.end];
            (s.kind == Kind::Stack && scan.hit(&self.nothing_answer, s, t))
                || (s.kind != Kind::Pain
                    && scan.may(&self.nothing_stack, s)
                    && self
                        .nothing_stack
                        .find(t)
                        .is_some_and(|m| !scan.negated(s, s.start + m.start(), 2)))
        });
        if green && p.stack.is_empty() {
            p.greenfield = Some(Fact::new(true, source.clone()));
        }
    }

    /// True when a have or want cue stands shortly before the mention in its clause (a tool named
    /// in a pain segment counts only then).
    fn cued(&self, scan: &Scan, seg: &Segment, m: Mention) -> bool {
        let (cs, _) = scan.clause(seg, m.start);
        scan.cues.iter().any(|c| {
            c.cue != Cue::Negate
                && c.start >= cs
                && c.end <= m.start
                && scan.words(c.end, m.start) <= 6
        })
    }

    /// True when a bare ordinary word ("port") is used as a tool name here.
    fn tool_context(&self, scan: &Scan, seg: &Segment, ms: &[Mention], i: usize) -> bool {
        let m = ms[i];
        let text = scan.text;
        if matches!(seg.kind, Kind::Stack | Kind::Wanted) {
            return true;
        }
        let capital = text[m.start..].starts_with(|c: char| c.is_uppercase());
        // (A labelled answer's first word is not a sentence start: "Want: Port, Argo CD".)
        let sentence_start = seg.kind != Kind::First && text[seg.start..m.start].trim().is_empty();
        if capital && !sentence_start {
            return true;
        }
        // Right after a cue ("use port", "want port").
        if scan.cues.iter().any(|c| {
            c.end <= m.start && c.cue != Cue::Negate && text[c.end..m.start].trim().is_empty()
        }) {
            return true;
        }
        // In a list of tools ("flux, port and crossplane").
        // (A parenthesis after a tool does not break the list: "Port (evaluating), Argo CD".)
        let listed = |a: usize, b: usize| {
            let mut gap = text[a..b].trim();
            if gap.starts_with('(') {
                if let Some(close) = gap.find(')') {
                    gap = gap[close + 1..].trim();
                }
            }
            matches!(gap, "," | "/" | "+" | "&" | "and" | "or" | ", and" | ", or")
        };
        (i > 0 && ms[i - 1].end <= m.start && listed(ms[i - 1].end, m.start))
            || (i + 1 < ms.len() && m.end <= ms[i + 1].start && listed(m.end, ms[i + 1].start))
    }

    /// Whether the team runs, wants or lacks the tool of mention `i`.
    fn status(&self, scan: &Scan, seg: &Segment, ms: &[Mention], i: usize) -> Status {
        let m = ms[i];
        let text = scan.text;
        let (cs, ce) = scan.clause(seg, m.start);
        let prev_tool_end = ms[..i]
            .iter()
            .rev()
            .find(|o| o.end <= m.start)
            .map_or(cs, |o| o.end.max(cs));
        let next_tool_start = ms[i + 1..].first().map_or(ce, |o| o.start.min(ce));
        let clause = &text[cs..ce];

        // Migration: "from X to Y".
        if self.migration.is_match(clause) {
            let before = &text[prev_tool_end.max(cs)..m.start];
            let last_word = before.trim_end().rsplit(' ').next().unwrap_or("");
            let last_two = {
                let t = before.trim_end();
                let mut it = t.rsplitn(3, ' ');
                let a = it.next().unwrap_or("");
                let b = it.next().unwrap_or("");
                format!("{b} {a}")
            };
            let is = |r: &regex::Regex, s: &str| {
                r.find(s)
                    .is_some_and(|x| x.as_str().len() == s.trim().len())
            };
            if is(&self.migration_to, last_word) && !scan.negated(seg, m.start, 1) {
                let done = self.migration_done.is_match(&text[cs..m.start]);
                return if done { Status::Have } else { Status::Want };
            }
            if is(&self.migration_from, last_word) || is(&self.migration_from, last_two.trim()) {
                return Status::Have;
            }
        }

        // The chain of cues before the mention, each within three words of the next, not across
        // another tool.
        let mut chain: Vec<CueHit> = Vec::new();
        let mut edge = m.start;
        for c in scan.cues.iter().rev() {
            if c.end > edge || c.start < cs {
                if c.start < cs {
                    break;
                }
                continue;
            }
            // A cue inside a parenthesis closed before the mention belongs to what the
            // parenthesis follows: "Backstage (pilot), Argo CD" does not make Argo CD wanted.
            if text[c.end..m.start].contains(')')
                && text[prev_tool_end.min(c.start)..c.start].contains('(')
            {
                continue;
            }
            // A migration ("moving to GitHub Actions") names one new tool: it does not reach
            // across it to the tools listed after it.
            if c.cue == Cue::Want
                && c.end <= prev_tool_end
                && prev_tool_end > cs
                && self.migration.is_match(&text[c.start..c.end])
            {
                break;
            }
            if c.end <= prev_tool_end && prev_tool_end > cs {
                // A cue before the previous tool reaches this one only through a plain list.
                let gap = text[prev_tool_end..m.start].trim();
                let words: Vec<&str> = gap
                    .split(|ch: char| ch == ',' || ch == '/' || ch.is_whitespace())
                    .filter(|w| !w.is_empty())
                    .collect();
                let joiner = |w: &str| {
                    matches!(
                        w,
                        "and"
                            | "or"
                            | "&"
                            | "+"
                            | "plus"
                            | "as"
                            | "well"
                            | "vs"
                            | "versus"
                            | "with"
                    )
                };
                let list = words.iter().all(|w| joiner(w))
                    || (words.len() <= 4
                        && (gap.ends_with(',') || words.last().is_some_and(|w| joiner(w))));
                if !list {
                    break;
                }
            }
            let gap = scan.words(c.end, edge);
            let limit = if chain.is_empty() { 6 } else { 3 };
            if gap > limit && !(chain.is_empty() && c.end <= prev_tool_end) {
                if chain.is_empty() {
                    // The nearest cue is far: only a have/want cue leading the clause still counts.
                    if c.cue != Cue::Negate {
                        chain.push(*c);
                    }
                }
                break;
            }
            chain.push(*c);
            edge = c.start;
        }
        let near_neg = chain.iter().any(|c| {
            c.cue == Cue::Negate
                && scan.words(c.end, m.start) <= self.negation_window
                && !text[c.end..m.start].contains([',', '('])
                && !self.negation_stops.is_match(&text[c.end..m.start])
        });
        if near_neg {
            return Status::Absent;
        }

        // Cues after the mention, before any other tool or cue.
        let after_end = scan
            .cues
            .iter()
            .find(|c| c.start >= m.end && c.start < next_tool_start)
            .map_or(next_tool_start, |c| c.start);
        let after = &text[m.end..next_tool_start.max(m.end)];
        let after_near = &text[m.end..after_end.max(m.end)];
        if self
            .negate_after
            .find(after_near)
            .is_some_and(|x| scan.words(m.end, m.end + x.start()) <= 3)
        {
            return Status::Absent;
        }
        if self
            .want_after
            .find(after)
            .is_some_and(|x| scan.words(m.end, m.end + x.start()) <= 6)
        {
            return Status::Want;
        }
        if chain.iter().any(|c| c.cue == Cue::Want) {
            return Status::Want;
        }
        if chain.iter().any(|c| c.cue == Cue::Have) {
            return Status::Have;
        }
        // A question about a tool asks for it.
        let sentence = &text[seg.start..seg.end];
        if sentence.trim_end().ends_with('?') {
            return Status::Want;
        }
        match seg.kind {
            Kind::Wanted | Kind::First => Status::Want,
            _ if seg.after == Some(Kind::Wanted) => Status::Want,
            _ => Status::Have,
        }
    }

    /// Reads counts, ML/data consumers and hiding Kubernetes; true when "one cluster" was said per
    /// environment (the count then follows the environments).
    fn read_counts(&self, scan: &Scan, source: &Source, p: &mut Profile) -> bool {
        let text = scan.text;
        let mut teams: BTreeMap<TeamKind, u32> = BTreeMap::new();
        let mut default_app: Option<u32> = None;
        let mut tenants: Option<u32> = None;
        let mut engineers: Option<u32> = None;
        // People counted in general ("a 150-person company"): the engineers only when no engineer
        // noun is counted.
        let mut people: Option<u32> = None;
        let mut clusters: Option<u32> = None;
        let mut ml_data: Option<bool> = None;
        // ML or data teams said to stay out of (or to be in) the platform.
        let (mut ml_in, mut ml_out) = (false, false);
        let mut hide: Option<bool> = None;
        // "devs are fine with k8s, no need to hide it".
        let mut hide_no = false;
        let mut labelled_tenants: Option<u32> = None;
        let mut cluster_per_env = false;
        // Cluster counts: said to be the total, without telling clusters apart, by what tells them
        // apart ("2 prod clusters", "1 management cluster"), and per something ("2 per region").
        let mut cl_total: Option<u32> = None;
        let mut cl_plain: Option<u32> = None;
        let mut cl_qual: BTreeMap<String, u32> = BTreeMap::new();
        let mut cl_dim: Option<(u32, String)> = None;
        // Nouns the message says its tenants are ("tenants = hospitals"): they count tenants too.
        let aliases = &scan.aliases;
        for seg in &scan.segs {
            let t = &text[seg.start..seg.end];
            let mut covered: Vec<(usize, usize)> = Vec::new();
            // The kind first, then its count: "the ML research group (two teams)", "platform team
            // is just one team", "Platform: 1 team".
            for c in when(scan.may(&self.team_paren, seg), || {
                self.team_paren.captures_iter(t)
            })
            .chain(when(scan.may(&self.team_kind_first, seg), || {
                self.team_kind_first.captures_iter(t)
            })) {
                let all = c.get(0).expect("match");
                if let (Some(n), Some(k)) = (self.number(&c["n"]), self.kind_of(&c["kind"])) {
                    team_max(&mut teams, k, n);
                    covered.push((all.start(), all.end()));
                }
            }
            // "28 app teams + 2 data": the kinds after the first count.
            for l in when(scan.may(&self.team_list_tail, seg), || {
                self.team_list_tail.find_iter(t)
            }) {
                if overlaps(&covered, l.start(), l.end()) {
                    continue;
                }
                let mut first = true;
                for c in self.team_pair.captures_iter(l.as_str()) {
                    if let (Some(n), Some(k)) = (self.number(&c["n"]), self.kind_of(&c["kind"])) {
                        team_max(&mut teams, k, n);
                        first = false;
                    }
                }
                // "50 teams, 4 ml": the first count, without a kind, is app teams.
                if first {
                    continue;
                }
                if let Some(c) = self.bare_number.captures(l.as_str()) {
                    let head = &l.as_str()[c.get(0).map_or(0, |m| m.end())..];
                    if self.team_nouns.is_match(head) {
                        if let Some(n) = self.number(&c["n"]) {
                            keep_max(&mut default_app, n);
                        }
                    }
                }
                covered.push((l.start(), l.end()));
            }
            // "5 teams (4 product, 1 data)": a total whose parts add up to it is those parts.
            for c in when(scan.may(&self.team_breakdown, seg), || {
                self.team_breakdown.captures_iter(t)
            }) {
                let (Some(total), Some(list)) = (self.number(&c["n"]), c.name("list")) else {
                    continue;
                };
                let parts: Vec<(u32, TeamKind)> = self
                    .team_pair
                    .captures_iter(list.as_str())
                    .filter_map(|p| Some((self.number(&p["n"])?, self.kind_of(&p["kind"])?)))
                    .collect();
                if parts.len() < 2 || parts.iter().map(|(n, _)| n).sum::<u32>() != total {
                    continue;
                }
                let mut sums: BTreeMap<TeamKind, u32> = BTreeMap::new();
                for (n, k) in parts {
                    *sums.entry(k).or_insert(0) += n;
                }
                for (k, n) in sums {
                    team_max(&mut teams, k, n);
                }
                let all = c.get(0).expect("match");
                covered.push((all.start(), all.end()));
            }
            // "ml 1", "data x1" beside other team counts.
            if seg.kind == Kind::Teams || scan.hit(&self.team_nouns_any, seg, t) {
                for c in self.team_kind_num.captures_iter(t) {
                    let all = c.get(0).expect("match");
                    if overlaps(&covered, all.start(), all.end()) {
                        continue;
                    }
                    if let (Some(n), Some(k)) = (self.number(&c["n"]), self.kind_of(&c["kind"])) {
                        if k == TeamKind::ExternalTenants {
                            continue;
                        }
                        team_max(&mut teams, k, n);
                        covered.push((all.start(), all.end()));
                    }
                }
            }
            // Lists: "12 app and 2 data teams".
            for l in when(scan.may(&self.team_list, seg), || {
                self.team_list.find_iter(t)
            }) {
                for c in self.team_pair.captures_iter(l.as_str()) {
                    let m = c.get(0).expect("match");
                    let (a, b) = (l.start() + m.start(), l.start() + m.end());
                    if overlaps(&covered, a, b) {
                        continue;
                    }
                    if let (Some(n), Some(k)) = (self.number(&c["n"]), self.kind_of(&c["kind"])) {
                        *teams.entry(k).or_insert(0) += n;
                    }
                }
                covered.push((l.start(), l.end()));
            }
            for c in when(scan.may(&self.team_count, seg), || {
                self.team_count.captures_iter(t)
            }) {
                let all = c.get(0).expect("match");
                if overlaps(&covered, all.start(), all.end()) {
                    continue;
                }
                if scan.negated(seg, seg.start + all.start(), 2) {
                    if let Some(k) = c.name("kind").and_then(|k| self.kind_of(k.as_str())) {
                        if matches!(k, TeamKind::Ml | TeamKind::Data) {
                            ml_data.get_or_insert(false);
                        }
                    }
                    continue;
                }
                if self.team_not_after.is_match(&t[all.end()..]) {
                    continue;
                }
                // "1 account per team" counts accounts, not teams.
                if ["pre", "adj"].iter().any(|g| {
                    c.name(g)
                        .is_some_and(|p| p.as_str().eq_ignore_ascii_case("per"))
                }) {
                    continue;
                }
                let raw = &c["n"];
                // "a 5-person platform team" is one team's size.
                if self
                    .people_after
                    .is_match(&t[c.name("n").map_or(0, |m| m.end())..])
                {
                    continue;
                }
                let Some(n) = self.number(raw) else { continue };
                let article = matches!(raw.to_lowercase().as_str(), "a" | "an" | "single");
                let kind = ["kind", "adj", "pre", "of", "post"]
                    .iter()
                    .find_map(|g| c.name(g).and_then(|k| self.kind_of(k.as_str())));
                let kind = match kind {
                    Some(k) => k,
                    None if article => continue,
                    None => {
                        keep_max(&mut default_app, n);
                        covered.push((all.start(), all.end()));
                        continue;
                    }
                };
                if article && kind == TeamKind::Platform {
                    continue;
                }
                team_max(&mut teams, kind, n);
                covered.push((all.start(), all.end()));
            }
            for c in when(scan.may(&self.tenant_count, seg), || {
                self.tenant_count.captures_iter(t)
            })
            .chain(when(t.contains('('), || self.tenant_paren.captures_iter(t)))
            {
                let all = c.get(0).expect("match");
                if overlaps(&covered, all.start(), all.end()) {
                    continue;
                }
                let raw = &c["n"];
                if matches!(raw.to_lowercase().as_str(), "a" | "an" | "one" | "single") {
                    continue;
                }
                if let Some(n) = self.number(raw) {
                    keep_max(&mut tenants, n);
                }
            }
            if !aliases.is_empty() {
                for c in self.bare_number.captures_iter(t) {
                    let m = c.get(0).expect("match");
                    let counted = t[m.end()..]
                        .split(|ch: char| !ch.is_alphanumeric() && ch != '-')
                        .filter(|w| !w.is_empty())
                        .take(3)
                        .any(|w| aliases.iter().any(|a| same_noun(w, a)));
                    if counted {
                        if let Some(n) = self.number(&c["n"]).filter(|n| *n > 1) {
                            keep_max(&mut tenants, n);
                        }
                    }
                }
            }
            for c in when(scan.may(&self.team_of, seg), || {
                self.team_of.captures_iter(t)
            })
            .chain(when(scan.may(&self.team_reverse, seg), || {
                self.team_reverse.captures_iter(t)
            })) {
                let all = c.get(0).expect("match");
                if overlaps(&covered, all.start(), all.end()) {
                    continue;
                }
                let Some(n) = c.name("n").and_then(|n| self.number(n.as_str())) else {
                    continue;
                };
                // "the platform team (4 of us)", "infra team is 2 people": a size, not a count.
                if self
                    .people_after
                    .is_match(&t[c.name("n").map_or(0, |m| m.end())..])
                {
                    continue;
                }
                if n == 1 && c.name("kind2").is_none() && !all.as_str().contains(['(', ':', '=']) {
                    continue;
                }
                let kind = ["kind", "kind2"]
                    .iter()
                    .find_map(|g| c.name(g).and_then(|k| self.kind_of(k.as_str())));
                match kind {
                    Some(k) => {
                        team_max(&mut teams, k, n);
                    }
                    None => keep_max(&mut default_app, n),
                }
                covered.push((all.start(), all.end()));
            }
            if seg.kind == Kind::Teams {
                for c in when(scan.may(&self.team_pair, seg), || {
                    self.team_pair.captures_iter(t)
                }) {
                    let all = c.get(0).expect("match");
                    if overlaps(&covered, all.start(), all.end()) {
                        continue;
                    }
                    if let (Some(n), Some(k)) = (self.number(&c["n"]), self.kind_of(&c["kind"])) {
                        *teams.entry(k).or_insert(0) += n;
                    }
                }
                if !teams.contains_key(&TeamKind::App) && covered.is_empty() {
                    if let Some(n) = self
                        .bare_number
                        .captures(t)
                        .and_then(|c| self.number(&c["n"]))
                    {
                        let after = &t[self.bare_number.find(t).map_or(0, |m| m.end())..];
                        let people = scan.hit(&self.engineer_count, seg, t);
                        if !people || after.trim().is_empty() {
                            teams.insert(TeamKind::App, n);
                        }
                    }
                }
            }
            for c in when(scan.may(&self.engineer_count, seg), || {
                self.engineer_count.captures_iter(t)
            }) {
                let all = c.get(0).expect("match");
                // "3 data eng squads", "5 dev teams", "a 5-person platform team" count teams, not
                // engineers.
                let after = &t[all.end()..];
                let kinded = after
                    .trim_start()
                    .split_once(char::is_whitespace)
                    .filter(|(w, _)| self.kind_of(w).is_some());
                let noun = kinded.map_or(after, |(_, rest)| rest);
                let plural = noun
                    .trim_start()
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .is_some_and(|w| w.ends_with('s'));
                if self.team_nouns.is_match(noun)
                    && (kinded.is_some() || plural || c.name("adj").is_some())
                {
                    continue;
                }
                // "platform team (4 ppl)", "1 DS team, 6 people", "one team of three": the size of
                // the one team just named, not the engineers of the organisation.
                if self.team_size.is_match(&t[..all.start()]) {
                    continue;
                }
                let raw = &c["n"];
                if matches!(raw.to_lowercase().as_str(), "a" | "an" | "one" | "single") {
                    continue;
                }
                if c.name("adj")
                    .and_then(|a| self.kind_of(a.as_str()))
                    .is_some_and(|k| k == TeamKind::Platform)
                {
                    continue;
                }
                if let Some(n) = self.number(raw) {
                    if self.engineer_generic.is_match(all.as_str()) {
                        keep_max(&mut people, n);
                    } else {
                        keep_max(&mut engineers, n);
                    }
                }
            }
            for c in when(scan.may(&self.engineer_reverse, seg), || {
                self.engineer_reverse.captures_iter(t)
            }) {
                // "product eng (roughly 35 teams)" counts teams.
                let rest = &t[c.name("n").map_or(0, |m| m.end())..];
                if self.team_nouns.is_match(rest) {
                    continue;
                }
                // Without a separator ("Devs 60, teams 7") the number ends the phrase.
                let ends = rest.trim_start().chars().next();
                if c.name("sep").is_none()
                    && !matches!(ends, None | Some(',' | '.' | ';' | ')' | '/'))
                {
                    continue;
                }
                if let Some(n) = self.number(&c["n"]) {
                    if self.engineer_generic_first.is_match(&c[0]) {
                        keep_max(&mut people, n);
                    } else {
                        keep_max(&mut engineers, n);
                    }
                }
            }
            if seg.kind == Kind::Tenants {
                labelled_tenants = labelled_tenants.or_else(|| {
                    self.bare_number
                        .captures(t)
                        .and_then(|c| self.number(&c["n"]))
                });
            }
            if seg.kind == Kind::Engineers && engineers.is_none() {
                engineers = self
                    .bare_number
                    .captures(t)
                    .and_then(|c| self.number(&c["n"]));
            }
            for c in when(scan.may(&self.cluster_count, seg), || {
                self.cluster_count.captures_iter(t)
            })
            .chain(when(scan.may(&self.cluster_reverse, seg), || {
                self.cluster_reverse.captures_iter(t)
            })) {
                // "a cluster per environment", "one cluster for each stage": as many as there are
                // environments.
                let one = self.number(&c["n"]) == Some(1);
                if one && self.cluster_per_env.is_match(t) {
                    cluster_per_env = true;
                    continue;
                }
                if matches!(c["n"].to_lowercase().as_str(), "a" | "an") {
                    continue;
                }
                let Some(n) = self.number(&c["n"]) else {
                    continue;
                };
                // "2 clusters per region": times the regions the message counts.
                if c.name("per").is_some() {
                    if let Some(d) = c.name("dim") {
                        cl_dim.get_or_insert((n, d.as_str().to_lowercase()));
                    }
                    continue;
                }
                let all = c.get(0).expect("match");
                if self.cluster_total.is_match(&t[..all.start()])
                    || self.cluster_total_after.is_match(&t[all.end()..])
                {
                    keep_max(&mut cl_total, n);
                    continue;
                }
                // "2 prod clusters" and "1 staging cluster" add up; "3 EKS clusters" is plain.
                let qual: Vec<String> = c
                    .name("qual")
                    .map_or("", |q| q.as_str())
                    .split_whitespace()
                    .map(str::to_lowercase)
                    .filter(|w| !self.cluster_plain.is_match(w))
                    .collect();
                if qual.is_empty() {
                    keep_max(&mut cl_plain, n);
                } else {
                    let e = cl_qual.entry(qual.join(" ")).or_insert(0);
                    *e = (*e).max(n);
                }
            }
            // "eks x3", "3 EKS: dev, qa, prd".
            let eks = t
                .as_bytes()
                .windows(3)
                .any(|w| w.eq_ignore_ascii_case(b"eks"));
            for re in self.cluster_eks.iter().filter(|_| eks) {
                if let Some(n) = re.captures(t).and_then(|c| self.number(&c["n"])) {
                    keep_max(&mut cl_plain, n);
                }
            }
            // "so 4 in total" in a sentence about clusters.
            if scan.hit(&self.cluster_noun, seg, t) {
                if let Some(n) = self
                    .cluster_total_bare
                    .captures(t)
                    .and_then(|c| self.number(&c["n"]))
                {
                    keep_max(&mut cl_total, n);
                }
            }
            if scan.hit(&self.cluster_env_phrase, seg, t) {
                cluster_per_env = true;
            }
            // "one cluster in each of our 3 accounts".
            if let Some(n) = scan
                .may(&self.cluster_each, seg)
                .then(|| self.cluster_each.captures(t))
                .flatten()
                .and_then(|c| self.number(&c["n"]))
            {
                keep_max(&mut clusters, n);
            }
            // "a prod cluster and a staging cluster": one per environment named.
            if clusters.is_none() && scan.may(&self.cluster_named, seg) {
                let mut named: Vec<String> = self
                    .cluster_named
                    .captures_iter(t)
                    .filter_map(|c| c.name("env").map(|m| m.as_str().to_lowercase()))
                    .collect();
                named.sort();
                named.dedup();
                if named.len() >= 2 {
                    clusters = u32::try_from(named.len()).ok();
                }
            }
            if seg.kind == Kind::Clusters && clusters.is_none() {
                clusters = self
                    .bare_number
                    .captures(t)
                    .and_then(|c| self.number(&c["n"]));
            }
            for m in when(scan.may(&self.ml_data, seg), || self.ml_data.find_iter(t)) {
                // In an answer about first capabilities an ML job is what to enable, not who
                // consumes the platform, unless it names people.
                let people = [
                    "team",
                    "scientist",
                    "engineer",
                    "people",
                    "folks",
                    "squad",
                    "user",
                ];
                if seg.kind == Kind::First && !people.iter().any(|w| m.as_str().contains(w)) {
                    continue;
                }
                let rest = t[m.end()..].trim_start();
                let zero = rest.starts_with(": none")
                    || rest.starts_with(": 0")
                    || t[..m.start()].trim_end().ends_with(" 0")
                    || t[..m.start()].trim_end() == "0";
                if zero {
                    continue;
                }
                if scan.negated(seg, seg.start + m.start(), 3) {
                    ml_data.get_or_insert(false);
                } else {
                    ml_data = Some(true);
                }
            }
            let hide_at = scan.may(&self.hide_kubernetes, seg);
            if let Some(m) = hide_at.then(|| self.hide_kubernetes.find(t)).flatten() {
                if !scan.negated(seg, seg.start + m.start(), 3) {
                    hide = Some(true);
                }
            } else if (scan.hit(&self.hide_objects, seg, t)
                && scan.hit(&self.hide_distance, seg, t))
                || (self.hide_strong.is_match(t)
                    && self.hide_who.is_match(t)
                    && self.hide_strong.find_iter(t).any(|m| {
                        self.hide_keep_from
                            .is_match(&t[back(t, m.start(), 60)..m.start()])
                    }))
            {
                hide = Some(true);
            }
        }
        if let Some(n) = default_app {
            teams.entry(TeamKind::App).or_insert(n);
        }
        if let Some(n) = labelled_tenants.or(tenants) {
            teams.entry(TeamKind::ExternalTenants).or_insert(n);
        }
        if teams
            .iter()
            .any(|(k, n)| matches!(k, TeamKind::Ml | TeamKind::Data) && *n > 0)
        {
            ml_data = Some(true);
        }
        // "1 data team, but they're on Databricks and won't be on this platform": only looked for
        // when ML or data teams would otherwise be consumers.
        if ml_data == Some(true) {
            let mentions = |t: &str| {
                self.ml_data.is_match(t)
                    || t.split(|c: char| !c.is_alphanumeric() && c != '/')
                        .any(|w| {
                            self.kind_of(w)
                                .is_some_and(|k| matches!(k, TeamKind::Ml | TeamKind::Data))
                        })
            };
            for (si, seg) in scan.segs.iter().enumerate() {
                let t = &text[seg.start..seg.end];
                let out = self.ml_excluded.is_match(t);
                if out || self.ml_included.is_match(t) {
                    let here = mentions(t);
                    let before = si
                        .checked_sub(1)
                        .map(|j| &text[scan.segs[j].start..scan.segs[j].end])
                        .is_some_and(|pt| self.ml_previous.is_match(t) && mentions(pt));
                    if here || before {
                        if out {
                            ml_out = true;
                        } else {
                            ml_in = true;
                        }
                    }
                }
            }
        }
        if ml_out && !ml_in {
            ml_data = Some(false);
        }
        // "devs are fine with k8s, no need to hide it": only looked for when hiding was read.
        if hide == Some(true) {
            hide_no = scan
                .segs
                .iter()
                .any(|seg| self.hide_no.is_match(&text[seg.start..seg.end]));
        }
        for (k, n) in teams {
            if n > 0 {
                p.teams.insert(k, Fact::new(n, source.clone()));
            }
        }
        p.engineers = engineers
            .or(people)
            .filter(|n| *n > 0)
            .map(|n| Fact::new(n, source.clone()));
        let summed = if cl_qual.len() >= 2 {
            Some(cl_qual.values().sum::<u32>())
        } else {
            cl_qual.values().copied().max()
        };
        for n in [cl_plain, summed].into_iter().flatten() {
            keep_max(&mut clusters, n);
        }
        // "2 clusters per region, 2 regions".
        if let (None, Some((n, dim))) = (clusters, &cl_dim) {
            let words: Vec<&str> = dim.split_whitespace().collect();
            for c in self.bare_number.captures_iter(text) {
                let m = c.get(0).expect("match");
                let next: Vec<&str> = text[m.end()..]
                    .split(|ch: char| !ch.is_alphanumeric() && ch != '-')
                    .filter(|w| !w.is_empty())
                    .take(2)
                    .collect();
                let hit = next.iter().any(|w| words.iter().any(|d| same_noun(w, d)));
                if let (true, Some(k)) = (hit, self.number(&c["n"]).filter(|k| *k > 1)) {
                    clusters = Some(n * k);
                    break;
                }
            }
        }
        if cl_total.is_some() {
            clusters = cl_total;
        }
        p.clusters = clusters
            .filter(|n| *n > 0)
            .map(|n| Fact::new(n, source.clone()));
        let per_env = cluster_per_env && p.clusters.is_none();
        p.ml_data_consumers = ml_data.map(|b| Fact::new(b, source.clone()));
        p.hide_kubernetes = hide
            .filter(|_| !hide_no)
            .map(|b| Fact::new(b, source.clone()));
        per_env
    }

    fn read_environments(&self, scan: &Scan, source: &Source, p: &mut Profile) {
        let text = scan.text;
        for seg in &scan.segs {
            let t = &text[seg.start..seg.end];
            // An environments answer that is a plain list keeps the team's own names, known or not
            // ("dev, playtest, live", "recette then production"), in the order written.
            if seg.kind == Kind::Environments {
                let known = |name: &str| {
                    self.env_names
                        .find(name)
                        .is_some_and(|m| m.len() == name.len())
                };
                if let Some(list) = plain_list(t).filter(|l| !l.iter().all(|n| known(n))) {
                    p.environments = Some(Fact::new(list, source.clone()));
                    return;
                }
            }
            let mut names: Vec<(u32, String, usize, usize, bool)> = Vec::new();
            if let Some(m) = self.env_unnamed_single.find(t) {
                if !scan.negated(seg, seg.start + m.start(), 2) && !self.env_names.is_match(t) {
                    p.environments = Some(Fact::new(vec!["prod".to_string()], source.clone()));
                    return;
                }
            }
            for c in when(scan.may(&self.env_names, seg), || {
                self.env_names.captures_iter(t)
            }) {
                let Some(i) =
                    (0..self.env_ranks.len()).find(|i| c.name(&format!("e{i}")).is_some())
                else {
                    continue;
                };
                let m = c.get(0).expect("match");
                if self.env_not_before.is_match(&t[m.end()..]) {
                    continue;
                }
                if scan.negated(seg, seg.start + m.start(), 2) {
                    continue;
                }
                let name = m.as_str().to_lowercase();
                let rank = self.env_ranks[i];
                if names.iter().any(|n| n.0 == rank) {
                    continue;
                }
                names.push((rank, name, m.start(), m.end(), self.env_words[i]));
            }
            if names.is_empty() {
                continue;
            }
            // A name that is also an ordinary word counts only beside other names.
            if names.len() == 1 && names[0].4 && seg.kind != Kind::Environments {
                continue;
            }
            let keyword = self.env_keyword.is_match(t);
            let listed = names.windows(2).any(|w| {
                let gap = t[w[0].3..w[1].2].trim().to_lowercase();
                gap.len() <= 4
                    || matches!(
                        gap.as_str(),
                        "and" | "then" | "to" | "then to" | "and then" | ", and" | ", then"
                    )
            });
            let ok = match names.len() {
                // Environments named in a pain are still environments, when they are a list.
                _ if seg.kind == Kind::Pain && (!listed || names.len() < 3) => false,
                1 => {
                    let before = &t[..names[0].2];
                    let lead: String = before
                        .split_whitespace()
                        .rev()
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(" ");
                    seg.kind == Kind::Environments
                        || (keyword && self.env_single.is_match(t))
                        || self.env_single.is_match(&lead)
                        || t[names[0].3..]
                            .trim_start()
                            .to_lowercase()
                            .starts_with("only")
                }
                _ => seg.kind == Kind::Environments || keyword || listed,
            };
            if !ok {
                continue;
            }
            // A list written from the lowest to the highest stage keeps the team's own order
            // ("dev, perf, staging, prod"); otherwise the usual promotion order decides.
            let lowest = names.iter().map(|n| n.0).min();
            let highest = names.iter().map(|n| n.0).max();
            let written = names.len() > 2
                && names.first().map(|n| n.0) == lowest
                && names.last().map(|n| n.0) == highest;
            if !written {
                names.sort_by_key(|n| n.0);
            }
            p.environments = Some(Fact::new(
                names.into_iter().map(|n| n.1).collect(),
                source.clone(),
            ));
            return;
        }
    }

    fn read_layout(&self, scan: &Scan, source: &Source, p: &mut Profile) {
        let text = scan.text;
        let mut best_acc: Option<(usize, crate::profile::AccountModel)> = None;
        let mut tenancy: Option<crate::profile::Tenancy> = None;
        let mut account_constraint = false;
        // The largest number of accounts said.
        let mut acct_n: Option<u32> = None;
        for (i, seg) in scan.segs.iter().enumerate() {
            if seg.kind == Kind::Pain {
                continue;
            }
            let t = &text[seg.start..seg.end];
            let labelled;
            let t = if seg.kind == Kind::Accounts {
                labelled = format!("account {t}");
                labelled.as_str()
            } else {
                t
            };
            let off = if seg.kind == Kind::Accounts { 8 } else { 0 };
            // An accounts segment is read with a word added in front: its gates do not apply.
            let may = |p: &Pat| seg.kind == Kind::Accounts || scan.may(p, seg);
            let mut counted = None;
            for c in when(may(&self.account_count), || {
                self.account_count.captures_iter(t)
            }) {
                let m = c.get(0).expect("match");
                if scan.negated(seg, (seg.start + m.start()).saturating_sub(off), 2) {
                    continue;
                }
                if let Some(n) = self.number(&c["n"]) {
                    acct_n = acct_n.max(Some(n));
                    counted = Some(if n > 1 {
                        AccountModel::Multi
                    } else {
                        AccountModel::Single
                    });
                }
            }
            if seg.kind == Kind::Accounts && counted.is_none() {
                let lower = t.to_lowercase();
                if lower.contains("per env")
                    || lower.contains("per stage")
                    || lower.contains("per region")
                {
                    counted = Some(AccountModel::Multi);
                } else if let Some(n) = self
                    .bare_number
                    .captures(t)
                    .and_then(|c| self.number(&c["n"]))
                {
                    counted = Some(if n > 1 {
                        AccountModel::Multi
                    } else {
                        AccountModel::Single
                    });
                }
            }
            // "an account per university", "accounts for each business unit": whose accounts the
            // words after the account noun say (tenants, including the message's own tenant nouns,
            // teams, environments).
            let mut whose = None;
            for m in self.account_noun.find_iter(t) {
                let after: Vec<&str> = t[m.end()..]
                    .split(|ch: char| !ch.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .take(5)
                    .collect();
                // "account per municipality", "accounts for each partner", "accounts - 1 per
                // team", "acct-per-squad"; not "account (separate VPCs per env)" nor "accounts,
                // not per team".
                let filler = |w: &str| {
                    matches!(
                        w.to_lowercase().as_str(),
                        "for"
                            | "one"
                            | "1"
                            | "a"
                            | "an"
                            | "roughly"
                            | "about"
                            | "just"
                            | "only"
                            | "is"
                            | "are"
                            | "r"
                            | "by"
                    )
                };
                let per = after
                    .iter()
                    .position(|w| matches!(w.to_lowercase().as_str(), "per" | "each" | "every"))
                    .filter(|&i| after[..i].iter().all(|w| filler(w)));
                if let Some(w) = per.and_then(|i| after.get(i + 1)) {
                    if scan.aliases.iter().any(|a| same_noun(w, a))
                        || self.tenant_words.iter().any(|a| same_noun(w, a))
                    {
                        whose = Some(AccountModel::PerTenant);
                    } else if let Some((model, _)) = self.account_referents[..3]
                        .iter()
                        .find(|(_, re)| re.find(w).is_some_and(|x| x.len() == w.len()))
                    {
                        whose = Some(*model);
                    }
                }
            }
            // "each retailer in its own cluster + own AWS account", "each one gets its own account":
            // the noun after each/every says whose; without one, the message's external tenants.
            if whose.is_none() {
                for m in self.account_noun.find_iter(t) {
                    let own = t[..m.start()].trim_end();
                    if !(own.ends_with("own")
                        || own.ends_with("own aws")
                        || own.ends_with("dedicated"))
                    {
                        continue;
                    }
                    let from = back(t, m.start(), 100);
                    let Some(c) = self.each_noun.captures_iter(&t[from..m.start()]).last() else {
                        continue;
                    };
                    let w = c.name("noun").map_or("", |x| x.as_str());
                    // "every application team": the word after the noun may be the noun.
                    let w2 = c.name("noun2").map_or("", |x| x.as_str());
                    let tenants = p.teams.contains_key(&TeamKind::ExternalTenants);
                    let tenant_word = |w: &str| {
                        scan.aliases.iter().any(|a| same_noun(w, a))
                            || self.tenant_words.iter().any(|a| same_noun(w, a))
                    };
                    let referent = |w: &str| {
                        self.account_referents[1..3]
                            .iter()
                            .find(|(_, re)| re.find(w).is_some_and(|x| x.len() == w.len()))
                            .map(|(m, _)| *m)
                    };
                    if tenant_word(w)
                        || tenant_word(w2)
                        || (self.each_pronoun.is_match(w) && tenants)
                    {
                        whose = Some(AccountModel::PerTenant);
                    } else if let Some(model) = referent(w).or_else(|| referent(w2)) {
                        whose = Some(model);
                    }
                }
            }
            // An accounts answer naming two accounts or more ("a research account and a
            // production account") is several accounts.
            // (The accounts answer was prefixed with "account ", so two mentions count three.)
            if seg.kind == Kind::Accounts
                && whose.is_none()
                && counted != Some(AccountModel::Multi)
                && self.account_noun.find_iter(t).count() >= 3
            {
                counted = Some(AccountModel::Multi);
            }
            let mut hit = false;
            if let Some(model) = whose {
                prefer(&mut best_acc, self.account_rank(model), model);
                hit = true;
            }
            if !hit {
                for (rank, (model, re)) in self.accounts.iter().enumerate() {
                    if let Some(m) = may(re).then(|| re.find(t)).flatten() {
                        if scan.negated(seg, seg.start + m.start(), 2) {
                            continue;
                        }
                        // "single account today (we'd like per-team accounts later)": what they
                        // want is not what they have.
                        let at = (seg.start + m.start()).saturating_sub(off);
                        let (cs, _) = scan.clause(seg, at);
                        if scan.cues.iter().any(|c| {
                            c.cue == Cue::Want
                                && c.start >= cs
                                && c.end <= at
                                && scan.words(c.end, at) <= 3
                        }) {
                            continue;
                        }
                        prefer(&mut best_acc, rank, *model);
                        hit = true;
                        break;
                    }
                }
            }
            // No account pattern: the words around an account mention say whose accounts they
            // are ("accounts are split by environment", "each business unit has a dedicated one").
            if !hit && counted.is_none() {
                if let Some(m) = self.account_noun.find(t) {
                    if !scan.negated(seg, (seg.start + m.start()).saturating_sub(off), 2) {
                        // A referent said with a negation ("not by team") is not whose they are.
                        let found = self.account_referents.iter().position(|(_, re)| {
                            re.find_iter(t).any(|m| {
                                !scan.negated(seg, (seg.start + m.start()).saturating_sub(off), 2)
                            })
                        });
                        // Only "own"/"separate"/"each": whose is said in the sentence before.
                        let last = self.account_referents.len() - 1;
                        let found = match (found, i.checked_sub(1).map(|j| &scan.segs[j])) {
                            (Some(f), Some(prev)) if f == last => {
                                let pt = &text[prev.start..prev.end];
                                self.account_referents[..2]
                                    .iter()
                                    .position(|(_, re)| re.is_match(pt))
                                    .or(Some(f))
                            }
                            (f, _) => f,
                        };
                        counted = found.map(|f| self.account_referents[f].0);
                    }
                }
            }
            if !hit {
                if let Some(model) = counted {
                    prefer(&mut best_acc, self.account_rank(model), model);
                    hit = true;
                }
            }
            if hit && seg.kind == Kind::Constraints {
                account_constraint = true;
            }
            let mut said = false;
            for (kind, re) in &self.tenancy {
                // The first phrase that is about tenants, not environments or accounts.
                // A phrase without its noun ("each is its own cluster") is about the words of the
                // sentence before: "a staging and a production environment; each is its own cluster".
                let about = |m: &regex::Match| {
                    if self
                        .tenancy_about
                        .is_match(&t[back(t, m.start(), 20)..m.end()])
                    {
                        return true;
                    }
                    let end = seg.start + m.end();
                    let bare = self.tenancy_pronoun.is_match(m.as_str());
                    let from = back(text, seg.start + m.start(), if bare { 60 } else { 30 });
                    let from = if bare { from } else { from.max(seg.start) };
                    !self.tenancy_not_about.is_match(&text[from..end])
                };
                let found = may(re)
                    .then(|| re.find_iter(t).find(|m| about(m)))
                    .flatten();
                if let Some(m) = found {
                    if scan.negated(seg, seg.start + m.start(), 2) {
                        continue;
                    }
                    if tenancy != Some(crate::profile::Tenancy::Hard) {
                        tenancy = Some(*kind);
                    }
                    said = true;
                    break;
                }
            }
            // "Tenancy: soft".
            if !said && seg.kind == Kind::Tenancy {
                if let Some((kind, _)) = self.tenancy_answer.iter().find(|(_, re)| re.is_match(t)) {
                    if tenancy != Some(crate::profile::Tenancy::Hard) {
                        tenancy = Some(*kind);
                    }
                    said = true;
                }
            }
            // "legal says customer workloads can never be co-located": who, excluding what.
            if !said && self.tenancy_hard_pair.iter().all(|re| re.is_match(t)) {
                tenancy = Some(crate::profile::Tenancy::Hard);
            }
        }
        // "40 customers ... 40 clusters, 40 AWS accounts": as many accounts as tenants (or teams).
        if let Some(n) = acct_n.filter(|n| *n > 1) {
            if best_acc.is_none_or(|(_, m)| m == AccountModel::Multi) {
                let count = |k: TeamKind| p.teams.get(&k).map(|f| f.value);
                let model = if count(TeamKind::ExternalTenants) == Some(n) {
                    Some(AccountModel::PerTenant)
                } else if count(TeamKind::App) == Some(n) {
                    Some(AccountModel::PerTeam)
                } else {
                    None
                };
                if let Some(m) = model {
                    best_acc = Some((self.account_rank(m), m));
                }
            }
        }
        p.accounts = best_acc.map(|(_, m)| Fact::new(m, source.clone()));
        if account_constraint && best_acc.is_some_and(|(_, m)| m != AccountModel::Single) {
            p.constraints
                .insert(Constraint::MultiAccount, source.clone());
        }
        p.tenancy = tenancy.map(|t| Fact::new(t, source.clone()));
    }

    fn read_constraints(&self, scan: &Scan, source: &Source, p: &mut Profile) {
        let text = scan.text;
        let mut none = false;
        for seg in scan.segs.iter().filter(|s| s.kind != Kind::Pain) {
            let t = &text[seg.start..seg.end];
            // "none besides keeping our Terraform modules": none, and what the rest says.
            if seg.kind == Kind::Constraints && scan.hit(&self.nothing_answer, seg, t) {
                none = true;
            }
            if scan.hit(&self.nothing_constraints, seg, t) {
                none = true;
            }
            // "data ... must stay in Malta", "separate accounts ... are required".
            for n in &self.near {
                if let super::NearFact::Constraint(c) = n.is {
                    if scan.near(n, seg, t) {
                        p.constraints.insert(c, source.clone());
                    }
                }
            }
            for (c, re) in &self.constraints {
                for m in when(scan.may(re, seg), || re.find_iter(t)) {
                    if scan.constraint_negated(seg, seg.start + m.start()) {
                        continue;
                    }
                    if *c == Constraint::ExistingInvestment
                        && !matches!(seg.kind, Kind::Constraints | Kind::Prose | Kind::Stack)
                    {
                        continue;
                    }
                    if self
                        .constraint_not_before
                        .iter()
                        .any(|(k, re)| k == c && re.is_match(&t[m.end()..]))
                    {
                        continue;
                    }
                    // "FedRAMP isn't relevant to us", "HIPAA on the roadmap".
                    let regime = !matches!(
                        c,
                        Constraint::ExistingInvestment
                            | Constraint::MultiAccount
                            | Constraint::None
                    );
                    if regime
                        && (self.constraint_undone[1].is_match(&t[m.end()..])
                            || self.constraint_undone[0].is_match(&t[..m.start()]))
                    {
                        continue;
                    }
                    p.constraints.insert(*c, source.clone());
                    break;
                }
            }
        }
        if p.constraints.is_empty() && none {
            p.constraints.insert(Constraint::None, source.clone());
        }
    }

    fn read_capabilities(&self, scan: &Scan, source: &Source, p: &mut Profile) {
        let text = scan.text;
        for seg in &scan.segs {
            let t = &text[seg.start..seg.end];
            let asked = match seg.kind {
                Kind::First | Kind::Wanted => true,
                // "pain is tickets, want ship service first": an ask inside the pain.
                Kind::Pain => scan
                    .cues
                    .iter()
                    .any(|c| c.cue == Cue::Want && c.start >= seg.start && c.end <= seg.end),
                Kind::Prose => {
                    seg.after == Some(Kind::First)
                        || scan.hit(&self.capability_ask, seg, t)
                        || scan
                            .cues
                            .iter()
                            .any(|c| c.cue == Cue::Want && c.start >= seg.start && c.end <= seg.end)
                }
                _ => false,
            };
            if !asked {
                continue;
            }
            // "provision a new client environment": one capability, and the words of another
            // inside it are not read.
            let mut masked: Option<String> = None;
            let mut blocked: Vec<crate::profile::Capability> = Vec::new();
            for (re, is, not) in &self.capability_over {
                for m in re.find_iter(t) {
                    if scan.negated(seg, seg.start + m.start(), 2) {
                        continue;
                    }
                    p.capabilities.insert(*is, source.clone());
                    blocked.extend(not.iter().copied());
                    let mk = masked.get_or_insert_with(|| t.to_string());
                    mk.replace_range(m.start()..m.end(), &" ".repeat(m.len()));
                }
            }
            let plain = t;
            let t = masked.as_deref().unwrap_or(t);
            let text_for = |cap: &crate::profile::Capability| {
                if blocked.contains(cap) {
                    t
                } else {
                    plain
                }
            };
            if seg.kind == Kind::First {
                for (cap, re) in &self.capabilities_bare {
                    if when(scan.may(re, seg), || re.find_iter(text_for(cap)))
                        .any(|m| !scan.negated(seg, seg.start + m.start(), 2))
                    {
                        p.capabilities.insert(*cap, source.clone());
                    }
                }
            } else {
                // "want scaffold + ship": the short items of a list of asks.
                let mut from = 0;
                let cuts = self
                    .capability_items
                    .find_iter(t)
                    .map(|m| (m.start(), m.end()))
                    .chain([(t.len(), t.len())]);
                for (a, b) in cuts {
                    // The words after an ask in the item ("we want a proper template").
                    let at = scan
                        .cues
                        .iter()
                        .filter(|c| {
                            c.cue == Cue::Want
                                && c.start >= seg.start + from
                                && c.end <= seg.start + a
                        })
                        .map(|c| c.end - seg.start)
                        .max()
                        .unwrap_or(from);
                    let item = &plain[at..a];
                    from = b;
                    if item.split_whitespace().count() > self.capability_item_words {
                        continue;
                    }
                    for (cap, re) in &self.capabilities_bare {
                        let item = &text_for(cap)[at..a];
                        if when(scan.may(re, seg), || re.find_iter(item))
                            .any(|m| !scan.negated(seg, seg.start + at + m.start(), 2))
                        {
                            p.capabilities.insert(*cap, source.clone());
                        }
                    }
                }
            }
            for n in &self.near {
                if let super::NearFact::Capability(cap) = n.is {
                    if scan.near(n, seg, text_for(&cap)) {
                        p.capabilities.insert(cap, source.clone());
                    }
                }
            }
            for (cap, re) in &self.capabilities {
                if when(scan.may(re, seg), || re.find_iter(text_for(cap)))
                    .any(|m| !scan.negated(seg, seg.start + m.start(), 2))
                {
                    p.capabilities.insert(*cap, source.clone());
                }
            }
        }
    }

    fn read_pain(&self, scan: &Scan, source: &Source, p: &mut Profile) {
        let text = scan.text;
        let tidy = |s: &str| {
            s.trim()
                .trim_start_matches(|c: char| {
                    c == '-' || c == '*' || c == '•' || c == ':' || c.is_whitespace()
                })
                .trim_end_matches(|c: char| {
                    matches!(c, '.' | ',' | ';' | '/' | '|') || c.is_whitespace()
                })
                .to_string()
        };
        // A pain its own label names ("3. Pain: ...") before one its answer's number names.
        let labelled = scan
            .segs
            .iter()
            .position(|s| s.kind == Kind::Pain && s.by_label)
            .or_else(|| scan.segs.iter().position(|s| s.kind == Kind::Pain));
        if let Some(i) = labelled {
            let seg = &scan.segs[i];
            let mut end = seg.end;
            // The sentences after it under the same label, when they carry the pain ("Pain: envs.
            // We have one shared staging and everyone fights over it.").
            let short = text[seg.start..seg.end].split_whitespace().count() <= 4;
            for (j, next) in scan.segs.iter().enumerate().skip(i + 1) {
                if next.after != Some(Kind::Pain) {
                    break;
                }
                let nt = &text[next.start..next.end];
                let cued = self.pain_cues.is_match(nt) || self.pain_weak.is_match(nt);
                if cued || (short && j == i + 1) {
                    end = next.end;
                } else {
                    break;
                }
            }
            let t = tidy(scan.own(seg.start, end));
            if !t.is_empty() {
                p.pain = Some(Fact::new(t, source.clone()));
                return;
            }
        }
        // "That's the pain.": the sentence before it.
        for (i, seg) in scan.segs.iter().enumerate().skip(1) {
            if seg.kind == Kind::Prose && self.pain_anaphora.is_match(&text[seg.start..seg.end]) {
                let prev = &scan.segs[i - 1];
                let t = tidy(scan.own(prev.start, prev.end));
                if !t.is_empty() {
                    p.pain = Some(Fact::new(t, source.clone()));
                    return;
                }
            }
        }
        let mut best: Option<((bool, usize), &Segment)> = None;
        for seg in scan.segs.iter().filter(|s| s.kind == Kind::Prose) {
            let t = &text[seg.start..seg.end];
            let strong = when(scan.may(&self.pain_cues, seg), || {
                self.pain_cues.find_iter(t)
            })
            .filter(|m| !scan.negated(seg, seg.start + m.start(), 3))
            .count();
            let weak = when(scan.may(&self.pain_weak, seg), || {
                self.pain_weak.find_iter(t)
            })
            .count();
            // A sentence that calls itself the pain wins over any count of incidental cues.
            let named = scan.hit(&self.pain_named, seg, t);
            let n = (named, 2 * strong + weak);
            if (named || n.1 >= 2) && best.is_none_or(|(b, _)| n > b) {
                best = Some((n, seg));
            }
        }
        if let Some((_, seg)) = best {
            let t = tidy(scan.own(seg.start, seg.end));
            if !t.is_empty() {
                p.pain = Some(Fact::new(t, source.clone()));
            }
        }
    }
}
