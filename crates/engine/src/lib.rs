//! pavebot's conversation engine (crate `pavebot-engine`).
//!
//! **Deterministic. No IO, no clock, no randomness: equal [`ThreadState`] and [`Event`] give an equal
//! [`Step`].** The contract is one function, [`Engine::step`]`(&ThreadState, &Event) -> Step`. Cargo
//! enforces the purity: this crate depends on no tokio, sled, serenity or libc. Adapters (replay,
//! console, Discord, in the bot crate) load the thread's state, call `step`, persist the new state
//! *before* they act on the effects, and then post the replies.
//!
//! The run loop every adapter follows:
//! 1. serialise events per thread (one at a time, in arrival order);
//! 2. `state = store.load(thread)`; `step = engine.step(&state, &event)`;
//! 3. if `step.changed`, `store.save(thread, &step.state)` and flush;
//! 4. carry out `step.effects` in order.
//!
//! Map of the modules:
//!
//! | module | owns |
//! |---|---|
//! | [`input`] | the one parser: event → [`Input`]; the [`Command`] table; turn patterns (`config/turns.toml`) |
//! | [`state`] | [`ThreadState`]: what a thread awaits, as types; schema migration ([`state::decode`]) |
//! | `handle/` | one file per command (`ask.rs` … `why.rs`) and per kind of turn (`phase1.rs`, `gate.rs`, `question.rs`, `correction.rs`, `clarify.rs`, `route.rs`), unit tests at the bottom of each |
//! | [`router`] | the routing table (`config/routing.toml`): modes, their behaviour as data, scoring |
//! | [`extract`], [`recon`], [`profile`] | reading Phase 1 facts from messages and attachments |
//! | [`plan`], [`render`] | decisions, conflicts and the checklist; Markdown for each phase |
//! | [`knowledge`], [`concepts`] | `replies/` and the Defaults table: every word the bot says |
//! | [`text`], [`error`] | text cleaning and packing; load errors |

pub mod catalog;
pub mod concepts;
pub mod error;
pub mod extract;
mod handle;
pub mod input;
pub mod knowledge;
pub mod phrasing;
pub mod plan;
pub mod profile;
pub mod read;
pub mod recon;
pub mod render;
pub mod router;
pub mod state;
pub mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use self::extract::Extractor;
use self::plan::{Checklist, Decision, Plan};
use self::router::{ModeSpec, RouteTrace, Router};
use self::state::{Engagement, Mode, Slot, Source, Stage, ThreadState};
use self::text::{clean, echo};
use crate::error::LoadError;
use crate::knowledge::{fill, Knowledge};

pub use self::input::{Command, Input, Turn, Turns};

/// A text attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name.
    pub filename: String,
    /// Its text.
    pub content: String,
}

/// One input to the engine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Event {
    /// Who sent it.
    pub user: String,
    /// The message text.
    pub text: Option<String>,
    /// Text attachments.
    pub attachments: Vec<Attachment>,
    /// A command, when the event is a slash command or a button.
    pub command: Option<Command>,
    /// The sender's role names.
    pub roles: Vec<String>,
    /// For a confirmation: the phase of the gate the sender saw open (a button carries it; an
    /// adapter may stamp a typed "yes" with the gate it last showed). A confirmation for a gate that
    /// is no longer open is refused, so two presses at once pass one gate. `None` confirms whatever
    /// gate is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<u8>,
}

/// What the adapter should do.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Post one Markdown message (at most 2000 characters).
    Say {
        /// The message.
        text: String,
    },
    /// This event started an engagement: run it in a thread of its own.
    OpenThread {
        /// Thread title.
        title: String,
    },
    /// Attach Confirm / Revise buttons to the last message (a STOP gate is open).
    GateButtons {
        /// The phase whose gate is open.
        phase: u8,
    },
    /// Attach an "Answer in a form" button for these inputs.
    FormButton {
        /// The inputs still missing.
        missing: Vec<Slot>,
    },
    /// The whole plan as one document.
    Document {
        /// Suggested file name.
        filename: String,
        /// The Markdown.
        markdown: String,
    },
    /// The sender may not do that (the Discord adapter answers ephemerally).
    Denied {
        /// Why.
        text: String,
    },
}

/// The result of one step.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The new state.
    pub state: ThreadState,
    /// What to do.
    pub effects: Vec<Effect>,
    /// True when the state changed and must be saved.
    pub changed: bool,
}

impl Step {
    /// The messages to post, in order (Say and Denied texts).
    pub fn replies(&self) -> Vec<String> {
        self.effects
            .iter()
            .filter_map(|e| match e {
                Effect::Say { text } | Effect::Denied { text } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Limits on what users send (from config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Longest message, in characters.
    pub max_message_chars: usize,
    /// Largest attachment, in bytes.
    pub max_attachment_bytes: usize,
    /// Most attachments per message.
    pub max_attachments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_chars: 20_000,
            max_attachment_bytes: 1 << 20,
            max_attachments: 5,
        }
    }
}

/// The derived, contract-shaped view of a thread (what `replay` prints besides the replies).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    /// Mode in force.
    pub mode: Option<Mode>,
    /// Phase, while an engagement runs.
    pub phase: Option<u8>,
    /// What the thread waits for.
    pub awaiting: &'static str,
    /// Phase 1 inputs still unknown.
    pub missing: Vec<Slot>,
    /// What is known.
    pub inputs: BTreeMap<Slot, InputView>,
    /// Decisions by Defaults-table row.
    pub decisions: BTreeMap<String, Decision>,
    /// Conflicts.
    pub conflicts: Vec<String>,
    /// The Quality Checklist, once the plan exists.
    pub checklist: Option<Checklist>,
    /// The typed team profile read so far (`{}` before an engagement).
    pub profile: serde_json::Value,
    /// Where each profile fact came from, keyed like `profile` (`teams.app`, `stack.gitops`).
    pub profile_sources: BTreeMap<String, String>,
}

/// One input as the contract shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputView {
    /// The value.
    pub value: String,
    /// Where it came from.
    pub source: Source,
}

/// The engine: routing table, extractors and knowledge, all loaded once.
#[derive(Debug, Clone)]
pub struct Engine {
    router: Router,
    extractor: Extractor,
    kb: Knowledge,
    limits: Limits,
    approver_roles: Vec<String>,
    turns: Turns,
    reader: read::Reader,
    phrasing: phrasing::Phrasing,
}

impl Engine {
    /// Builds an engine from the routing table, extractor config and knowledge base.
    pub fn new(
        routing: &str,
        extract: &str,
        kb: Knowledge,
        limits: Limits,
        approver_roles: Vec<String>,
    ) -> Result<Engine, LoadError> {
        let router = Router::parse(routing)?;
        for spec in router.specs() {
            if let Some(t) = spec.topics.iter().find(|t| !kb.topics.contains_key(*t)) {
                return Err(LoadError::new(
                    "config/routing.toml",
                    format!("mode {}: unknown knowledge topic {t}", spec.mode),
                ));
            }
            if let Some(r) = spec
                .rows
                .iter()
                .find(|r| !crate::knowledge::ROW_IDS.contains(&r.as_str()))
            {
                return Err(LoadError::new(
                    "config/routing.toml",
                    format!("mode {}: unknown row {r}", spec.mode),
                ));
            }
        }
        Ok(Engine {
            router,
            extractor: Extractor::parse(extract)?,
            kb,
            limits,
            approver_roles,
            turns: Turns::parse(Turns::EMBEDDED)?,
            reader: read::Reader::parse(read::Reader::EMBEDDED)?,
            phrasing: phrasing::Phrasing::parse(phrasing::Phrasing::EMBEDDED)?,
        })
    }

    /// The engine with the project's own data files (compiled in) and default limits.
    pub fn embedded() -> Result<Engine, LoadError> {
        Engine::new(
            include_str!("../../../config/routing.toml"),
            include_str!("../../../config/extract.toml"),
            Knowledge::embedded()?,
            Limits::default(),
            vec!["platform-lead".to_string()],
        )
    }

    /// Replaces the turn patterns with another `config/turns.toml` text (validated).
    pub fn with_turns(mut self, turns: &str) -> Result<Engine, LoadError> {
        self.turns = Turns::parse(turns)?;
        Ok(self)
    }

    /// The turn patterns.
    pub fn turns(&self) -> &Turns {
        &self.turns
    }

    /// Parses an event to a thread into the typed [`Input`] the handlers act on (what
    /// [`Engine::step`] does first).
    pub fn parse(&self, st: &ThreadState, ev: &Event) -> Input {
        input::parse(&self.turns, &self.limits, ev, st.engaged().is_some())
    }

    /// Replaces the limits and approver roles.
    pub fn with_policy(mut self, limits: Limits, approver_roles: Vec<String>) -> Engine {
        self.limits = limits;
        self.approver_roles = approver_roles;
        self
    }

    /// The knowledge base.
    pub fn knowledge(&self) -> &Knowledge {
        &self.kb
    }

    /// The router.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The extractor.
    pub fn extractor(&self) -> &Extractor {
        &self.extractor
    }

    /// Classifies a message as the router sees it outside an engagement: the routing rules, and
    /// the phrasing model where it is all but certain of another mode (the explanation then names
    /// the words that weighed most).
    pub fn classify(&self, text: &str) -> RouteTrace {
        let cleaned = clean(text);
        let mut trace = self.route_cleaned(&cleaned);
        if let Some((mode, _)) = self.phrasing.certain(&cleaned) {
            if mode != trace.mode {
                let words = self.phrasing.strongest(&cleaned, mode, 3);
                let say = self.router.phrasing_said(mode, &words);
                trace.runner_up = Some(trace.mode);
                trace.mode = mode;
                trace.tied.clear();
                // The rules' own decision was overruled: its reason no longer explains the route.
                let kept: Vec<router::Reason> = trace
                    .fired
                    .iter()
                    .filter(|f| !f.starts_with("decision/"))
                    .cloned()
                    .collect();
                trace.fired = router::Fired::default();
                trace.fired.push(router::Reason::new("phrasing/model", say));
                for r in kept {
                    trace.fired.push(r);
                }
            }
        }
        trace
    }

    /// Classifies a message by the routing rules alone (what the phrasing model is checked against).
    pub fn classify_rules(&self, text: &str) -> RouteTrace {
        self.route_cleaned(&clean(text))
    }

    /// The routing rules on a message already through [`clean`].
    fn route_cleaned(&self, cleaned: &str) -> RouteTrace {
        let text = self.extractor.request_part(cleaned);
        let hit = concepts::lookup(&self.kb, &text).is_some() as usize;
        self.router.classify(&text, hit)
    }

    /// Applies one event to a thread's state: parse it into an [`Input`], then let its handler act.
    pub fn step(&self, prior: &ThreadState, ev: &Event) -> Step {
        let input = self.parse(prior, ev);
        let mut cx = handle::Cx::new(self, prior.clone(), clean(&ev.user), ev.roles.clone());
        handle::dispatch(&mut cx, input, &ev.attachments);
        cx.finish()
    }

    /// The contract view of a thread.
    pub fn view(&self, st: &ThreadState) -> View {
        let Some(eng) = st.engaged() else {
            return View {
                mode: st
                    .pending()
                    .map(|_| Mode::Unclear)
                    .or(st.route().map(|r| r.mode)),
                phase: None,
                awaiting: st.awaiting().id(),
                missing: vec![],
                inputs: BTreeMap::new(),
                decisions: BTreeMap::new(),
                conflicts: vec![],
                checklist: None,
                profile: serde_json::json!({}),
                profile_sources: BTreeMap::new(),
            };
        };
        let spec = self.spec(eng.mode);
        // The inputs are views of the profile; an input the profile does not answer shows what was
        // recognised otherwise (a recon report's items).
        let mut inputs = self.profile_views(eng);
        let items: BTreeMap<Slot, InputView> = eng
            .inputs
            .iter()
            .filter_map(|(slot, items)| {
                let last = items.last()?;
                let value = items
                    .iter()
                    .map(|i| i.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                Some((
                    *slot,
                    InputView {
                        value,
                        source: last.source.clone(),
                    },
                ))
            })
            .collect();
        for (slot, view) in items {
            inputs.entry(slot).or_insert(view);
        }
        let (profile, profile_sources) = eng.profile.contract();
        let mut view = View {
            mode: Some(eng.mode),
            phase: Some(eng.phase()),
            awaiting: eng.awaiting().id(),
            missing: self.missing(eng),
            inputs,
            decisions: BTreeMap::new(),
            conflicts: vec![],
            checklist: None,
            profile,
            profile_sources,
        };
        // Phase 1 decides nothing yet; every later stage shows the decisions.
        if eng.phase() >= 2 {
            let mut plan = Plan::build(&self.kb, eng, spec);
            for row in &spec.rows {
                if let Some(d) = plan.decision(row) {
                    view.decisions.insert(row.clone(), d.clone());
                }
            }
            view.conflicts = plan.conflicts.iter().map(|c| plan.fill(c)).collect();
            if spec.checklist && eng.stage == (Stage::Reaction { phase: 4 }) {
                view.checklist = Some(plan.grade(&self.kb, eng));
            }
        }
        view
    }

    pub(crate) fn spec(&self, mode: Mode) -> &ModeSpec {
        // Every engagement mode has a spec: Router::parse refuses a table without one.
        self.router.spec(mode).expect("engagement modes have specs")
    }

    pub(crate) fn missing(&self, eng: &Engagement) -> Vec<Slot> {
        if eng.phase() != 1 {
            return vec![];
        }
        self.spec(eng.mode)
            .inputs
            .iter()
            .copied()
            .filter(|s| !eng.knows(*s) && !read::knows(&eng.profile, *s))
            .collect()
    }

    /// The Phase 1 reader (`config/reading.toml`).
    pub fn reader(&self) -> &read::Reader {
        &self.reader
    }

    /// The Phase 1 inputs the typed profile answers, as its readable views: the five inputs are
    /// views of the profile. Each has the source of the facts behind it (the message when they
    /// came from several places).
    pub(crate) fn profile_views(&self, eng: &Engagement) -> BTreeMap<Slot, InputView> {
        let views = self.reader.inputs(&eng.profile);
        Slot::ALL
            .into_iter()
            .zip(views.by_id())
            .filter(|(slot, _)| read::knows(&eng.profile, *slot))
            .filter_map(|(slot, (_, v))| {
                let from = eng.profile.sources_of(read::slot_keys(slot));
                let source = match from.first() {
                    Some(first) if from.iter().all(|s| s == first) => (*first).clone(),
                    _ => Source::Message,
                };
                Some((
                    slot,
                    InputView {
                        value: v?.to_string(),
                        source,
                    },
                ))
            })
            .collect()
    }

    /// The whole plan of an engagement as one Markdown document.
    pub fn document(&self, st: &ThreadState) -> Option<String> {
        let eng = st.engaged()?;
        let spec = self.spec(eng.mode);
        let k = &self.kb;
        let mut plan = Plan::build(k, eng, spec);
        let mut doc = format!("# {}: {}\n\n", k.ui("export.title"), spec.title);
        doc.push_str(&render::heard(k, eng, &self.profile_views(eng)));
        doc.push_str("\n\n");
        let reached = |p: u8| {
            spec.phases.contains(&p)
                && (eng.phase() > p || eng.phase() == p && eng.stage != Stage::Inputs)
        };
        if reached(2) {
            doc.push_str(&render::phase2(k, &plan, spec));
            doc.push('\n');
        }
        if reached(3) {
            doc.push_str(&render::phase3(k, &plan, spec));
            doc.push('\n');
        }
        if reached(4) {
            if spec.checklist {
                let c = plan.grade(k, eng);
                doc.push_str(&render::phase4(k, &plan, &c));
            } else {
                doc.push_str(&render::metrics(k, &plan));
            }
        }
        if reached(2) {
            doc.push('\n');
            doc.push_str(&render::details(k, &plan, spec));
        }
        if matches!(eng.stage, Stage::Reaction { .. }) {
            doc.push('\n');
            doc.push_str(&render::next_steps(k, &plan, spec, eng));
            doc.push('\n');
        }
        if !eng.audit.is_empty() {
            doc.push_str(&format!("\n## {}\n", k.ui("export.audit")));
            for a in &eng.audit {
                doc.push_str(&fill(
                    k.ui("export.audit_line"),
                    &[
                        ("turn", &a.turn.to_string()),
                        ("action", &a.action),
                        ("user", &echo(&a.user)),
                    ],
                ));
                doc.push('\n');
            }
        }
        Some(doc)
    }
}
