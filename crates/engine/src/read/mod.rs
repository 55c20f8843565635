//! The reader: turns what a team writes into typed [`Profile`] facts.
//!
//! A message is first cut into segments (lines, numbered answers, labels wherever they appear,
//! sentences: see [`segment`]); each segment is then read for facts by mechanisms driven by data in
//! `config/reading.toml`: a tool vocabulary by category, cues for having / wanting / negation scoped
//! to a clause, quantities with number words, environment names and their order, account models,
//! tenancy, constraints, capabilities and pain cues. The reader is pure and compiled once; reading a
//! Phase 1 answer takes microseconds.
//!
//! - [`Reader::parse`] loads and validates the data.
//! - [`Reader::read`] gives the facts in one message as a [`Profile`].
//! - [`merge`] folds a newer reading into an existing profile (newer facts win; sets union).
//! - [`Reader::inputs`] shows a profile as the five Phase 1 inputs.

mod facts;
pub(crate) mod gate;
pub mod segment;
mod spell;
mod view;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Deref;

use regex::{Regex, RegexSet, RegexSetBuilder};
use serde::Deserialize;

use crate::error::LoadError;
use crate::profile::{AccountModel, Capability, Category, Constraint, TeamKind, Tenancy};
use gate::{Gate, GateBuilder, Gates};
use segment::{Kind, Segmenter};
pub use view::{knows, merge, slot_keys, Inputs};

const FILE: &str = "config/reading.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    numbered: Vec<String>,
    /// Where data can be required to stay: what `{place}` stands for in constraint and near patterns.
    places: String,
    /// Label words that label only with a colon (or an arrow), not with "is": "CI is slow" is prose.
    colon_only: Vec<String>,
    labels: BTreeMap<String, Vec<String>>,
    cues: CuesFile,
    nothing: NothingFile,
    numbers: NumbersFile,
    spelling: SpellingFile,
    teams: TeamsFile,
    ml_data: MlDataFile,
    hide_kubernetes: HideFile,
    tenancy: BTreeMap<String, Vec<String>>,
    tenancy_not_about: NotAboutFile,
    constraint_undone: BeforeAfterFile,
    investment: BeforeAfterFile,
    tenancy_answer: BTreeMap<String, Vec<String>>,
    tenancy_hard_pair: HardPairFile,
    accounts: AccountsFile,
    account_referents: ReferentsFile,
    constraints: BTreeMap<String, Vec<String>>,
    /// Words right after a constraint's match that undo it ("must keep data in the EU" is not an
    /// existing investment).
    constraint_not_before: BTreeMap<String, Vec<String>>,
    capabilities: BTreeMap<String, Vec<String>>,
    capabilities_bare: BTreeMap<String, Vec<String>>,
    /// Where a list of asks is cut into items, and how many words a short item has at most.
    capability_items: Vec<String>,
    capability_item_words: usize,
    /// Phrases that name one capability although another's words are in them.
    capability_over: Vec<OverFile>,
    /// Two words near each other that say a fact.
    near: Vec<NearFile>,
    environments: EnvFile,
    pain: PainFile,
    display: DisplayFile,
    tool: Vec<ToolFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NearFile {
    is: String,
    first: Vec<String>,
    then: Vec<String>,
    within: usize,
}

/// What two words near each other say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NearFact {
    Capability(Capability),
    Constraint(Constraint),
}

/// `first`, then `then` within `within` bytes after it in the same sentence.
#[derive(Debug, Clone)]
pub(crate) struct Near {
    pub is: NearFact,
    pub(crate) first: Pat,
    then: Regex,
    within: usize,
}

/// The items of `it()` when `on`, else none (and no search).
pub(crate) fn when<I: Iterator>(on: bool, it: impl FnOnce() -> I) -> impl Iterator<Item = I::Item> {
    on.then(it).into_iter().flatten()
}

/// The character boundary of `t` at or after `pos - n` (a window start `n` bytes back).
pub(crate) fn back(t: &str, pos: usize, n: usize) -> usize {
    let mut i = pos.saturating_sub(n);
    while !t.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The character boundary of `t` at or before `pos + n`, within `t` (a window end).
pub(crate) fn ahead(t: &str, pos: usize, n: usize) -> usize {
    let mut i = pos.saturating_add(n).min(t.len());
    while !t.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Near {
    /// Where `first` starts, for a match of both in `t`.
    pub fn find(&self, t: &str) -> Option<usize> {
        self.first.find_iter(t).find_map(|m| {
            let window = &t[m.end()..ahead(t, m.end(), self.within)];
            let window = &window[..window.find(['.', ';', '\n']).unwrap_or(window.len())];
            self.then.is_match(window).then_some(m.start())
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverFile {
    is: String,
    not: Vec<String>,
    phrase: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpellingFile {
    min_len: usize,
    words: Vec<String>,
    keep: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CuesFile {
    /// Want cues that pick one of several tools considered.
    leaning: Vec<String>,
    /// Words after a tool run today that make it the main one of its category.
    main_after: Vec<String>,
    negation_window: usize,
    have: Vec<String>,
    migration_from: Vec<String>,
    migration_to: Vec<String>,
    want: Vec<String>,
    negate: Vec<String>,
    want_after: Vec<String>,
    negate_after: Vec<String>,
    migration: Vec<String>,
    migration_done: Vec<String>,
    negation_stops: Vec<String>,
    clause_breaks: Vec<String>,
}

#[derive(Deserialize)]
struct AccountsFile {
    noun: String,
    #[serde(flatten)]
    models: BTreeMap<String, Vec<String>>,
}

/// Hard tenancy said in parts: a tenant word, a word that excludes sharing, and what is not shared.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HardPairFile {
    who: Vec<String>,
    exclusive: Vec<String>,
    what: Vec<String>,
}

/// Words near an account mention that say whose accounts they are, when no account pattern matched.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferentsFile {
    tenant: Vec<String>,
    team: Vec<String>,
    env: Vec<String>,
    single: Vec<String>,
    several: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NothingFile {
    answer: String,
    stack: String,
    constraints: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumbersFile {
    words: BTreeMap<String, u32>,
    approx: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamsFile {
    not_after: Vec<String>,
    nouns: Vec<String>,
    app: Vec<String>,
    ml: Vec<String>,
    data: Vec<String>,
    platform: Vec<String>,
    external_tenants: Vec<String>,
    tenant_nouns: Vec<String>,
    /// "tenants = hospitals", "our clients are banks": the named noun then counts tenants.
    tenant_alias: Vec<String>,
    /// Nouns a tenant alias never names (people, time, infrastructure).
    alias_stop: Vec<String>,
    engineer_nouns: Vec<String>,
    engineer_generic: Vec<String>,
    cluster_nouns: Vec<String>,
    cluster_env_phrases: Vec<String>,
    cluster_total: Vec<String>,
    cluster_total_after: Vec<String>,
    cluster_plain: Vec<String>,
    cluster_eks: Vec<String>,
    /// Words after "one cluster" that make it one per environment ("for every stage").
    cluster_per_env: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MlDataFile {
    consumers: Vec<String>,
    excluded: Vec<String>,
    included: Vec<String>,
    about_previous: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HideFile {
    yes: Vec<String>,
    /// Kubernetes objects and words for keeping them from developers: both in one sentence say it.
    objects: Vec<String>,
    distance: Vec<String>,
    /// Objects only developers would meet, who would see them, and words that keep them away.
    strong_objects: Vec<String>,
    who: Vec<String>,
    keep_from: Vec<String>,
    /// Words that say developers may see Kubernetes.
    no: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BeforeAfterFile {
    before: Vec<String>,
    after: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotAboutFile {
    words: Vec<String>,
    /// Phrase starts without a noun: the sentence before says what they are about.
    pronoun: Vec<String>,
    /// Words in a phrase that say whose it is (teams, tenants).
    about: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvFile {
    keyword: Vec<String>,
    /// A single environment said without a name: production.
    unnamed_single: Vec<String>,
    single_cue: Vec<String>,
    not_before: Vec<String>,
    names: Vec<EnvName>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvName {
    rank: u32,
    re: String,
    /// The name is also an ordinary word ("sit", "live"): it counts only in a list of names.
    #[serde(default)]
    word: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PainFile {
    weak: Vec<String>,
    cues: Vec<String>,
    /// A short sentence that points back ("that's the pain"): the sentence before it is the pain.
    anaphora: Vec<String>,
    /// Words by which a sentence calls itself the pain ("X is the pain everyone names"): such a
    /// sentence wins over any count of cues elsewhere.
    named: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisplayFile {
    teams: BTreeMap<String, String>,
    capabilities: BTreeMap<String, String>,
    constraints: BTreeMap<String, String>,
    categories: BTreeMap<String, String>,
    accounts: BTreeMap<String, String>,
    tenancy: BTreeMap<String, String>,
    engineers: String,
    clusters: String,
    environments: String,
    ml_data: String,
    ml_data_off: String,
    hide_kubernetes: String,
    greenfield: String,
    wanted: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolFile {
    name: String,
    category: String,
    re: String,
    #[serde(default)]
    bare: Option<String>,
}

/// One tool of the vocabulary.
#[derive(Debug, Clone)]
struct Tool {
    name: String,
    category: Category,
    re: Regex,
    /// Matches only the bare ordinary-word form (needs a tool context).
    bare: Option<Regex>,
}

/// A pattern run segment by segment, with its literal gate (see [`gate`]).
#[derive(Debug, Clone)]
pub(crate) struct Pat {
    re: Regex,
    gate: Gate,
}

impl Deref for Pat {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        &self.re
    }
}

/// Cue kinds, in the order they win when two overlap at the same start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    Negate,
    Want,
    Have,
}

/// Display names for the Phase 1 views.
#[derive(Debug, Clone)]
struct Display {
    teams: BTreeMap<TeamKind, String>,
    capabilities: BTreeMap<Capability, String>,
    constraints: BTreeMap<Constraint, String>,
    categories: BTreeMap<Category, String>,
    accounts: BTreeMap<AccountModel, String>,
    tenancy: BTreeMap<Tenancy, String>,
    engineers: String,
    clusters: String,
    environments: String,
    ml_data: String,
    /// Said after ML/data team counts when those teams stay off the platform.
    ml_data_off: String,
    hide_kubernetes: String,
    greenfield: String,
    wanted: String,
}

/// The compiled reader. Build it once with [`Reader::parse`]; reading is pure and cheap.
#[derive(Debug, Clone)]
pub struct Reader {
    speller: spell::Speller,
    segmenter: Segmenter,
    tools: Vec<Tool>,
    tool_set: RegexSet,
    cues: [(Cue, Pat); 3],
    want_after: Regex,
    /// A want cue that picks one of several tools considered ("leaning Argo CD").
    leaning: Regex,
    /// Words right after a tool run today that make it the main one.
    main_after: Regex,
    negate_after: Regex,
    migration: Regex,
    migration_done: Regex,
    negation_stops: Regex,
    migration_from: Regex,
    migration_to: Regex,
    clause_breaks: Regex,
    negation_window: usize,
    nothing_answer: Pat,
    nothing_stack: Pat,
    nothing_constraints: Pat,
    number_words: BTreeMap<String, u32>,
    team_list: Pat,
    team_pair: Pat,
    team_count: Pat,
    team_reverse: Pat,
    team_of: Pat,
    /// "5 teams (4 product, 1 data)", "5 teams: 4 backend, 1 data": a total, then its parts.
    team_breakdown: Pat,
    team_kind_first: Pat,
    team_list_tail: Pat,
    team_kind_num: Regex,
    team_size: Regex,
    /// People words right after a number: the number is a team's size, not a count of teams.
    people_after: Regex,
    team_not_after: Regex,
    kind_words: Vec<(TeamKind, Regex)>,
    tenant_count: Pat,
    tenant_paren: Regex,
    engineer_count: Pat,
    engineer_reverse: Pat,
    /// A people count that counts people in general, not engineers (at the end of a match).
    engineer_generic: Regex,
    /// At the start of a match.
    engineer_generic_first: Regex,
    cluster_count: Pat,
    cluster_reverse: Pat,
    bare_number: Regex,
    ml_data: Pat,
    hide_kubernetes: Pat,
    hide_objects: Pat,
    hide_distance: Pat,
    hide_no: Regex,
    /// ML or data teams said not to be (or to be) consumers, and the words that start a sentence
    /// about the teams of the sentence before.
    ml_excluded: Regex,
    ml_included: Regex,
    ml_previous: Regex,
    hide_who: Regex,
    hide_strong: Regex,
    hide_keep_from: Regex,
    /// Words that make a tenancy phrase about environments or accounts.
    tenancy_not_about: Regex,
    /// One-word tenancy answers, hard first.
    tenancy_answer: Vec<(Tenancy, Regex)>,
    /// A tenancy phrase that starts without its noun ("each is its own cluster").
    tenancy_pronoun: Regex,
    /// Words in a tenancy phrase that say whose it is.
    tenancy_about: Regex,
    /// Words just before or after a regime that undo it ("FedRAMP isn't relevant").
    constraint_undone: [Regex; 2],
    /// Words just before or after a tool the team runs that say they must keep it.
    investment: [Regex; 2],
    tenancy: Vec<(Tenancy, Pat)>,
    /// Tenant words, words that exclude sharing, and what is shared: all three say hard tenancy.
    tenancy_hard_pair: [Regex; 3],
    accounts: Vec<(AccountModel, Pat)>,
    account_count: Pat,
    account_noun: Regex,
    /// Referent words by the account model they imply, in the order they are tried.
    account_referents: Vec<(AccountModel, Regex)>,
    constraints: Vec<(Constraint, Pat)>,
    capability_ask: Pat,
    capabilities: Vec<(Capability, Pat)>,
    capabilities_bare: Vec<(Capability, Pat)>,
    capability_items: Regex,
    capability_item_words: usize,
    /// A phrase, the capability it names, and the capabilities not read inside it.
    capability_over: Vec<(Regex, Capability, Vec<Capability>)>,
    /// Two words near each other that say a capability or a constraint.
    near: Vec<Near>,
    env_names: Pat,
    env_ranks: Vec<u32>,
    env_words: Vec<bool>,
    env_keyword: Regex,
    env_single: Regex,
    env_unnamed_single: Regex,
    env_not_before: Regex,
    pain_cues: Pat,
    pain_weak: Pat,
    pain_anaphora: Regex,
    /// A sentence that calls itself the pain ("the ticket queue is the pain everyone names").
    pain_named: Pat,
    tenant_alias: Vec<Pat>,
    /// One-word nouns that count external tenants ("customers", "partners").
    tenant_words: Vec<String>,
    /// "each retailer", "every one": the word after each/every (group `noun`).
    each_noun: Regex,
    /// Words after each/every that are not a noun ("each one", "each of them", "each gets").
    each_pronoun: Regex,
    alias_stop: Regex,
    team_paren: Pat,
    team_nouns: Regex,
    /// A team noun anywhere.
    team_nouns_any: Pat,
    cluster_per_env: Regex,
    cluster_each: Pat,
    cluster_env_phrase: Pat,
    /// Words before or after a cluster count that make it the total ("so 4 in total").
    cluster_total: Regex,
    cluster_total_after: Regex,
    /// Words between a number and "clusters" that do not tell clusters apart ("3 EKS clusters").
    cluster_plain: Regex,
    /// "eks x3", "3 EKS:": clusters counted without the word (group `n`).
    cluster_eks: Vec<Regex>,
    /// "so 4 in total", "= 4": a total said without the noun, in a sentence about clusters.
    cluster_total_bare: Regex,
    /// The cluster noun anywhere in a segment.
    cluster_noun: Pat,
    cluster_named: Pat,
    constraint_not_before: Vec<(Constraint, Regex)>,
    display: Display,
    /// The literal gates of the patterns run segment by segment.
    gates: Gates,
}

/// Joins regex fragments into one alternation with word boundaries where the fragment starts or
/// ends with a word character.
fn alt(items: &[String]) -> String {
    let mut sorted: Vec<&String> = items.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    sorted
        .iter()
        .map(|s| bounded(s))
        .collect::<Vec<_>>()
        .join("|")
}

/// Word boundaries as ASCII boundaries: much faster (the DFA engines handle them on any text), and
/// every word the reader looks for is ASCII.
fn ascii_bounds(p: &str) -> String {
    p.replace(r"\b", r"(?-u:\b)")
}

fn bounded(s: &str) -> String {
    let first = s.chars().next().unwrap_or(' ');
    let last = s.chars().last().unwrap_or(' ');
    // (ASCII word boundaries: a word that starts or ends with "é" gets none there.)
    let b1 = first.is_ascii_alphanumeric() || first == '(' || first == '\\' || first == '[';
    let b2 = last.is_ascii_alphanumeric() || matches!(last, ')' | '?' | '*' | '+' | ']');
    format!(
        "{}(?:{s}){}",
        if b1 { r"\b" } else { "" },
        if b2 { r"\b" } else { "" }
    )
}

impl Reader {
    /// The project's `config/reading.toml`, compiled in.
    pub const EMBEDDED: &'static str = include_str!("../../../../config/reading.toml");

    /// Compiles and validates a `config/reading.toml` text.
    pub fn parse(text: &str) -> Result<Reader, LoadError> {
        let err = |m: String| LoadError::new(FILE, m);
        let f: File = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let re = |p: &str, what: &str| -> Result<Regex, LoadError> {
            Regex::new(&format!("(?i){}", ascii_bounds(p))).map_err(|e| err(format!("{what}: {e}")))
        };
        let alt_re = |items: &[String], what: &str| -> Result<Regex, LoadError> {
            if items.is_empty() {
                return Err(err(format!("{what}: the list is empty")));
            }
            for i in items {
                if i.trim().is_empty() {
                    return Err(err(format!("{what}: an entry is empty")));
                }
                Regex::new(i).map_err(|e| err(format!("{what}: {i:?}: {e}")))?;
            }
            re(&format!("(?:{})", alt(items)), what)
        };
        // The same, for patterns run segment by segment: each gets its literal gate.
        let gates = RefCell::new(GateBuilder::default());
        let pat = |p: &str, what: &str| -> Result<Pat, LoadError> {
            Ok(Pat {
                re: re(p, what)?,
                gate: gates.borrow_mut().add(&ascii_bounds(p)),
            })
        };
        let alt_pat = |items: &[String], what: &str| -> Result<Pat, LoadError> {
            Ok(Pat {
                re: alt_re(items, what)?,
                gate: gates
                    .borrow_mut()
                    .add(&ascii_bounds(&format!("(?:{})", alt(items)))),
            })
        };

        // Segmenting. The label pattern is searched without capture groups (a lazy DFA, no
        // backtracking over its hundreds of words); a match is then told apart by the first kind whose
        // own pattern matches all of it (the kind the whole pattern's leftmost-first alternation
        // would have chosen).
        // What may stand before a label's words (punctuation, a dash, a bullet), then filler
        // ("and", "honestly,") and bold marks; and the "is"/"are" that may end it instead of a colon.
        let punct = r"[.;,!?|(:]\s+|\s[-–—]\s+";
        let bullet = r"\s*(?:[-*•>#]+)\s*";
        let filler = r"(?:(?:and|also|then|so|honestly|frankly|basically|tbh|well|ok|okay|but|anyway)\s*,?\s+)?(?:\*\*|__)?";
        let is_end = r"\s+(?:is|are)\s";
        let label_with = |words: &str| {
            format!(
                r"(?m)(?:^|{punct}|^{bullet}){filler}(?:(?:(?:our|the|my|main|top|biggest|current|existing)\s+)*(?:{words})(?:\s+(?:today|now|currently|wise|so far|most|the most))?(?:\s*\([^)\n]{{0,24}}\))?)(?:\*\*|__)?(?:\s*(?:[:=?]|->|→|=>)|{is_end})\s*(?:\*\*|__)?"
            )
        };
        let mut label_words = Vec::new();
        let mut label_kinds = Vec::new();
        for (k, words) in &f.labels {
            let kind =
                Kind::from_id(k).ok_or_else(|| err(format!("labels: unknown kind {k:?}")))?;
            alt_re(words, &format!("labels.{k}"))?;
            let words = alt(words);
            label_kinds.push((
                re(&format!(r"\A(?:{})\z", label_with(&words)), "labels")?,
                kind,
            ));
            label_words.push(words);
        }
        let label_pattern = label_with(&label_words.join("|"));
        let label = re(&label_pattern, "labels")?;
        let label_gate = gates.borrow_mut().add_ranged(&ascii_bounds(&label_pattern));
        let mut order = Vec::new();
        for n in &f.numbered {
            order.push(
                Kind::from_id(n).ok_or_else(|| err(format!("numbered: unknown kind {n:?}")))?,
            );
        }
        let segmenter = Segmenter {
            label,
            label_gate,
            label_kinds,
            label_head: re(&format!(r"\A(?:{punct}|{bullet})?{filler}"), "labels")?,
            label_is: re(&format!(r"(?:\*\*|__)?{is_end}\s*(?:\*\*|__)?\z"), "labels")?,
            numbered: re(
                r"^\s*(?:(?:q|#|question\s*|\()?(?P<n>[1-9](?:\s*[.)]|\s*[:\-—–]|/\s|\x{FE0F}?\x{20E3})|[a-eA-E]\))|q(?P<qn>[1-9])\s)\s*",
                "numbered",
            )?,
            // Answers chained on one line: "1) x 2) y", "1/ x 2/ y", "q1: x q2: y", keycap digits.
            inline_numbered: re(
                r"(?:^|\s)(?:(?:\(|q|#)?(?P<n>[1-9])(?:[.)/]|:|\x{FE0F}?\x{20E3})|q(?P<qn>[1-9]))\s+",
                "numbered",
            )?,
            sentence_end: re(r"[.!?;]+(?:\s+|$)", "sentences")?,
            order,
            colon_only: re(&format!(r"^(?:{})$", alt(&f.colon_only)), "colon_only")?,
        };

        // Tools.
        let mut tools = Vec::new();
        let mut set_patterns = Vec::new();
        for t in &f.tool {
            let category = Category::from_id(&t.category).ok_or_else(|| {
                err(format!(
                    "tool {:?}: unknown category {:?}",
                    t.name, t.category
                ))
            })?;
            if t.name.trim().is_empty() {
                return Err(err("tool: a name is empty".into()));
            }
            let main = re(&bounded(&t.re), &format!("tool {:?}", t.name))?;
            let bare = t
                .bare
                .as_deref()
                .map(|b| re(&bounded(b), &format!("tool {:?} bare", t.name)))
                .transpose()?;
            let mut pat = bounded(&t.re);
            if let Some(b) = &t.bare {
                pat = format!("{pat}|{}", bounded(b));
            }
            set_patterns.push(pat);
            tools.push(Tool {
                name: t.name.clone(),
                category,
                re: main,
                bare,
            });
        }
        if tools.is_empty() {
            return Err(err("no [[tool]] entries".into()));
        }
        let tool_set = RegexSetBuilder::new(set_patterns.iter().map(|p| ascii_bounds(p)))
            .case_insensitive(true)
            .build()
            .map_err(|e| err(e.to_string()))?;

        // Numbers.
        if f.numbers.words.is_empty() {
            return Err(err("numbers.words is empty".into()));
        }
        let mut words: Vec<String> = f.numbers.words.keys().map(|w| regex::escape(w)).collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let approx = alt(&f.numbers.approx);
        let num = format!(
            r"(?:(?:{approx})\s*)?(?P<n>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?\s?k\b|\d+|\b(?:{})\b)\+?(?:\s?-?ish)?",
            words.join("|")
        );
        let num_plain = num.replace("(?P<n>", "(?:");
        // Counts of people, clusters and tenants do not start at an article ("a 30-person shop").
        let counted: Vec<String> = words
            .iter()
            .filter(|w| !matches!(w.as_str(), "a" | "an"))
            .cloned()
            .collect();
        let num_n = num.replace(&words.join("|"), &counted.join("|"));
        let number_words = f
            .numbers
            .words
            .iter()
            .map(|(k, v)| (k.to_lowercase(), *v))
            .collect();
        let t = &f.teams;
        let all_kinds: Vec<String> = [&t.app, &t.ml, &t.data, &t.platform, &t.external_tenants]
            .iter()
            .flat_map(|v| v.iter().cloned())
            .collect();
        let kind = alt(&all_kinds);
        let nouns = alt(&t.nouns);
        let sep = r"(?:\s*[,|/]\s*(?:and\s+)?|\s+and\s+|\s*&\s*|\s*\+\s*|\s+plus\s+)";
        let team_list = pat(
            &format!(
                r"(?:{num_plain}\s+(?:{kind})(?:\s+(?:{nouns}))?{sep})+{num_plain}\s+(?:{kind})\s+(?:{nouns})"
            ),
            "teams list",
        )?;
        let team_pair = pat(
            &format!(
                r"(?P<n>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?\s?k\b|\d+|\b(?:{})\b)\+?\s+\(?(?P<kind>{kind})",
                words.join("|")
            ),
            "teams pair",
        )?;
        // "28 app teams + 2 data", "50 teams, 4 ml": the first item names the noun, the others
        // only their kind.
        let team_list_tail = pat(
            &format!(
                r"{num_plain}\s+(?:(?:{kind})\s+)?(?:{nouns})(?:{sep}{num_plain}\s+(?:{kind})(?:\s+(?:{nouns}))?)+\b"
            ),
            "teams list tail",
        )?;
        // "ml 1", "data x1", "Teams: app 11 / data 2 / ml 1": a kind, then its count.
        let team_kind_num = re(
            &format!(
                r"\b(?P<kind>{kind})(?:\s+(?:{nouns}))?\s*(?:x\s?|:\s*|=\s*|\s)\s*(?P<n>\d+)\s*(?:[,;/|)]|$)"
            ),
            "team kind num",
        )?;
        let team_count = pat(
            &format!(
                r"{num}[\s-]+(?:(?P<pre>[a-z]+)\s+)??(?:(?:[a-z]+/)?(?P<kind>{kind})(?:\s*(?:/|&|\+|and|or)\s*(?:{kind}))?\s+)?(?:(?P<adj>[a-z][\w-]*)\s+)?(?:{nouns})\b(?:\s+(?:of|doing|for|in)\s+(?:the\s+)?(?P<of>{kind})|\s+(?P<post>{kind})(?:\s+(?:group|side|org)|\s*(?:[,;.)]|$)|\s+and\b))?"
            ),
            "team count",
        )?;
        let team_reverse = pat(
            &format!(
                r"(?:(?P<kind>{kind})\s+)?(?:{nouns})[:,]?\s+\(?\s*(?:they\s+|we\s+have\s+)?(?:are|is|=|:|count|total)?\s*\(?\s*(?:just\s+|only\s+)?{num}(?:\s+of\s+them)?\s*\)?"
            ),
            "team reverse",
        )?;
        let tenant_alias = t
            .tenant_alias
            .iter()
            .map(|p| pat(&bounded(p), "teams.tenant_alias"))
            .collect::<Result<Vec<_>, _>>()?;
        // "the ML research group (two teams)": the kind comes before the parenthesis.
        let team_paren = pat(
            &format!(r"(?P<kind>{kind})(?:\s+[\w-]+){{0,3}}\s*\(\s*{num}\s+(?:{nouns})\s*[),]"),
            "team paren",
        )?;
        let team_of = pat(
            &format!(
                r"{num}\s+(?:(?:{nouns})\s+)?(?:of\s+them\s+)?(?:are\s+|that\s+|who\s+)?(?:doing|of|make|making|do|working on|work on|building|build|develop|developing)\s+(?:the\s+)?(?P<kind2>{kind})"
            ),
            "team of",
        )?;
        let team_breakdown = pat(
            &format!(
                r"{num}\s+(?:(?:{nouns})|(?:{kind})\s+(?:{nouns}))(?:\s+(?:in\s+)?total)?\s*(?:\(|:\s|[-–—]\s)\s*(?P<list>[^()\n.;]{{3,90}})"
            ),
            "team breakdown",
        )?;
        // "platform team is just one team", "Platform: 1 team", "platform group of 2 teams": the kind
        // first, then a number of teams.
        let team_kind_first = pat(
            &format!(
                r"(?P<kind>{kind})(?:\s+(?:{nouns}))?(?:\s*(?:[:=]|->|→)\s*|\s+(?:is|are|of|with|has|x)\s+)(?:(?:just|only|also)\s+)?{num}\s+(?:(?:central|small|core|tiny|dedicated|shared|separate|internal)\s+)?(?:{nouns})\b"
            ),
            "team kind first",
        )?;
        // A single team named just before a people count: the count is that team's size.
        let team_size = re(
            &format!(
                r"\b(?:{})\s*(?:[(:=]|->|→|of|with|is|has)?\s*(?:just\s+|only\s+|about\s+|~\s*)?$",
                t.nouns
                    .iter()
                    .map(|n| n.trim_end_matches("s?"))
                    .collect::<Vec<_>>()
                    .join("|")
            ),
            "team size",
        )?;
        let team_not_after = re(
            &format!(r"^\s*(?:{})", alt(&t.not_after)),
            "teams.not_after",
        )?;
        let mut kind_words = Vec::new();
        for (k, list) in [
            (TeamKind::App, &t.app),
            (TeamKind::Ml, &t.ml),
            (TeamKind::Data, &t.data),
            (TeamKind::Platform, &t.platform),
            (TeamKind::ExternalTenants, &t.external_tenants),
        ] {
            kind_words.push((k, re(&format!("^(?:{})$", alt(list)), "team kind")?));
        }
        let tenant_count = pat(
            &format!(
                r"{num_n}\s+(?:[\w-]+\s+){{0,2}}(?:{})",
                alt(&t.tenant_nouns)
            ),
            "tenant count",
        )?;
        // "customers (currently 27 of them)".
        let tenant_paren = re(
            &format!(
                r"(?:{})\s*\(\s*(?:currently|about|around|now|today|roughly)?\s*{num_n}(?:\s+of\s+them)?\s*\)",
                alt(&t.tenant_nouns)
            ),
            "tenant paren",
        )?;
        let engineer_count = pat(
            &format!(
                r"{num_n}[\s-]+(?:(?P<adj>[\w/-]+)\s+)?(?:{})",
                alt(&t.engineer_nouns)
            ),
            "engineer count",
        )?;
        let engineer_reverse = pat(
            &format!(
                r"(?:{nouns})(?:(?P<sep>\s*(?:(?:are|:|=|is|total|count|~|\()\s*)+(?:about\s+|around\s+|roughly\s+)?)|\s+){num_n}",
                nouns = alt(&t.engineer_nouns)
            ),
            "engineer reverse",
        )?;
        let cluster_count = pat(
            &format!(
                r"{num_n}\s+(?P<qual>(?:[\w-]+\s+){{0,2}}?)(?:{})(?P<per>\s+(?:per|for each|for every|each|in each)\b(?:\s+(?P<dim>[a-z-]+(?:\s+[a-z-]+)?))?)?",
                alt(&t.cluster_nouns)
            ),
            "cluster count",
        )?;
        let cluster_reverse = pat(
            &format!(
                r"(?:{})\s*(?:are|:|=|is|we have|we run|total|count)\s*{num_n}",
                alt(&t.cluster_nouns)
            ),
            "cluster reverse",
        )?;
        let bare_number = re(&num, "number")?;

        let c = &f.cues;
        let cues = [
            (Cue::Negate, alt_pat(&c.negate, "cues.negate")?),
            (Cue::Want, alt_pat(&c.want, "cues.want")?),
            (Cue::Have, alt_pat(&c.have, "cues.have")?),
        ];

        let mut tenancy = Vec::new();
        for (k, list) in &f.tenancy {
            let t = Tenancy::from_id(k).ok_or_else(|| err(format!("tenancy: unknown {k:?}")))?;
            tenancy.push((t, alt_pat(list, &format!("tenancy.{k}"))?));
        }
        tenancy.sort_by_key(|(t, _)| *t != Tenancy::Hard);
        let mut tenancy_answer = Vec::new();
        for (k, list) in &f.tenancy_answer {
            let t =
                Tenancy::from_id(k).ok_or_else(|| err(format!("tenancy_answer: unknown {k:?}")))?;
            tenancy_answer.push((
                t,
                re(&format!(r"^\W*(?:{})\b", alt(list)), "tenancy_answer")?,
            ));
        }
        tenancy_answer.sort_by_key(|(t, _)| *t != Tenancy::Hard);
        let hp = &f.tenancy_hard_pair;
        let tenancy_hard_pair = [
            alt_re(&hp.who, "tenancy_hard_pair.who")?,
            alt_re(&hp.exclusive, "tenancy_hard_pair.exclusive")?,
            alt_re(&hp.what, "tenancy_hard_pair.what")?,
        ];
        let mut accounts = Vec::new();
        for (k, list) in &f.accounts.models {
            let a =
                AccountModel::from_id(k).ok_or_else(|| err(format!("accounts: unknown {k:?}")))?;
            let list: Vec<String> = list
                .iter()
                .map(|p| p.replace("{acct}", &f.accounts.noun))
                .collect();
            accounts.push((a, alt_pat(&list, &format!("accounts.{k}"))?));
        }
        let account_count = pat(&format!(r"{num}\s+{}", f.accounts.noun), "accounts count")?;
        let account_noun = re(&f.accounts.noun, "accounts.noun")?;
        let r = &f.account_referents;
        let account_referents = vec![
            (
                AccountModel::PerTenant,
                alt_re(&r.tenant, "account_referents.tenant")?,
            ),
            (
                AccountModel::PerTeam,
                alt_re(&r.team, "account_referents.team")?,
            ),
            (
                AccountModel::Multi,
                alt_re(&r.env, "account_referents.env")?,
            ),
            (
                AccountModel::Single,
                alt_re(&r.single, "account_referents.single")?,
            ),
            (
                AccountModel::Multi,
                alt_re(&r.several, "account_referents.several")?,
            ),
        ];
        let rank = |a: &AccountModel| match a {
            AccountModel::PerTenant => 0,
            AccountModel::PerTeam => 1,
            AccountModel::Multi => 2,
            AccountModel::Single => 3,
        };
        accounts.sort_by_key(|(a, _)| rank(a));
        // `{place}` in a constraint or near pattern: the places data may be required to stay in.
        let placed = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|p| p.replace("{place}", &f.places))
                .collect()
        };
        let mut constraints = Vec::new();
        for (k, list) in &f.constraints {
            let c =
                Constraint::from_id(k).ok_or_else(|| err(format!("constraints: unknown {k:?}")))?;
            constraints.push((c, alt_pat(&placed(list), &format!("constraints.{k}"))?));
        }
        let mut constraint_not_before = Vec::new();
        for (k, list) in &f.constraint_not_before {
            let c = Constraint::from_id(k)
                .ok_or_else(|| err(format!("constraint_not_before: unknown {k:?}")))?;
            constraint_not_before.push((
                c,
                re(
                    &format!(r"^\s*(?:{})\b", alt(list)),
                    &format!("constraint_not_before.{k}"),
                )?,
            ));
        }
        let mut capabilities = Vec::new();
        let mut capability_ask = None;
        for (k, list) in &f.capabilities {
            if k == "ask" {
                capability_ask = Some(alt_pat(list, "capabilities.ask")?);
                continue;
            }
            let c = Capability::from_id(k)
                .ok_or_else(|| err(format!("capabilities: unknown {k:?}")))?;
            // A capability's own two-word id ("ship_service", "ml-jobs", as the contract and a
            // team copying it write them) names it too.
            let mut list = list.clone();
            if k.contains('_') {
                list.push(format!("{}s?", k.replace('_', "[_ -]")));
            }
            capabilities.push((c, alt_pat(&list, &format!("capabilities.{k}"))?));
        }
        let mut capabilities_bare = Vec::new();
        for (k, list) in &f.capabilities_bare {
            let c = Capability::from_id(k)
                .ok_or_else(|| err(format!("capabilities_bare: unknown {k:?}")))?;
            capabilities_bare.push((c, alt_pat(list, &format!("capabilities_bare.{k}"))?));
        }
        let capability_ask =
            capability_ask.ok_or_else(|| err("capabilities.ask is missing".into()))?;

        let e = &f.environments;
        if e.names.is_empty() {
            return Err(err("environments.names is empty".into()));
        }
        let env_names = pat(
            &e.names
                .iter()
                .enumerate()
                .map(|(i, n)| format!(r"\b(?P<e{i}>{})\b", n.re))
                .collect::<Vec<_>>()
                .join("|"),
            "environments.names",
        )?;

        let d = &f.display;
        let map = |m: &BTreeMap<String, String>,
                   what: &str|
         -> Result<BTreeMap<String, String>, LoadError> {
            if m.is_empty() {
                return Err(err(format!("display.{what} is empty")));
            }
            Ok(m.clone())
        };
        let display = Display {
            teams: keyed(
                &map(&d.teams, "teams")?,
                TeamKind::ALL,
                |k| k.id(),
                "teams",
                &err,
            )?,
            capabilities: keyed(
                &map(&d.capabilities, "capabilities")?,
                Capability::ALL,
                |k| k.id(),
                "capabilities",
                &err,
            )?,
            constraints: keyed(
                &map(&d.constraints, "constraints")?,
                Constraint::ALL,
                |k| k.id(),
                "constraints",
                &err,
            )?,
            categories: keyed(
                &map(&d.categories, "categories")?,
                Category::ALL,
                |k| k.id(),
                "categories",
                &err,
            )?,
            accounts: keyed(
                &map(&d.accounts, "accounts")?,
                AccountModel::ALL,
                |k| k.id(),
                "accounts",
                &err,
            )?,
            tenancy: keyed(
                &map(&d.tenancy, "tenancy")?,
                Tenancy::ALL,
                |k| k.id(),
                "tenancy",
                &err,
            )?,
            engineers: d.engineers.clone(),
            clusters: d.clusters.clone(),
            environments: d.environments.clone(),
            ml_data: d.ml_data.clone(),
            ml_data_off: d.ml_data_off.clone(),
            hide_kubernetes: d.hide_kubernetes.clone(),
            greenfield: d.greenfield.clone(),
            wanted: d.wanted.clone(),
        };

        let sp = &f.spelling;
        if sp.min_len < 4
            || sp
                .words
                .iter()
                .chain(&sp.keep)
                .any(|w| !w.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(err(
                "spelling: min_len is at least 4 and every word is plain ASCII letters".into(),
            ));
        }
        let cap = |k: &str| {
            Capability::from_id(k).ok_or_else(|| err(format!("capability_over: unknown {k:?}")))
        };
        let capability_over = f
            .capability_over
            .iter()
            .map(|o| {
                Ok((
                    re(&o.phrase, "capability_over")?,
                    cap(&o.is)?,
                    o.not
                        .iter()
                        .map(|k| cap(k))
                        .collect::<Result<Vec<_>, _>>()?,
                ))
            })
            .collect::<Result<Vec<_>, LoadError>>()?;
        let leaning = re(
            &format!(r"(?:{})\W*$", alt(&f.cues.leaning)),
            "cues.leaning",
        )?;
        let main_after = re(
            &format!(r"^[^\n]{{0,30}}?(?:{})", f.cues.main_after.join("|")),
            "cues.main_after",
        )?;
        let near = f
            .near
            .iter()
            .map(|n| {
                let is = match n.is.split_once(':') {
                    Some(("capability", id)) => Capability::from_id(id).map(NearFact::Capability),
                    Some(("constraint", id)) => Constraint::from_id(id).map(NearFact::Constraint),
                    _ => None,
                }
                .ok_or_else(|| err(format!("near: unknown {:?}", n.is)))?;
                Ok(Near {
                    is,
                    first: alt_pat(&placed(&n.first), "near.first")?,
                    then: alt_re(&placed(&n.then), "near.then")?,
                    within: n.within,
                })
            })
            .collect::<Result<Vec<_>, LoadError>>()?;
        Ok(Reader {
            near,
            main_after,
            leaning,
            speller: spell::Speller::new(&sp.words, &sp.keep, sp.min_len),
            segmenter,
            tools,
            tool_set,
            cues,
            want_after: alt_re(&c.want_after, "cues.want_after")?,
            negate_after: alt_re(&c.negate_after, "cues.negate_after")?,
            migration: alt_re(&c.migration, "cues.migration")?,
            migration_done: alt_re(&c.migration_done, "cues.migration_done")?,
            negation_stops: alt_re(&c.negation_stops, "cues.negation_stops")?,
            migration_from: alt_re(&c.migration_from, "cues.migration_from")?,
            migration_to: alt_re(&c.migration_to, "cues.migration_to")?,
            clause_breaks: re(&c.clause_breaks.join("|"), "cues.clause_breaks")?,
            negation_window: c.negation_window,
            nothing_answer: pat(&f.nothing.answer, "nothing.answer")?,
            nothing_stack: pat(&f.nothing.stack, "nothing.stack")?,
            nothing_constraints: pat(&f.nothing.constraints, "nothing.constraints")?,
            number_words,
            team_list,
            team_pair,
            team_count,
            team_reverse,
            team_of,
            team_breakdown,
            team_kind_first,
            team_list_tail,
            team_kind_num,
            team_size,
            people_after: re(
                &format!(
                    r"^\s*-?\s*(?:(?:{})|members?|of us)\b",
                    alt(&t.engineer_generic)
                ),
                "teams.engineer_generic",
            )?,
            team_not_after,
            kind_words,
            tenant_count,
            tenant_paren,
            engineer_count,
            engineer_reverse,
            engineer_generic: re(
                &format!(r"(?:{})$", alt(&t.engineer_generic)),
                "teams.engineer_generic",
            )?,
            engineer_generic_first: re(
                &format!(r"^(?:{})", alt(&t.engineer_generic)),
                "teams.engineer_generic",
            )?,
            cluster_count,
            cluster_reverse,
            bare_number,
            ml_data: alt_pat(&f.ml_data.consumers, "ml_data.consumers")?,
            hide_kubernetes: alt_pat(&f.hide_kubernetes.yes, "hide_kubernetes.yes")?,
            hide_objects: alt_pat(&f.hide_kubernetes.objects, "hide_kubernetes.objects")?,
            hide_distance: alt_pat(&f.hide_kubernetes.distance, "hide_kubernetes.distance")?,
            hide_no: alt_re(&f.hide_kubernetes.no, "hide_kubernetes.no")?,
            ml_excluded: alt_re(&f.ml_data.excluded, "ml_data.excluded")?,
            ml_included: alt_re(&f.ml_data.included, "ml_data.included")?,
            ml_previous: re(
                &format!(r"^\W*(?:{})\b", alt(&f.ml_data.about_previous)),
                "ml_data.about_previous",
            )?,
            hide_who: alt_re(&f.hide_kubernetes.who, "hide_kubernetes.who")?,
            hide_strong: alt_re(
                &f.hide_kubernetes.strong_objects,
                "hide_kubernetes.strong_objects",
            )?,
            hide_keep_from: alt_re(&f.hide_kubernetes.keep_from, "hide_kubernetes.keep_from")?,
            tenancy_not_about: alt_re(&f.tenancy_not_about.words, "tenancy_not_about.words")?,
            tenancy_answer,
            constraint_undone: [
                re(
                    &format!(r"(?:{})\W{{0,3}}$", alt(&f.constraint_undone.before)),
                    "constraint_undone.before",
                )?,
                re(
                    &format!(
                        r"^\W{{0,3}}(?:(?:is|are|was|were|still)\s+)?(?:{})",
                        alt(&f.constraint_undone.after)
                    ),
                    "constraint_undone.after",
                )?,
            ],
            investment: [
                re(
                    &format!(
                        r"(?:{})\s+(?:our |the |using |existing |all )?$",
                        alt(&f.investment.before)
                    ),
                    "investment.before",
                )?,
                re(
                    &format!(r"^[^.;\n]{{0,40}}?(?:{})", alt(&f.investment.after)),
                    "investment.after",
                )?,
            ],
            tenancy_about: alt_re(&f.tenancy_not_about.about, "tenancy_not_about.about")?,
            tenancy_pronoun: re(
                &format!(r"^(?:{})", alt(&f.tenancy_not_about.pronoun)),
                "tenancy_not_about.pronoun",
            )?,
            tenancy,
            tenancy_hard_pair,
            accounts,
            account_count,
            account_noun,
            account_referents,
            constraints,
            capability_ask,
            capabilities,
            capabilities_bare,
            capability_items: re(&f.capability_items.join("|"), "capability_items")?,
            capability_item_words: f.capability_item_words,
            capability_over,
            env_names,
            env_ranks: e.names.iter().map(|n| n.rank).collect(),
            env_words: e.names.iter().map(|n| n.word).collect(),
            env_keyword: alt_re(&e.keyword, "environments.keyword")?,
            env_single: alt_re(&e.single_cue, "environments.single_cue")?,
            env_unnamed_single: alt_re(&e.unnamed_single, "environments.unnamed_single")?,
            env_not_before: re(
                &format!(r"^[\s-]*(?:{})\b", alt(&e.not_before)),
                "environments.not_before",
            )?,
            pain_cues: alt_pat(&f.pain.cues, "pain.cues")?,
            pain_weak: alt_pat(&f.pain.weak, "pain.weak")?,
            pain_anaphora: re(
                &format!(r"^\W*(?:{})\W*$", alt(&f.pain.anaphora)),
                "pain.anaphora",
            )?,
            pain_named: alt_pat(&f.pain.named, "pain.named")?,
            tenant_alias,
            each_noun: re(
                r"\b(?:each|every)\s+(?P<noun>[a-z]+)(?:\s+(?P<noun2>[a-z]+))?",
                "each noun",
            )?,
            each_pronoun: re(
                r"^(?:one|of|gets?|has|have|is|in|with|on|must|needs?|will|runs?|lives?)$",
                "each pronoun",
            )?,
            tenant_words: t
                .tenant_nouns
                .iter()
                .filter(|n| n.chars().all(|c| c.is_ascii_alphabetic()))
                .cloned()
                .collect(),
            alias_stop: re(
                &format!(r"^(?:{}|{})$", alt(&t.engineer_nouns), alt(&t.alias_stop)),
                "alias stop words",
            )?,
            team_paren,
            team_nouns: re(&format!(r"^\s*(?:{})\b", alt(&t.nouns)), "teams.nouns")?,
            team_nouns_any: alt_pat(&t.nouns, "teams.nouns")?,
            cluster_per_env: alt_re(&t.cluster_per_env, "teams.cluster_per_env")?,
            cluster_env_phrase: alt_pat(&t.cluster_env_phrases, "teams.cluster_env_phrases")?,
            cluster_total: re(
                &format!(r"(?:{})\W*$", alt(&t.cluster_total)),
                "teams.cluster_total",
            )?,
            cluster_total_after: re(
                &format!(r"^\W*(?:{})", alt(&t.cluster_total_after)),
                "teams.cluster_total_after",
            )?,
            cluster_plain: re(
                &format!(r"^(?:{})$", alt(&t.cluster_plain)),
                "teams.cluster_plain",
            )?,
            cluster_eks: t
                .cluster_eks
                .iter()
                .map(|p| re(p, "teams.cluster_eks"))
                .collect::<Result<Vec<_>, _>>()?,
            cluster_noun: alt_pat(&t.cluster_nouns, "teams.cluster_nouns")?,
            cluster_total_bare: re(
                &format!(
                    r"(?:\bso\b|=|\btotal(?:\s+of)?:?|\bin total:?)\s*{num_n}(?:\s+(?:in total|total|altogether|clusters?))?\s*(?:[,.;)]|$)"
                ),
                "cluster total",
            )?,
            cluster_each: pat(
                &format!(
                    r"(?:one|a|1)\s+(?:eks\s+|k8s\s+)?cluster\s+(?:in|per|for)\s+(?:each|every)\s+(?:of\s+)?(?:our\s+|the\s+|those\s+|these\s+)?{num}"
                ),
                "cluster each",
            )?,
            cluster_named: pat(
                &format!(
                    r"\b(?P<env>{})\s+(?:eks\s+|k8s\s+)?cluster\b",
                    e.names
                        .iter()
                        .map(|n| n.re.as_str())
                        .collect::<Vec<_>>()
                        .join("|")
                ),
                "cluster named",
            )?,
            constraint_not_before,
            display,
            gates: gates.into_inner().build(),
        })
    }

    /// Parses a number as written ("12", "~80", "1.5k", "1,200", "twelve", "a dozen").
    fn number(&self, s: &str) -> Option<u32> {
        let t = s.trim().to_lowercase();
        if let Some(v) = self.number_words.get(&t) {
            return Some(*v);
        }
        let t = t.replace(',', "");
        if let Some(k) = t.strip_suffix('k') {
            let v: f64 = k.trim().parse().ok()?;
            return Some((v * 1000.0).round() as u32);
        }
        t.parse::<f64>().ok().map(|v| v as u32)
    }

    /// The team kind a word names.
    fn kind_of(&self, w: &str) -> Option<TeamKind> {
        let w = w.trim();
        let find = |w: &str| {
            self.kind_words
                .iter()
                .find(|(_, r)| r.is_match(w))
                .map(|(k, _)| *k)
        };
        find(w).or_else(|| w.rsplit('/').find_map(find))
    }
}

fn keyed<K: Ord + Copy>(
    m: &BTreeMap<String, String>,
    all: &[K],
    id: impl Fn(K) -> &'static str,
    what: &str,
    err: &impl Fn(String) -> LoadError,
) -> Result<BTreeMap<K, String>, LoadError> {
    let mut out = BTreeMap::new();
    for k in all {
        let v = m
            .get(id(*k))
            .ok_or_else(|| err(format!("display.{what}: missing {:?}", id(*k))))?;
        out.insert(*k, v.clone());
    }
    for k in m.keys() {
        if !all.iter().any(|a| id(*a) == k) {
            return Err(err(format!("display.{what}: unknown {k:?}")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
