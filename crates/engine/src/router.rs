//! The intent classifier: maps a message onto the workflow's routing table.
//!
//! The table is data (`config/routing.toml`). Every rule is a regex with a weight; all of them are
//! compiled once into one [`RegexSet`] so a message is scanned in a single pass. The result is a
//! [`RouteTrace`]: the chosen mode, a score per mode and the rules that fired, which is what `why`
//! shows and what the clarifying question is built from when two modes tie.

use std::collections::BTreeMap;

use regex::{Regex, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};

use super::state::{Mode, Slot};
use crate::error::LoadError;

/// How a mode enters and runs (from `config/routing.toml`).
#[derive(Debug, Clone)]
pub struct ModeSpec {
    /// The mode.
    pub mode: Mode,
    /// Human title.
    pub title: String,
    /// Phases the mode runs, in order.
    pub phases: Vec<u8>,
    /// How the mode runs Phase 1.
    pub phase1: Phase1,
    /// Whether Phase 4 grades the plan against the Quality Checklist (else it shows the metrics).
    pub checklist: bool,
    /// The Phase 1 inputs this mode asks for.
    pub inputs: Vec<Slot>,
    /// The Defaults-table rows this mode decides.
    pub rows: Vec<String>,
    /// Facts the mode itself implies (the AI/ML mode implies ML consumers).
    pub facts: Vec<String>,
    /// What the engagement is scoped to, for the routing explanation.
    pub focus: String,
    /// The knowledge topics (replies/knowledge) whose next steps close the engagement.
    pub topics: Vec<String>,
}

/// How a mode runs Phase 1 (`phase1` in `config/routing.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase1 {
    /// All five inputs are asked, then the Phase 1 gate.
    Full,
    /// The mode's own inputs are asked, then the Phase 1 gate.
    Abbreviated,
    /// No Phase 1: the mode enters at its first phase with what the first message said.
    None,
}

impl ModeSpec {
    /// The phase the mode enters at.
    pub fn entry(&self) -> u8 {
        // Router::parse refuses a mode without phases.
        self.phases[0]
    }

    /// The mode's last phase: its output awaits the team's reaction.
    pub fn last(&self) -> u8 {
        self.phases[self.phases.len() - 1]
    }

    /// The phase after `phase` in this mode, if any.
    pub fn next(&self, phase: u8) -> Option<u8> {
        self.phases.iter().copied().find(|p| *p > phase)
    }

    /// True when the mode asks Phase 1 questions (full or abbreviated).
    pub fn asks_phase1(&self) -> bool {
        self.phase1 != Phase1::None
    }
}

/// One thing the router went by: the rule's id, which code and tests match on, and what it means in
/// words, which is what people read. It compares and matches like its id (`==`, `starts_with` and
/// the other `str` methods) and displays as its words, so explanations never show rule ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ReasonRepr", into = "ReasonRepr")]
pub struct Reason {
    /// The internal id, `mode/rule` (`portal/backstage`, `context/stack-clause-ignored`).
    pub rule: String,
    /// What it means, from `config/routing.toml` (empty for ids pushed without words).
    pub say: String,
}

impl Reason {
    /// A reason with its words.
    pub fn new(rule: impl Into<String>, say: impl Into<String>) -> Reason {
        Reason {
            rule: rule.into(),
            say: say.into(),
        }
    }
}

impl std::ops::Deref for Reason {
    type Target = str;
    fn deref(&self) -> &str {
        &self.rule
    }
}

impl PartialEq<str> for Reason {
    fn eq(&self, other: &str) -> bool {
        self.rule == other
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.say.is_empty() {
            &self.rule
        } else {
            &self.say
        })
    }
}

impl From<String> for Reason {
    fn from(rule: String) -> Reason {
        Reason::new(rule, String::new())
    }
}

impl From<&str> for Reason {
    fn from(rule: &str) -> Reason {
        Reason::new(rule, String::new())
    }
}

/// Stored form: a bare id (records written before reasons had words) or the id with its words.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ReasonRepr {
    Id(String),
    Said { rule: String, say: String },
}

impl From<ReasonRepr> for Reason {
    fn from(r: ReasonRepr) -> Reason {
        match r {
            ReasonRepr::Id(rule) => Reason::from(rule),
            ReasonRepr::Said { rule, say } => Reason::new(rule, say),
        }
    }
}

impl From<Reason> for ReasonRepr {
    fn from(r: Reason) -> ReasonRepr {
        if r.say.is_empty() {
            ReasonRepr::Id(r.rule)
        } else {
            ReasonRepr::Said {
                rule: r.rule,
                say: r.say,
            }
        }
    }
}

/// The reasons of one routing decision, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fired(Vec<Reason>);

impl Fired {
    /// Adds a reason (an id alone becomes a reason without words).
    pub fn push(&mut self, r: impl Into<Reason>) {
        self.0.push(r.into());
    }
}

impl std::ops::Deref for Fired {
    type Target = [Reason];
    fn deref(&self) -> &[Reason] {
        &self.0
    }
}

/// Why a message went where it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteTrace {
    /// The chosen mode.
    pub mode: Mode,
    /// Score per mode id, in routing-table order (only modes that scored).
    pub scores: Vec<(String, f64)>,
    /// What fired: rule ids (`mode/rule`) with the words that explain them.
    pub fired: Fired,
    /// The best other mode, if any scored.
    pub runner_up: Option<Mode>,
    /// The modes that tied, when the result is `unclear`.
    pub tied: Vec<Mode>,
}

impl Eq for RouteTrace {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: String,
    re: String,
    w: f64,
    /// Generic evidence ("our platform"): weighs `generic_factor` as much when another engagement
    /// mode has a topic of its own.
    #[serde(default)]
    generic: bool,
    /// What the rule means, in words a user reads (`why` and the routing explanation).
    #[serde(default)]
    say: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeFile {
    id: String,
    title: String,
    phases: Vec<u8>,
    phase1: Phase1,
    checklist: bool,
    inputs: Vec<String>,
    rows: Vec<String>,
    #[serde(default)]
    facts: Vec<String>,
    focus: String,
    topics: Vec<String>,
    /// A question about this mode's topic that is not a "what is <term>?" question is answered by the
    /// mode itself (the measuring-success summary) rather than as a concept question.
    #[serde(default)]
    answers_questions: bool,
    rules: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    min_score: f64,
    tie_margin: f64,
    concept_alias_weight: f64,
    request_threshold: f64,
    breadth_bonus: f64,
    generic_factor: f64,
    topic_cap: f64,
    context: String,
    context_keep: String,
    not_asked: String,
    term_question: String,
    /// Breadth phrases ("the whole thing", "end to end"): `breadth_weight` goes to `full_build`.
    /// Those that name what they go beyond ("not just a portal", "everything from portal to
    /// delivery", `breadth_beyond`) are also removed, so the piece they name does not count.
    breadth: String,
    breadth_beyond: String,
    breadth_weight: f64,
    breadth_say: String,
    /// Consumer lists that name app teams together with ML or data teams: who the platform serves,
    /// not what is asked. Replaced by the marker `allconsumers`; `mixed_consumers_weight` goes to
    /// `full_build`.
    mixed_consumers: String,
    mixed_consumers_weight: f64,
    mixed_consumers_say: String,
    /// ML or data teams named as people ("our data scientists"): replaced by the marker
    /// `mlconsumers` (rules may name it: "extend the platform for mlconsumers"), and
    /// `ml_consumers_weight` goes to `ai_ml` once, however many ways they are named.
    ml_consumers: String,
    ml_consumers_weight: f64,
    ml_consumers_say: String,
    /// Symptoms (the `[[symptom]]` rules, summed) at or above `symptom_min` that outweigh the
    /// request (`symptom_factor` x symptoms > request) make the message a troubleshooting
    /// question: out of scope, whatever tool it names.
    symptom_min: f64,
    symptom_factor: f64,
    symptom_say: String,
    /// Phrases for the router's own decisions, shown by `why`.
    say: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingFile {
    settings: Settings,
    mode: Vec<ModeFile>,
    request: Vec<RuleFile>,
    concept: Vec<RuleFile>,
    out_of_scope: Vec<RuleFile>,
    symptom: Vec<RuleFile>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Mode(Mode),
    Request,
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    target: Target,
    weight: f64,
    generic: bool,
    say: String,
}

/// The compiled routing table.
#[derive(Debug, Clone)]
pub struct Router {
    set: RegexSet,
    rules: Vec<Rule>,
    specs: Vec<ModeSpec>,
    min_score: f64,
    tie_margin: f64,
    concept_alias_weight: f64,
    request_threshold: f64,
    breadth_bonus: f64,
    generic_factor: f64,
    topic_cap: f64,
    question_modes: Vec<Mode>,
    context: Regex,
    context_keep: Regex,
    not_asked: Regex,
    term_question: Regex,
    breadth: (Regex, f64, String),
    breadth_beyond: Regex,
    mixed_consumers: (Regex, f64, String),
    ml_consumers: (Regex, f64, String),
    symptom_set: RegexSet,
    symptoms: Vec<Rule>,
    symptom_min: f64,
    symptom_factor: f64,
    symptom_say: String,
    say: BTreeMap<String, String>,
}

impl Router {
    /// Parses and compiles `config/routing.toml` text.
    pub fn parse(text: &str) -> Result<Router, LoadError> {
        let file: RoutingFile = toml::from_str(text)
            .map_err(|e| LoadError::new("config/routing.toml", e.to_string()))?;
        let mut patterns = Vec::new();
        let mut rules = Vec::new();
        let mut specs = Vec::new();
        let err = |msg: String| LoadError::new("config/routing.toml", msg);
        for m in &file.mode {
            let mode = Mode::from_id(&m.id)
                .filter(|m| m.is_engagement())
                .ok_or_else(|| err(format!("unknown mode {:?}", m.id)))?;
            let inputs = m
                .inputs
                .iter()
                .map(|s| {
                    Slot::from_id(s)
                        .ok_or_else(|| err(format!("mode {}: unknown input {s:?}", m.id)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if m.phases.is_empty() || m.phases.iter().any(|p| !(1..=4).contains(p)) {
                return Err(err(format!("mode {}: phases must be within 1-4", m.id)));
            }
            if m.phases.windows(2).any(|w| w[0] >= w[1]) {
                return Err(err(format!("mode {}: phases must ascend", m.id)));
            }
            if (m.phase1 == Phase1::None) == (m.phases[0] == 1) {
                return Err(err(format!(
                    "mode {}: a mode enters at phase 1 exactly when it runs Phase 1 (phase1 full or abbreviated)",
                    m.id
                )));
            }
            specs.push(ModeSpec {
                mode,
                title: m.title.clone(),
                phases: m.phases.clone(),
                phase1: m.phase1,
                checklist: m.checklist,
                inputs,
                rows: m.rows.clone(),
                facts: m.facts.clone(),
                focus: m.focus.clone(),
                topics: m.topics.clone(),
            });
            for r in &m.rules {
                patterns.push(r.re.clone());
                rules.push(Rule {
                    name: format!("{}/{}", m.id, r.name),
                    target: Target::Mode(mode),
                    weight: r.w,
                    generic: r.generic,
                    say: r.say.clone(),
                });
            }
        }
        for mode in Mode::ALL.into_iter().filter(|m| m.is_engagement()) {
            if !specs.iter().any(|s| s.mode == mode) {
                return Err(err(format!("mode {} is missing", mode.id())));
            }
        }
        let groups: [(&[RuleFile], Target, &str); 3] = [
            (&file.request, Target::Request, "request"),
            (&file.concept, Target::Mode(Mode::Concept), "concept"),
            (
                &file.out_of_scope,
                Target::Mode(Mode::OutOfScope),
                "out_of_scope",
            ),
        ];
        for (list, target, prefix) in groups {
            for r in list {
                patterns.push(r.re.clone());
                if r.generic {
                    return Err(err(format!(
                        "rule {prefix}/{}: only engagement-mode rules can be generic",
                        r.name
                    )));
                }
                rules.push(Rule {
                    name: format!("{prefix}/{}", r.name),
                    target,
                    weight: r.w,
                    generic: false,
                    say: r.say.clone(),
                });
            }
        }
        let mut symptoms = Vec::new();
        let mut symptom_patterns = Vec::new();
        for r in &file.symptom {
            if r.generic {
                return Err(err(format!(
                    "rule out_of_scope/symptom-{}: only engagement-mode rules can be generic",
                    r.name
                )));
            }
            symptom_patterns.push(r.re.clone());
            symptoms.push(Rule {
                // Symptoms are out-of-scope evidence: callers that ask whether an out-of-scope
                // rule fired (`out_of_scope/...`) see them too.
                name: format!("out_of_scope/symptom-{}", r.name),
                target: Target::Mode(Mode::OutOfScope),
                weight: r.w,
                generic: false,
                say: r.say.clone(),
            });
        }
        for (p, r) in patterns
            .iter()
            .zip(&rules)
            .chain(symptom_patterns.iter().zip(&symptoms))
        {
            Regex::new(&format!("(?i){p}")).map_err(|e| err(format!("rule {}: {e}", r.name)))?;
            if r.say.trim().is_empty() {
                return Err(err(format!(
                    "rule {}: needs `say`, the words `why` shows for it",
                    r.name
                )));
            }
        }
        let symptom_set = RegexSetBuilder::new(&symptom_patterns)
            .case_insensitive(true)
            .size_limit(16 << 20)
            .build()
            .map_err(|e| err(e.to_string()))?;
        let settings = &file.settings;
        let compile = |name: &str, re: &str| {
            Regex::new(&format!("(?i){re}")).map_err(|e| err(format!("settings.{name}: {e}")))
        };
        let set = RegexSetBuilder::new(&patterns)
            .case_insensitive(true)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| err(e.to_string()))?;
        Ok(Router {
            set,
            rules,
            specs,
            min_score: file.settings.min_score,
            tie_margin: file.settings.tie_margin,
            concept_alias_weight: file.settings.concept_alias_weight,
            request_threshold: file.settings.request_threshold,
            breadth_bonus: file.settings.breadth_bonus,
            generic_factor: file.settings.generic_factor,
            topic_cap: file.settings.topic_cap,
            question_modes: file
                .mode
                .iter()
                .filter(|m| m.answers_questions)
                .filter_map(|m| Mode::from_id(&m.id))
                .collect(),
            context: Regex::new(&format!("(?i){}", file.settings.context))
                .map_err(|e| err(format!("settings.context: {e}")))?,
            context_keep: Regex::new(&format!("(?i){}", file.settings.context_keep))
                .map_err(|e| err(format!("settings.context_keep: {e}")))?,
            not_asked: Regex::new(&format!("(?i){}", file.settings.not_asked))
                .map_err(|e| err(format!("settings.not_asked: {e}")))?,
            term_question: Regex::new(&format!("(?i){}", file.settings.term_question))
                .map_err(|e| err(format!("settings.term_question: {e}")))?,
            breadth: (
                compile("breadth", &settings.breadth)?,
                settings.breadth_weight,
                settings.breadth_say.clone(),
            ),
            breadth_beyond: compile("breadth_beyond", &settings.breadth_beyond)?,
            mixed_consumers: (
                compile("mixed_consumers", &settings.mixed_consumers)?,
                settings.mixed_consumers_weight,
                settings.mixed_consumers_say.clone(),
            ),
            ml_consumers: (
                compile("ml_consumers", &settings.ml_consumers)?,
                settings.ml_consumers_weight,
                settings.ml_consumers_say.clone(),
            ),
            symptom_set,
            symptoms,
            symptom_min: settings.symptom_min,
            symptom_factor: settings.symptom_factor,
            symptom_say: settings.symptom_say.clone(),
            say: settings.say.clone(),
        })
    }

    /// True for "what is <term>?"-style questions (a definition, nothing to design).
    pub fn is_term_question(&self, text: &str) -> bool {
        self.term_question.is_match(text)
    }

    /// The spec of an engagement mode.
    pub fn spec(&self, mode: Mode) -> Option<&ModeSpec> {
        self.specs.iter().find(|s| s.mode == mode)
    }

    /// All engagement mode specs in table order.
    pub fn specs(&self) -> &[ModeSpec] {
        &self.specs
    }

    /// The words for one of the router's own decisions (`settings.say`), with `{x}` filled.
    fn said(&self, key: &str, x: &str) -> String {
        self.say
            .get(key)
            .map(|t| t.replace("{x}", x))
            .unwrap_or_default()
    }

    /// Why the phrasing model chose `mode`: the routing table's words with the mode's title and
    /// the words that weighed most.
    pub fn phrasing_said(&self, mode: Mode, words: &[String]) -> String {
        let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
        self.said("phrasing", self.title(mode))
            .replace("{words}", &quoted.join(", "))
    }

    /// The title of a mode, for explanations.
    fn title(&self, mode: Mode) -> &str {
        self.spec(mode)
            .map(|s| s.title.as_str())
            .unwrap_or(mode.id())
    }

    /// Classifies one message. `concept_hits` is how many known concept aliases the message names
    /// (from the concept catalogue); it counts as evidence for a concept question.
    pub fn classify(&self, text: &str, concept_hits: usize) -> RouteTrace {
        let mut scores: BTreeMap<Mode, f64> = BTreeMap::new();
        let mut fired = Fired::default();
        let mut request = 0.0;
        // What the message rules out ("not the whole platform") is not part of the request.
        let asked = self.not_asked.replace_all(text, " ");
        if asked.len() != text.len() {
            fired.push(Reason::new(
                "context/not-asked-ignored",
                self.said("not_asked", ""),
            ));
        }
        // Symptoms are read on everything the message asks, stack clauses included: "we run argo
        // cd and it keeps failing to sync" is troubleshooting.
        let mut symptom = 0.0;
        for i in self.symptom_set.matches(&asked).iter() {
            let rule = &self.symptoms[i];
            symptom += rule.weight;
            fired.push(Reason::new(rule.name.clone(), rule.say.clone()));
        }
        let symptom: f64 = symptom.min(self.topic_cap);
        // Breadth ("not just a portal", "the whole thing") and who the consumers are ("20 app
        // teams and 2 data teams") are removed before the topics are read: the portal in "not
        // just a portal" and the data teams in a consumer list are not what is asked for.
        let mut extra: Vec<(Mode, f64)> = Vec::new();
        let mut asked = asked.into_owned();
        let (breadth, w, say) = &self.breadth;
        if breadth.is_match(&asked) || self.breadth_beyond.is_match(&asked) {
            asked = self.breadth_beyond.replace_all(&asked, " ").into_owned();
            extra.push((Mode::FullBuild, *w));
            fired.push(Reason::new("full_build/breadth-words", say.clone()));
        }
        for ((re, w, say), mode, id, marker) in [
            (
                &self.mixed_consumers,
                Mode::FullBuild,
                "full_build/mixed-consumers",
                "allconsumers ",
            ),
            (
                &self.ml_consumers,
                Mode::AiMl,
                "ai_ml/ml-consumers",
                "mlconsumers ",
            ),
        ] {
            if re.is_match(&asked) {
                asked = re.replace_all(&asked, marker).into_owned();
                extra.push((mode, *w));
                fired.push(Reason::new(id, say.clone()));
            }
        }
        // Clauses that describe the current stack ("we already run argo cd") are context, not topic;
        // one that says what the team lacks ("we have no golden paths") is the topic, and is kept.
        let scan = self.context.replace_all(&asked, |c: &regex::Captures| {
            if self.context_keep.is_match(&c[0]) {
                c[0].to_string()
            } else {
                " ".to_string()
            }
        });
        if scan.len() != asked.len() {
            fired.push(Reason::new(
                "context/stack-clause-ignored",
                self.said("stack_clause", ""),
            ));
        }
        let mut generic = Vec::new();
        for i in self.set.matches(&scan).iter() {
            let rule = &self.rules[i];
            match rule.target {
                Target::Mode(m) if rule.generic => {
                    generic.push((m, rule));
                    continue;
                }
                Target::Mode(m) => *scores.entry(m).or_default() += rule.weight,
                Target::Request => request += rule.weight,
            }
            fired.push(Reason::new(rule.name.clone(), rule.say.clone()));
        }
        for (m, w) in extra {
            *scores.entry(m).or_default() += w;
        }
        // Generic evidence ("our platform") counts less when one or two other modes have a topic of
        // their own: "add ray clusters to our platform" is about Ray, not about the whole platform.
        // Naming three or more topics is breadth: there "our platform" means the whole platform.
        for (m, rule) in generic {
            let others = scores
                .keys()
                .filter(|o| o.is_engagement() && **o != m && **o != Mode::FullBuild)
                .count();
            let w = if (1..=2).contains(&others) {
                fired.push(Reason::new(
                    format!("{} (generic, weighed less)", rule.name),
                    rule.say.clone(),
                ));
                rule.weight * self.generic_factor
            } else {
                fired.push(Reason::new(rule.name.clone(), rule.say.clone()));
                rule.weight
            };
            *scores.entry(m).or_default() += w;
        }
        for (m, s) in scores.iter_mut() {
            if m.is_engagement() && *s > self.topic_cap {
                *s = self.topic_cap;
                fired.push(Reason::new(
                    format!("{}/capped({})", m.id(), self.topic_cap),
                    self.said("capped", self.title(*m)),
                ));
            }
        }
        let question = scores.get(&Mode::Concept).copied().unwrap_or(0.0);
        if concept_hits > 0 {
            *scores.entry(Mode::Concept).or_default() += self.concept_alias_weight;
            fired.push(Reason::new(
                "concept/known-concept",
                self.said("known_concept", ""),
            ));
        }
        let scoped = scores
            .keys()
            .filter(|m| m.is_engagement() && **m != Mode::FullBuild)
            .count();
        if scoped >= 3 {
            *scores.entry(Mode::FullBuild).or_default() += self.breadth_bonus * (scoped - 2) as f64;
            fired.push(Reason::new(
                format!("full_build/breadth({scoped} topics)"),
                self.said("breadth_topics", &scoped.to_string()),
            ));
        }
        let topical: Vec<Mode> = scores
            .keys()
            .copied()
            .filter(|m| m.is_engagement())
            .collect();
        let out_of_scope = scores.get(&Mode::OutOfScope).copied().unwrap_or(0.0);
        // Symptoms that outweigh the request make it a troubleshooting question, whatever tool it
        // names; symptoms beside a clear request to build ("deploys keep failing, plan an idp")
        // are the pain, and the request stands.
        let troubleshooting =
            symptom >= self.symptom_min && symptom * self.symptom_factor > request;
        // A question with no request to build anything is a concept question when it is about the
        // platform domain (a known concept or a topic), and out of scope when it is not.
        let decided = if troubleshooting {
            fired.push(Reason::new(
                "decision/symptoms-outweigh-request→out_of_scope",
                self.symptom_say.clone(),
            ));
            *scores.entry(Mode::OutOfScope).or_default() += symptom;
            Some(Mode::OutOfScope)
        } else if request < self.request_threshold && question > 0.0 && out_of_scope == 0.0 {
            // "metrics for platform success?" is answered by the measuring-success summary: the
            // leading topic's mode answers when it is marked to, unless this is "what is <term>?".
            let term = self.term_question.is_match(text);
            let leading = topical.iter().copied().max_by(|a, b| {
                scores[a]
                    .partial_cmp(&scores[b])
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let d = if let Some(m) = leading.filter(|m| self.question_modes.contains(m) && !term) {
                m
            } else if concept_hits > 0 || !topical.is_empty() || term {
                Mode::Concept
            } else {
                Mode::OutOfScope
            };
            fired.push(Reason::new(
                format!("decision/question-without-request→{}", d.id()),
                self.said("question", self.title(d)),
            ));
            Some(d)
        } else {
            None
        };
        // A request goes to the engagement modes that have a topic; with no topic, to the full build.
        if request > 0.0 {
            if topical.is_empty() {
                if request >= self.min_score {
                    *scores.entry(Mode::FullBuild).or_default() += request / 2.0;
                }
            } else {
                for m in &topical {
                    *scores.entry(*m).or_default() += request;
                }
            }
            // Asking for something to be built outweighs the question form it is phrased in.
            if request >= self.request_threshold {
                if let Some(c) = scores.get_mut(&Mode::Concept) {
                    *c = 0.0;
                }
            }
        }
        let mut ranked: Vec<(Mode, f64)> = scores
            .iter()
            .map(|(m, s)| (*m, *s))
            .filter(|r| r.1 > 0.0)
            .collect();
        // Highest score first; ties keep routing-table order, which is Mode's order.
        ranked.sort_by(|a, b| {
            b.1.partial_cmp(&a.1)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.0.cmp(&b.0))
        });
        let (mut mode, best) = ranked.first().copied().unwrap_or((Mode::OutOfScope, 0.0));
        let mut tied = Vec::new();
        if let Some(d) = decided {
            mode = d;
        } else if best < self.min_score {
            mode = Mode::OutOfScope;
        } else if let Some((second, s2)) = ranked.get(1).copied() {
            if mode.is_engagement() && second.is_engagement() && best - s2 <= self.tie_margin {
                // The full build covers every scoped mode: prefer it over a scoped tie partner.
                // Between two scoped modes, measuring is about the other topic it names: prefer
                // the mode that measures; otherwise ask.
                if mode != Mode::FullBuild && second != Mode::FullBuild {
                    if let Some(m) = [mode, second]
                        .into_iter()
                        .find(|m| self.question_modes.contains(m))
                    {
                        mode = m;
                        fired.push(Reason::new(
                            format!("decision/tie→{}", m.id()),
                            self.said("tie_measure", self.title(m)),
                        ));
                    } else {
                        tied = vec![mode, second];
                        mode = Mode::Unclear;
                    }
                }
            }
        }
        let runner_up = ranked.iter().map(|r| r.0).find(|m| *m != mode);
        let scores = ranked
            .iter()
            .map(|(m, s)| (m.id().to_string(), round2(*s)))
            .collect();
        RouteTrace {
            mode,
            scores,
            fired,
            runner_up,
            tied,
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
