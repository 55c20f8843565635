//! The conversation engine.
//!
//! **Deterministic. No IO, no clock, no randomness: equal [`ThreadState`] and [`Event`] give an equal
//! [`Step`].** Adapters (replay, console, Discord) load the thread's state, call [`Engine::step`],
//! persist the new state *before* they act on the effects, and then post the replies.
//!
//! The run loop every adapter follows:
//! 1. serialise events per thread (one at a time, in arrival order);
//! 2. `state = store.load(thread)`; `step = engine.step(&state, &event)`;
//! 3. if `step.changed`, `store.save(thread, &step.state)` and flush;
//! 4. carry out `step.effects` in order.

pub mod concepts;
pub mod error;
pub mod extract;
pub mod knowledge;
pub mod plan;
pub mod profile;
pub mod read;
pub mod recon;
pub mod render;
pub mod router;
pub mod state;
pub mod text;

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use self::extract::{apply, Change, Extractor, Hit};
use self::plan::{Checklist, Decision, Plan};
use self::router::{ModeSpec, RouteTrace, Router};
use self::state::{
    AuditEntry, Awaiting, Checkpoint, Engagement, Item, Mode, Pending, Slot, Source, ThreadState,
};
use self::text::{clean, echo, pack, DISCORD_LIMIT};
use crate::error::LoadError;
use crate::knowledge::{fill, Knowledge};

/// A concept answer offers the matching engagement when that mode's score reaches this (one topic rule).
const OFFER_MIN_TOPIC: f64 = 2.5;

/// What a slash command or a button press means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// One-shot answer; never opens an engagement.
    Ask,
    /// Start an engagement with the text as the first message.
    Plan,
    /// Where the engagement stands.
    Status,
    /// Confirm the open gate.
    Confirm,
    /// Ask to change something at the gate.
    Revise,
    /// Go back one gate.
    Back,
    /// Drop the engagement.
    Reset,
    /// The whole plan as one document.
    Export,
    /// Why this mode.
    Why,
}

impl Command {
    /// Parses a command name.
    pub fn from_name(s: &str) -> Option<Command> {
        Some(match s {
            "ask" => Command::Ask,
            "plan" => Command::Plan,
            "status" => Command::Status,
            "confirm" => Command::Confirm,
            "revise" => Command::Revise,
            "back" => Command::Back,
            "reset" => Command::Reset,
            "export" => Command::Export,
            "why" => Command::Why,
            _ => return None,
        })
    }
}

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

/// Patterns for messages inside an engagement.
#[derive(Debug, Clone)]
struct Turn {
    confirm: Regex,
    start_over: Regex,
    back: Regex,
    question: Regex,
    advice: Regex,
    correction: Regex,
}

/// The engine: routing table, extractors and knowledge, all loaded once.
#[derive(Debug, Clone)]
pub struct Engine {
    router: Router,
    extractor: Extractor,
    kb: Knowledge,
    limits: Limits,
    approver_roles: Vec<String>,
    turn: Turn,
}

fn re(p: &str) -> Regex {
    // The patterns below are literals of this file, checked by the unit tests.
    Regex::new(&format!("(?i){p}")).expect("built-in pattern compiles")
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
            turn: Turn {
                confirm: re(
                    r"^\s*(yes|yep|yup|yeah|ya|y|confirm(ed)?|i confirm|go ahead|go for it|lgtm|looks good( to me)?|approved?|ship it|proceed|sounds good|ok(ay)?|correct|that'?s right|agreed|do it|continue|next|👍|✅)(\s*(please|pls|thanks|thx|!+))?[\s.!]*$",
                ),
                start_over: re(
                    r"^\s*(start over|start again|restart|reset|new (plan|engagement)|scrap (this|that|it)|from scratch again)\b",
                ),
                back: re(r"^\s*(go back|back|undo|previous (step|phase))\s*[.!]*$"),
                question: re(
                    r"\?\s*$|^\s*(what|whats|what's|how|why|which|who|when|where|is|are|can|could|should|does|do|explain|tell me about)\b",
                ),
                advice: re(
                    r"\b(should (we|i)|shall we|would (it|you)|is it (better|worth)|do (we|i) need|why not|worth it|better)\b[^?]*\?\s*$",
                ),
                correction: re(
                    r"\b(actually|we use|we're using|we are using|we run|we have|we've got|switch(ed)? to|instead|change|replace|correction|also|plus|not using|we moved|we're on|we are on|we're|we are)\b",
                ),
            },
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

    /// Classifies a message as the router sees it outside an engagement.
    pub fn classify(&self, text: &str) -> RouteTrace {
        let text = self.extractor.request_part(&clean(text));
        let hit = concepts::lookup(&self.kb, &text).is_some() as usize;
        self.router.classify(&text, hit)
    }

    /// Applies one event to a thread's state.
    pub fn step(&self, prior: &ThreadState, ev: &Event) -> Step {
        let mut cx = Cx {
            e: self,
            st: prior.clone(),
            out: Vec::new(),
            changed: false,
            user: clean(&ev.user),
            roles: ev.roles.clone(),
            gate: ev.gate,
        };
        let raw = ev.text.as_deref().unwrap_or("");
        let chars = raw.chars().count();
        if chars > self.limits.max_message_chars {
            cx.say(fill(
                self.kb.ui("input.too_long"),
                &[
                    ("n", &chars.to_string()),
                    ("limit", &self.limits.max_message_chars.to_string()),
                ],
            ));
            return cx.finish();
        }
        let text = clean(raw).trim().to_string();
        let command = ev.command.or_else(|| {
            // A command typed as a chat message ("status", "/export") means the command.
            if !ev.attachments.is_empty() {
                return None;
            }
            let word = text
                .strip_prefix('/')
                .unwrap_or(&text)
                .trim_end_matches(['.', '!', '?']);
            match word.to_lowercase().as_str() {
                "status" | "why" | "export" => Command::from_name(&word.to_lowercase()),
                "confirm" | "back" | "reset" if text.starts_with('/') => {
                    Command::from_name(&word.to_lowercase())
                }
                _ => None,
            }
        });
        match command {
            Some(Command::Status) => cx.status(),
            Some(Command::Why) => cx.why(),
            Some(Command::Export) => cx.export(),
            Some(Command::Ask) => cx.one_shot(&text, None),
            Some(Command::Plan) => cx.plan(&text, &ev.attachments),
            Some(Command::Confirm) => cx.confirm(),
            Some(Command::Revise) => cx.revise(),
            Some(Command::Back) => cx.back(),
            Some(Command::Reset) => cx.reset(),
            None => cx.message(&text, &ev.attachments),
        }
        cx.finish()
    }

    /// The contract view of a thread.
    pub fn view(&self, st: &ThreadState) -> View {
        let Some(eng) = &st.engagement else {
            return View {
                mode: st
                    .pending
                    .as_ref()
                    .map(|_| Mode::Unclear)
                    .or(st.last_route.as_ref().map(|r| r.mode)),
                phase: None,
                awaiting: Awaiting::Nothing.id(),
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
        let inputs = eng
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
        let (profile, profile_sources) = eng.profile.contract();
        let mut view = View {
            mode: Some(eng.mode),
            phase: Some(eng.phase),
            awaiting: eng.awaiting.id(),
            missing: self.missing(eng),
            inputs,
            decisions: BTreeMap::new(),
            conflicts: vec![],
            checklist: None,
            profile,
            profile_sources,
        };
        if eng.phase >= 2 || eng.awaiting != Awaiting::Inputs && spec.phase1 == "skip" {
            let mut plan = Plan::build(&self.kb, eng, spec);
            for row in &spec.rows {
                if let Some(d) = plan.decision(row) {
                    view.decisions.insert(row.clone(), d.clone());
                }
            }
            view.conflicts = plan.conflicts.iter().map(|c| plan.fill(c)).collect();
            if eng.phase == 4 && eng.awaiting == Awaiting::Reaction && eng.mode == Mode::FullBuild {
                view.checklist = Some(plan.grade(&self.kb, eng));
            }
        }
        view
    }

    fn spec(&self, mode: Mode) -> &ModeSpec {
        // Every engagement mode has a spec: Router::parse refuses a table without one.
        self.router.spec(mode).expect("engagement modes have specs")
    }

    fn missing(&self, eng: &Engagement) -> Vec<Slot> {
        if eng.phase != 1 {
            return vec![];
        }
        self.spec(eng.mode)
            .inputs
            .iter()
            .copied()
            .filter(|s| !eng.knows(*s))
            .collect()
    }

    /// The whole plan of an engagement as one Markdown document.
    pub fn document(&self, st: &ThreadState) -> Option<String> {
        let eng = st.engagement.as_ref()?;
        let spec = self.spec(eng.mode);
        let k = &self.kb;
        let mut plan = Plan::build(k, eng, spec);
        let mut doc = format!("# {}: {}\n\n", k.ui("export.title"), spec.title);
        doc.push_str(&render::heard(k, eng));
        doc.push_str("\n\n");
        let reached = |p: u8| {
            spec.phases.contains(&p)
                && (eng.phase > p || eng.phase == p && eng.awaiting != Awaiting::Inputs)
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
            if eng.mode == Mode::Measure {
                doc.push_str(&render::metrics(k, &plan));
            } else {
                let c = plan.grade(k, eng);
                doc.push_str(&render::phase4(k, &plan, &c));
            }
        }
        if eng.awaiting == Awaiting::Reaction {
            doc.push('\n');
            doc.push_str(&render::next_steps(k, &plan, spec, eng));
            doc.push('\n');
        }
        if !eng.audit.is_empty() {
            doc.push_str(&format!("\n## {}\n", k.ui("export.audit")));
            for a in &eng.audit {
                doc.push_str(&format!(
                    "- turn {}: {} by {}\n",
                    a.turn,
                    a.action,
                    echo(&a.user)
                ));
            }
        }
        Some(doc)
    }
}

/// One step in progress.
struct Cx<'e> {
    e: &'e Engine,
    st: ThreadState,
    out: Vec<Effect>,
    changed: bool,
    user: String,
    roles: Vec<String>,
    gate: Option<u8>,
}

impl Cx<'_> {
    fn k(&self) -> &Knowledge {
        &self.e.kb
    }

    fn ui(&self, key: &str) -> String {
        self.e.kb.ui(key).to_string()
    }

    fn say(&mut self, text: String) {
        for m in pack(&text, DISCORD_LIMIT) {
            self.out.push(Effect::Say { text: m });
        }
    }

    fn finish(mut self) -> Step {
        if self.changed {
            self.st.turn += 1;
        }
        Step {
            state: self.st,
            effects: self.out,
            changed: self.changed,
        }
    }

    fn authorised(&self) -> bool {
        match &self.st.engagement {
            Some(eng) => {
                eng.owner == self.user
                    || self.roles.iter().any(|r| {
                        self.e
                            .approver_roles
                            .iter()
                            .any(|a| a.eq_ignore_ascii_case(r))
                    })
            }
            None => true,
        }
    }

    fn deny(&mut self, action: &str) {
        let owner = self
            .st
            .engagement
            .as_ref()
            .map(|e| echo(&e.owner))
            .unwrap_or_default();
        let roles = self.e.approver_roles.join(", ");
        let text = fill(
            self.e.kb.ui("denied"),
            &[("action", action), ("owner", &owner), ("roles", &roles)],
        );
        self.out.push(Effect::Denied { text });
    }

    fn audit(&mut self, action: String) {
        let turn = self.st.turn + 1;
        let user = self.user.clone();
        if let Some(eng) = self.st.engagement.as_mut() {
            eng.audit.push(AuditEntry { turn, user, action });
            if eng.audit.len() > 200 {
                eng.audit.remove(0);
            }
        }
    }

    // ---- commands that never change state ----

    fn status(&mut self) {
        let Some(eng) = &self.st.engagement else {
            let t = self.ui("status.none");
            self.say(t);
            return;
        };
        let spec = self.e.spec(eng.mode);
        let missing: Vec<String> = self
            .e
            .missing(eng)
            .iter()
            .map(|s| render::slot_name(self.k(), *s))
            .collect();
        let phases: Vec<String> = spec.phases.iter().map(|p| p.to_string()).collect();
        let text = fill(
            self.k().ui("status.engagement"),
            &[
                ("title", &spec.title),
                ("mode", eng.mode.id()),
                ("phase", &eng.phase.to_string()),
                ("phases", &phases.join(" → ")),
                ("awaiting", eng.awaiting.id()),
                ("owner", &echo(&eng.owner)),
                (
                    "missing",
                    &if missing.is_empty() {
                        "—".to_string()
                    } else {
                        missing.join(", ")
                    },
                ),
            ],
        );
        let heard = render::heard(self.k(), eng);
        self.say(format!("{text}\n\n{heard}"));
    }

    fn why(&mut self) {
        let route = self
            .st
            .engagement
            .as_ref()
            .map(|e| e.route.clone())
            .or_else(|| self.st.last_route.clone());
        let Some(r) = route else {
            let t = self.ui("why.none");
            self.say(t);
            return;
        };
        let scores: Vec<String> = r.scores.iter().map(|(m, s)| format!("{m} {s}")).collect();
        let fired: Vec<String> = r.fired.iter().map(|f| format!("`{f}`")).collect();
        let text = fill(
            self.k().ui("why.trace"),
            &[
                ("mode", r.mode.id()),
                (
                    "scores",
                    &if scores.is_empty() {
                        "—".into()
                    } else {
                        scores.join(", ")
                    },
                ),
                (
                    "fired",
                    &if fired.is_empty() {
                        "—".into()
                    } else {
                        fired.join(", ")
                    },
                ),
                ("runner_up", r.runner_up.map(Mode::id).unwrap_or("—")),
            ],
        );
        self.say(text);
    }

    fn export(&mut self) {
        match self.e.document(&self.st) {
            Some(markdown) => {
                let filename = format!(
                    "pavebot-plan-{}.md",
                    self.st
                        .engagement
                        .as_ref()
                        .map(|e| e.mode.id())
                        .unwrap_or("plan")
                );
                let t = fill(
                    self.k().ui("export.done"),
                    &[
                        ("filename", &filename),
                        ("n", &markdown.chars().count().to_string()),
                    ],
                );
                self.say(t);
                self.out.push(Effect::Document { filename, markdown });
            }
            None => {
                let t = self.ui("export.none");
                self.say(t);
            }
        }
    }

    // ---- one-shot answers ----

    fn one_shot(&mut self, text: &str, route: Option<RouteTrace>) {
        if text.is_empty() {
            let t = self.ui("input.empty");
            self.say(t);
            return;
        }
        let route = route.unwrap_or_else(|| {
            let mut r = self.e.classify(text);
            if r.mode.is_engagement() || r.mode == Mode::Unclear {
                // `ask` never opens an engagement: answer the concept if there is one.
                r.mode = Mode::Concept;
            }
            r
        });
        let mut answer = self.answer(text, route.mode);
        if let Some(offer) = self.plan_offer(text, &route) {
            answer.push_str("\n\n");
            answer.push_str(&offer);
        }
        self.say(answer);
        if self.st.engagement.is_none() {
            self.st.last_route = Some(route);
            self.st.pending = None;
            self.changed = true;
        }
    }

    /// After a concept answer to a question that is about a platform topic but does not ask for a
    /// definition ("argo rollouts or flagger?", not "what is kro?"), an offer to design it for the team instead: the `plan`
    /// command with the same message opens that engagement.
    fn plan_offer(&self, text: &str, route: &RouteTrace) -> Option<String> {
        let asks_definition = route.fired.iter().any(|f| f == "concept/what-is");
        if route.mode != Mode::Concept
            || self.st.engagement.is_some()
            || asks_definition
            || self.e.router.is_term_question(text)
        {
            return None;
        }
        let (mode, _) = route
            .scores
            .iter()
            .filter_map(|(m, s)| Mode::from_id(m).map(|m| (m, *s)))
            .find(|(m, s)| m.is_engagement() && *s >= OFFER_MIN_TOPIC)?;
        let spec = self.e.router.spec(mode)?;
        Some(fill(
            &self.ui("concept.plan_offer"),
            &[("title", &spec.title)],
        ))
    }

    /// A concept answer, the out-of-scope pointer, or an honest "I don't know".
    fn answer(&self, text: &str, mode: Mode) -> String {
        let k = self.k();
        if mode == Mode::OutOfScope {
            return k.ui("oos.reply").to_string();
        }
        match concepts::lookup(k, text) {
            Some(c) => format!("**{}** — {}\n\n_{}_", concepts::title(c), c.answer, c.fits),
            None => {
                let near: Vec<String> = concepts::nearest(k, text)
                    .iter()
                    .map(|c| format!("`{}`", concepts::title(c)))
                    .collect();
                let mut s = k.ui("concept.unknown").to_string();
                let list = if near.is_empty() {
                    k.ui("concept.default_topics").to_string()
                } else {
                    near.join(", ")
                };
                s.push(' ');
                s.push_str(&fill(k.ui("concept.nearest"), &[("topics", &list)]));
                s
            }
        }
    }

    // ---- messages ----

    fn message(&mut self, text: &str, attachments: &[Attachment]) {
        if self.st.engagement.is_some() {
            self.in_engagement(text, attachments);
            return;
        }
        if text.is_empty() && attachments.is_empty() {
            let t = self.ui("input.empty");
            self.say(t);
            return;
        }
        if let Some(p) = self.st.pending.clone() {
            if let Some(mode) = self.pick(&p, text) {
                let mut route = self.e.classify(&p.text);
                route.mode = mode;
                route.fired.push(format!("clarified/{}", mode.id()));
                let joined = format!("{}\n{}", p.text, text);
                // The engagement belongs to whoever asked for it, even when someone else picked.
                self.user = p.user.clone();
                self.start(mode, route, &joined, attachments);
                return;
            }
        }
        let mut route = self.e.classify(text);
        if !route.mode.is_engagement() && attachments.iter().any(is_recon) {
            route.mode = Mode::FullBuild;
            route.fired.push("attachment/recon-report".to_string());
        }
        match route.mode {
            Mode::Unclear => {
                let titles: Vec<String> = route
                    .tied
                    .iter()
                    .map(|m| self.e.spec(*m).title.clone())
                    .collect();
                let t = fill(
                    self.k().ui("unclear.ask"),
                    &[
                        ("a", titles.first().map(String::as_str).unwrap_or("")),
                        ("b", titles.get(1).map(String::as_str).unwrap_or("")),
                    ],
                );
                self.say(t);
                self.st.pending = Some(Pending {
                    candidates: route.tied.clone(),
                    text: text.chars().take(2000).collect(),
                    user: self.user.clone(),
                });
                self.st.last_route = Some(route);
                self.changed = true;
            }
            Mode::Concept | Mode::OutOfScope => self.one_shot(text, Some(route)),
            mode => self.start(mode, route, text, attachments),
        }
    }

    /// Which of the clarification candidates the answer picks, if any.
    fn pick(&self, p: &Pending, text: &str) -> Option<Mode> {
        let t = text.trim().trim_end_matches(['.', '!']).to_lowercase();
        if let Ok(n) = t.parse::<usize>() {
            return p.candidates.get(n.checked_sub(1)?).copied();
        }
        for m in &p.candidates {
            let title = self.e.spec(*m).title.to_lowercase();
            if t == m.id() || title.contains(&t) && t.len() >= 4 || t.contains(&title) {
                return Some(*m);
            }
        }
        let r = self.e.classify(text);
        let score = |m: Mode| {
            r.scores
                .iter()
                .find(|(id, _)| id == m.id())
                .map(|s| s.1)
                .unwrap_or(0.0)
        };
        let (a, b) = (p.candidates.first()?, p.candidates.get(1)?);
        match score(*a).partial_cmp(&score(*b)) {
            Some(std::cmp::Ordering::Greater) => Some(*a),
            Some(std::cmp::Ordering::Less) => Some(*b),
            _ => None,
        }
    }

    fn plan(&mut self, text: &str, attachments: &[Attachment]) {
        if self.st.engagement.is_some() {
            if !self.authorised() {
                self.deny("start a new plan");
                return;
            }
            if text.is_empty() {
                let t = self.ui("plan.exists");
                self.say(t);
                return;
            }
            self.st.engagement = None;
        }
        if text.is_empty() && attachments.is_empty() {
            let t = self.ui("input.empty");
            self.say(t);
            return;
        }
        let mut route = self.e.classify(text);
        if !route.mode.is_engagement() {
            // `plan` always opens an engagement: take the best engagement mode, or the full build.
            let best = route
                .scores
                .iter()
                .filter_map(|(m, _)| Mode::from_id(m))
                .find(|m| m.is_engagement())
                .unwrap_or(Mode::FullBuild);
            route.fired.push(format!("command/plan→{}", best.id()));
            route.mode = best;
        }
        let mode = route.mode;
        self.start(mode, route, text, attachments);
    }

    /// Reads attachments: recon reports and architecture documents. Returns hits per source and notes.
    fn read_attachments(
        &self,
        attachments: &[Attachment],
        asked: &[Slot],
    ) -> (Vec<(Source, Vec<Hit>)>, Vec<String>) {
        let k = self.k();
        let mut found = Vec::new();
        let mut notes = Vec::new();
        let mut accounts = Vec::new();
        if attachments.len() > self.e.limits.max_attachments {
            notes.push(fill(
                k.ui("attachment.too_many"),
                &[
                    ("n", &attachments.len().to_string()),
                    ("limit", &self.e.limits.max_attachments.to_string()),
                ],
            ));
        }
        for a in attachments.iter().take(self.e.limits.max_attachments) {
            let name: String = echo(&clean(&a.filename)).chars().take(80).collect();
            let name = if name.trim().is_empty() {
                "attachment".to_string()
            } else {
                name
            };
            if a.content.len() > self.e.limits.max_attachment_bytes {
                notes.push(fill(
                    k.ui("attachment.too_big"),
                    &[
                        ("file", &name),
                        (
                            "limit",
                            &(self.e.limits.max_attachment_bytes / 1024).to_string(),
                        ),
                    ],
                ));
                continue;
            }
            if a.content.contains('\0') {
                notes.push(fill(k.ui("attachment.binary"), &[("file", &name)]));
                continue;
            }
            let source = Source::Attachment(name.clone());
            if is_recon(a) {
                match recon::parse(&a.content) {
                    Ok(r) => {
                        let mut hits = r.hits;
                        if let Some(c) = r.cluster {
                            hits.push(Hit {
                                slot: Slot::ExistingStack,
                                key: "cluster:eks".into(),
                                label: format!("cluster {}", c),
                                negated: false,
                            });
                        }
                        if let Some(acct) = r.account {
                            if !accounts.contains(&acct) {
                                accounts.push(acct);
                            }
                        }
                        if accounts.len() >= 2 {
                            hits.push(Hit {
                                slot: Slot::Constraints,
                                key: "constraint:multi_account".into(),
                                label: format!(
                                    "multi-account ({} AWS accounts in the reports)",
                                    accounts.len()
                                ),
                                negated: false,
                            });
                        }
                        notes.push(fill(
                            k.ui("attachment.read"),
                            &[("file", &name), ("n", &hits.len().to_string())],
                        ));
                        found.push((source, hits));
                    }
                    Err(reason) => notes.push(fill(
                        k.ui("attachment.recon_broken"),
                        &[("file", &name), ("reason", &echo(&reason))],
                    )),
                }
            } else {
                let hits = self.e.extractor.extract(&clean(&a.content), asked);
                notes.push(fill(
                    k.ui("attachment.read"),
                    &[("file", &name), ("n", &hits.len().to_string())],
                ));
                found.push((source, hits));
            }
        }
        (found, notes)
    }

    /// Applies a message's text and attachments to the inputs.
    fn take_inputs(
        &mut self,
        text: &str,
        attachments: &[Attachment],
    ) -> (Vec<Change>, Vec<String>, usize) {
        let asked = self
            .st
            .engagement
            .as_ref()
            .map(|e| e.asked.clone())
            .unwrap_or_default();
        let (found, notes) = self.read_attachments(attachments, &asked);
        let text_hits = self.e.extractor.extract(text, &asked);
        let Some(eng) = self.st.engagement.as_mut() else {
            return (vec![], notes, 0);
        };
        let mut changes = Vec::new();
        let mut n = text_hits.len();
        for (source, hits) in &found {
            n += hits.len();
            changes.extend(apply(&mut eng.inputs, hits, source));
        }
        // The message text wins over attachments when both speak.
        changes.extend(apply(&mut eng.inputs, &text_hits, &Source::Message));
        (changes, notes, n)
    }

    fn start(&mut self, mode: Mode, route: RouteTrace, text: &str, attachments: &[Attachment]) {
        let spec = self.e.spec(mode).clone();
        self.st.pending = None;
        self.st.last_route = None;
        self.st.engagement = Some(Engagement {
            mode,
            owner: self.user.clone(),
            phase: spec.phases[0],
            awaiting: Awaiting::Inputs,
            inputs: BTreeMap::new(),
            asked: vec![],
            history: vec![],
            audit: vec![],
            route: route.clone(),
            profile: Default::default(),
        });
        self.changed = true;
        let (_, notes, _) = self.take_inputs(text, attachments);
        let k = self.k();
        let fired: Vec<String> = route
            .fired
            .iter()
            .filter(|f| {
                f.starts_with(mode.id())
                    || f.starts_with("request")
                    || f.contains('→')
                    || f.starts_with("attachment")
                    || f.starts_with("clarified")
            })
            .map(|f| format!("`{f}`"))
            .collect();
        let mut intro = fill(
            k.ui("route.chose"),
            &[
                ("title", &spec.title),
                ("mode", mode.id()),
                ("focus", &spec.focus),
            ],
        );
        if !fired.is_empty() {
            intro.push(' ');
            intro.push_str(&fill(k.ui("route.fired"), &[("rules", &fired.join(", "))]));
        }
        let title: String = format!(
            "{}: {}",
            spec.title,
            echo(text).chars().take(60).collect::<String>()
        );
        self.out.push(Effect::OpenThread {
            title: title.chars().take(100).collect(),
        });
        let mut first = intro;
        for n in notes {
            first.push_str("\n\n");
            first.push_str(&n);
        }
        if spec.phase1 == "skip" {
            // Scoped modes entering at Phase 2-4 take what the first message said and fill the rest.
            self.default_unknowns(&[Slot::ExistingStack, Slot::Constraints]);
            let eng = self
                .st
                .engagement
                .as_ref()
                .map(|e| render::heard(self.k(), e))
                .unwrap_or_default();
            first.push_str("\n\n");
            first.push_str(&eng);
            // One reply: the mode, why, what was understood, then the phase itself (packed into
            // Discord-sized messages only where it has to be).
            let phase = spec.phases[0];
            self.enter(phase, Some(first));
        } else {
            self.ask_or_gate(first, &[]);
        }
    }

    /// Fills unknown inputs with an explicit default so the plan can say what it assumed.
    fn default_unknowns(&mut self, slots: &[Slot]) {
        let Some(eng) = self.st.engagement.as_mut() else {
            return;
        };
        for slot in slots {
            if eng.knows(*slot) {
                continue;
            }
            let (key, label) = match slot {
                Slot::ExistingStack => ("stack:none", self.e.kb.ui("default.existing_stack")),
                Slot::Constraints => ("constraint:none", self.e.kb.ui("default.constraints")),
                Slot::TopPain => ("pain:other", self.e.kb.ui("default.top_pain")),
                Slot::ConsumerTeams => ("consumers:text", self.e.kb.ui("default.consumer_teams")),
                Slot::FirstCapabilities => (
                    "cap:ship_service",
                    self.e.kb.ui("default.first_capabilities"),
                ),
            };
            eng.inputs.insert(
                *slot,
                vec![Item {
                    key: key.to_string(),
                    label: label.to_string(),
                    source: Source::Default,
                }],
            );
        }
    }

    /// Phase 1: ask all missing inputs in one message, or restate and open the gate.
    fn ask_or_gate(&mut self, prefix: String, changes: &[Change]) {
        let Some(eng) = self.st.engagement.as_ref() else {
            return;
        };
        let missing = self.e.missing(eng);
        let k = self.k();
        let mut msg = prefix;
        if !changes.is_empty() {
            msg.push_str("\n\n");
            msg.push_str(&diff(k, changes));
        }
        if !msg.is_empty() {
            msg.push_str("\n\n");
        }
        if !missing.is_empty() {
            // At the gate the restatement below says it all; before it, say what is known so far.
            msg.push_str(&render::heard(k, eng));
        }
        if missing.is_empty() {
            let spec = self.e.spec(eng.mode).clone();
            let mut plan_eng = eng.clone();
            let unasked: Vec<Slot> = Slot::ALL
                .into_iter()
                .filter(|s| !spec.inputs.contains(s))
                .collect();
            // Slots a scoped mode does not ask stay as the user gave them; defaults fill the rest.
            for s in &unasked {
                if !plan_eng.knows(*s) {
                    plan_eng.inputs.remove(s);
                }
            }
            let plan = Plan::build(k, &plan_eng, &spec);
            msg.push_str(&render::phase1_gate(k, &plan, eng));
            self.say(msg);
            self.out.push(Effect::GateButtons { phase: 1 });
            if let Some(eng) = self.st.engagement.as_mut() {
                eng.awaiting = Awaiting::Confirmation;
                eng.asked.clear();
            }
        } else {
            msg.push_str("\n\n");
            msg.push_str(&render::questions(k, &missing));
            self.say(msg);
            self.out.push(Effect::FormButton {
                missing: missing.clone(),
            });
            if let Some(eng) = self.st.engagement.as_mut() {
                eng.awaiting = Awaiting::Inputs;
                eng.asked = missing;
            }
        }
    }

    /// Renders a phase and opens its gate (or awaits the reaction after the mode's last phase).
    fn enter(&mut self, phase: u8, note: Option<String>) {
        let Some(eng) = self.st.engagement.as_mut() else {
            return;
        };
        eng.phase = phase;
        let spec = self.e.spec(eng.mode).clone();
        let last = spec.phases.last() == Some(&phase);
        eng.awaiting = if last {
            Awaiting::Reaction
        } else {
            Awaiting::Confirmation
        };
        let eng = eng.clone();
        let k = self.k();
        let mut plan = Plan::build(k, &eng, &spec);
        let mut text = note.map(|n| format!("{n}\n\n")).unwrap_or_default();
        match phase {
            1 => {
                self.ask_or_gate(text, &[]);
                return;
            }
            2 => text.push_str(&render::phase2(k, &plan, &spec)),
            3 => text.push_str(&render::phase3(k, &plan, &spec)),
            _ => {
                if eng.mode == Mode::Measure {
                    text.push_str(&format!("## {}\n\n", k.ui("heading.measure")));
                    text.push_str(&render::metrics(k, &plan));
                } else {
                    let c = plan.grade(k, &eng);
                    text.push_str(&render::phase4(k, &plan, &c));
                }
            }
        }
        text.push_str("\n\n");
        if last {
            text.push_str(&render::next_steps(k, &plan, &spec, &eng));
            text.push_str("\n\n");
            text.push_str(k.ui("reaction.final"));
        } else {
            text.push_str(&render::decision(k, &format!("phase{phase}")));
        }
        self.say(text);
        if !last {
            self.out.push(Effect::GateButtons { phase });
        }
    }

    fn in_engagement(&mut self, text: &str, attachments: &[Attachment]) {
        let t = &self.e.turn;
        if attachments.is_empty() && t.start_over.is_match(text) {
            self.reset();
            return;
        }
        if attachments.is_empty() && t.back.is_match(text) {
            self.back();
            return;
        }
        if text.is_empty() && attachments.is_empty() {
            let t = self.ui("input.empty");
            self.say(t);
            return;
        }
        let Some(eng) = self.st.engagement.as_ref() else {
            return;
        };
        let awaiting = eng.awaiting;
        let is_confirm = attachments.is_empty() && t.confirm.is_match(text);
        // "should we switch to Flux?" asks for advice; "actually we use Flux" corrects.
        let is_question = attachments.is_empty()
            && t.question.is_match(text)
            && (!t.correction.is_match(text) || t.advice.is_match(text));
        match awaiting {
            Awaiting::Inputs => {
                if is_confirm {
                    self.answer_inputs_first();
                    return;
                }
                if is_question && self.e.extractor.extract(text, &[]).is_empty() {
                    let mut a = self.answer_within(text);
                    let missing = self.e.missing(eng);
                    a.push_str("\n\n");
                    a.push_str(&render::questions(self.k(), &missing));
                    self.say(a);
                    return;
                }
                let before = eng.inputs.clone();
                let single = self.e.missing(eng);
                let (changes, notes, n) = self.take_inputs(text, attachments);
                if n == 0 && changes.is_empty() && single.len() == 1 && !text.is_empty() {
                    // One question open and the answer matched nothing we know: it is the answer.
                    let mut hits = Vec::new();
                    self.e.extractor.answer(single[0], text, &mut hits);
                    if let Some(eng) = self.st.engagement.as_mut() {
                        let _ = apply(&mut eng.inputs, &hits, &Source::Message);
                    }
                }
                let after = self
                    .st
                    .engagement
                    .as_ref()
                    .map(|e| e.inputs.clone())
                    .unwrap_or_default();
                if before == after {
                    let mut msg = notes.join("\n\n");
                    if !msg.is_empty() {
                        msg.push_str("\n\n");
                    }
                    let missing = self
                        .st
                        .engagement
                        .as_ref()
                        .map(|e| self.e.missing(e))
                        .unwrap_or_default();
                    msg.push_str(&fill(
                        self.k().ui("phase1.unmatched"),
                        &[("questions", &render::questions(self.k(), &missing))],
                    ));
                    self.say(msg);
                    return;
                }
                self.changed = true;
                let mut notes = notes;
                // An answer that also asks about a concept ("30 teams. what is kro?") gets both.
                let asked = text
                    .split(['\n', '.', ';', '!'])
                    .map(str::trim)
                    .find(|p| p.ends_with('?') && concepts::lookup(self.k(), p).is_some());
                if let Some(q) = asked {
                    notes.insert(0, self.answer(q, Mode::Concept));
                }
                self.ask_or_gate(notes.join("\n\n"), &[]);
            }
            Awaiting::Confirmation | Awaiting::Reaction => {
                if is_confirm {
                    if awaiting == Awaiting::Confirmation {
                        self.confirm();
                    } else {
                        let t = self.ui("reaction.thanks");
                        self.say(t);
                    }
                    return;
                }
                if is_question {
                    let mut a = self.answer_within(text);
                    a.push_str("\n\n");
                    a.push_str(&self.waiting_line());
                    self.say(a);
                    return;
                }
                let kept = self.st.engagement.as_ref().map(|e| e.inputs.clone());
                let (changes, notes, _) = self.take_inputs(text, attachments);
                if changes.is_empty() {
                    // Nothing changed for the user (at most a source): keep the stored state as it was.
                    if let (Some(eng), Some(kept)) = (self.st.engagement.as_mut(), kept) {
                        eng.inputs = kept;
                    }
                    let mut msg = notes.join("\n\n");
                    if !msg.is_empty() {
                        msg.push_str("\n\n");
                    }
                    msg.push_str(&self.waiting_line());
                    self.say(msg);
                    return;
                }
                self.changed = true;
                let slots: Vec<&str> = changes.iter().map(|c| c.slot.id()).collect();
                self.audit(format!("correction {}", slots.join(", ")));
                let mut note = fill(
                    self.k().ui("gate.updated"),
                    &[("diff", &diff(self.k(), &changes))],
                );
                for n in notes {
                    note.push_str("\n\n");
                    note.push_str(&n);
                }
                let phase = self.st.engagement.as_ref().map(|e| e.phase).unwrap_or(1);
                if phase == 1 {
                    self.ask_or_gate(note, &[]);
                } else {
                    self.enter(phase, Some(note));
                }
            }
            Awaiting::Nothing => {}
        }
    }

    /// Answers a question asked inside an engagement: a concept, what one of the Phase 1 questions
    /// means, the out-of-scope pointer only for a clear cluster-level request, else an honest "I don't
    /// know" with the nearest topics. It never routes: the engagement goes on.
    fn answer_within(&self, text: &str) -> String {
        let k = self.k();
        if concepts::lookup(k, text).is_some() {
            return self.answer(text, Mode::Concept);
        }
        let lower = text.to_lowercase();
        let about = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        let slot = [
            (Slot::Constraints, &["constraint"][..]),
            (Slot::TopPain, &["pain"][..]),
            (Slot::FirstCapabilities, &["capabilit"][..]),
            (Slot::ExistingStack, &["existing stack", "the stack"][..]),
            (Slot::ConsumerTeams, &["consumer team", "consumer"][..]),
        ]
        .into_iter()
        .find(|(_, w)| about(w));
        if let Some((slot, _)) = slot {
            return k.ui(&format!("ask.{}", slot.id())).to_string();
        }
        let r = self.e.classify(text);
        if r.mode == Mode::OutOfScope && r.fired.iter().any(|f| f.starts_with("out_of_scope/")) {
            return self.answer(text, Mode::OutOfScope);
        }
        self.answer(text, Mode::Concept)
    }

    /// The line that reminds what the gate waits for.
    fn waiting_line(&self) -> String {
        let Some(eng) = self.st.engagement.as_ref() else {
            return String::new();
        };
        match eng.awaiting {
            Awaiting::Reaction => self.ui("reaction.final"),
            _ => fill(
                self.k().ui("gate.waiting"),
                &[(
                    "decision",
                    self.k().ui(&format!("decision.phase{}", eng.phase)),
                )],
            ),
        }
    }

    /// "Nothing to confirm yet": a confirmation while Phase 1 inputs are still missing.
    fn answer_inputs_first(&mut self) {
        let missing: Vec<String> = self
            .st
            .engagement
            .as_ref()
            .map(|eng| self.e.missing(eng))
            .unwrap_or_default()
            .iter()
            .map(|s| render::slot_name(self.k(), *s))
            .collect();
        let t = fill(
            self.k().ui("gate.answer_inputs_first"),
            &[("missing", &missing.join(", "))],
        );
        self.say(t);
    }

    fn confirm(&mut self) {
        let Some(eng) = self.st.engagement.as_ref() else {
            let t = self.ui("status.none");
            self.say(t);
            return;
        };
        if let Some(g) = self.gate {
            if eng.awaiting != Awaiting::Confirmation || eng.phase != g {
                let t = fill(self.k().ui("gate.stale"), &[("phase", &g.to_string())]);
                self.say(t);
                return;
            }
        }
        match eng.awaiting {
            Awaiting::Inputs => {
                self.answer_inputs_first();
                return;
            }
            Awaiting::Reaction | Awaiting::Nothing => {
                let t = self.ui("reaction.thanks");
                self.say(t);
                return;
            }
            Awaiting::Confirmation => {}
        }
        if !self.authorised() {
            self.deny("confirm this gate");
            return;
        }
        let phase = eng.phase;
        let spec = self.e.spec(eng.mode).clone();
        let Some(next) = spec.phases.iter().copied().find(|p| *p > phase) else {
            return;
        };
        self.audit(format!("confirm phase {phase}"));
        if let Some(eng) = self.st.engagement.as_mut() {
            eng.history.push(Checkpoint {
                phase,
                awaiting: Awaiting::Confirmation,
            });
            if phase == 1 {
                // Leaving Phase 1: what a scoped mode did not ask is filled with explicit defaults.
                let unasked: Vec<Slot> = Slot::ALL
                    .into_iter()
                    .filter(|s| !spec.inputs.contains(s))
                    .collect();
                let _ = eng;
                self.default_unknowns(&unasked);
            }
        }
        self.changed = true;
        let note = fill(
            self.k().ui("gate.confirmed"),
            &[("phase", &phase.to_string()), ("user", &echo(&self.user))],
        );
        self.enter(next, Some(note));
    }

    fn revise(&mut self) {
        match &self.st.engagement {
            Some(eng) if eng.awaiting != Awaiting::Inputs => {
                let t = self.ui("gate.revise");
                self.say(t);
            }
            Some(_) => {
                let t = self.ui("revise.nothing");
                self.say(t);
            }
            None => {
                let t = self.ui("status.none");
                self.say(t);
            }
        }
    }

    fn back(&mut self) {
        if self.st.engagement.is_none() {
            let t = self.ui("status.none");
            self.say(t);
            return;
        }
        if !self.authorised() {
            self.deny("go back");
            return;
        }
        let Some(cp) = self.st.engagement.as_mut().and_then(|e| e.history.pop()) else {
            let t = self.ui("back.none");
            self.say(t);
            return;
        };
        self.changed = true;
        self.audit(format!("back to phase {}", cp.phase));
        let note = fill(
            self.k().ui("back.done"),
            &[("phase", &cp.phase.to_string())],
        );
        if cp.phase == 1 {
            let spec = self
                .st
                .engagement
                .as_ref()
                .map(|e| self.e.spec(e.mode).clone());
            if let (Some(eng), Some(spec)) = (self.st.engagement.as_mut(), spec) {
                eng.phase = 1;
                // The defaults filled in when Phase 1 was confirmed go again: Phase 1 is open.
                for slot in Slot::ALL {
                    if !spec.inputs.contains(&slot) {
                        if let Some(items) = eng.inputs.get_mut(&slot) {
                            items.retain(|i| i.source != Source::Default);
                        }
                    }
                }
                eng.inputs.retain(|_, items| !items.is_empty());
            }
            self.ask_or_gate(note, &[]);
        } else {
            self.enter(cp.phase, Some(note));
        }
    }

    fn reset(&mut self) {
        if self.st.engagement.is_none() && self.st.pending.is_none() {
            let t = self.ui("reset.none");
            self.say(t);
            return;
        }
        if !self.authorised() {
            self.deny("reset this engagement");
            return;
        }
        self.st.engagement = None;
        self.st.pending = None;
        self.st.last_route = None;
        self.changed = true;
        let t = self.ui("reset.done");
        self.say(t);
    }
}

fn is_recon(a: &Attachment) -> bool {
    let f = a.filename.to_lowercase();
    f.ends_with(".yaml") || f.ends_with(".yml") || f.contains("eks-recon")
}

/// "existing stack: Argo CD → Flux".
fn diff(k: &Knowledge, changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| {
            let b = if c.before.is_empty() {
                "—".to_string()
            } else {
                echo(&c.before.join(", "))
            };
            let a = if c.after.is_empty() {
                "—".to_string()
            } else {
                echo(&c.after.join(", "))
            };
            format!("- {}: {b} → {a}", render::slot_name(k, c.slot))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
