//! Per-thread conversation state: what the engine remembers between two events.
//!
//! A [`ThreadState`] is plain data (serde, no behaviour beyond small helpers). It is what the store
//! writes, one record per thread, and it carries its `schema_version`; [`decode`] migrates older
//! records on read (a pure function: the store only hands it the bytes). Decisions, conflicts and the
//! checklist are *not* stored: they are derived from the inputs every time, so they can never disagree
//! with them.
//!
//! What the thread waits for is a type, not a set of flags that could disagree:
//!
//! ```text
//! Thread::Idle { last_route }            no engagement (the last one-shot route, for `why`)
//! Thread::Clarifying { question, .. }    a clarifying question is open
//! Thread::Engaged(Engagement { stage })  an engagement, whose Stage is one of
//!     Stage::Inputs                      the Phase 1 questions are open (phase 1)
//!     Stage::Gate { phase }              a STOP gate is open at `phase`
//!     Stage::Reaction { phase }          the mode's final output is posted (its last phase)
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::router::RouteTrace;

/// The schema version written by this build.
pub const SCHEMA_VERSION: u32 = 3;

/// Routing modes: the seven engagement modes of the workflow's routing table, in order, then the
/// one-shot answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Full build plan, Phases 1-4.
    FullBuild,
    /// Golden paths, abbreviated Phase 1 then Phase 2.
    GoldenPaths,
    /// Developer portal, abbreviated Phase 1 then Phase 2 (portal focus).
    Portal,
    /// GitOps, progressive delivery and promotion: Phases 2-3.
    Delivery,
    /// Self-service AWS infrastructure: Phases 2-3.
    SelfServiceInfra,
    /// AI/ML and data golden paths: Phases 2-3.
    AiMl,
    /// Measuring success: Phase 4 only.
    Measure,
    /// A single concept question, answered directly.
    Concept,
    /// Not something this bot does.
    OutOfScope,
    /// Two modes were equally likely; one clarifying question was asked.
    Unclear,
}

impl Mode {
    /// Every mode, in routing-table order.
    pub const ALL: [Mode; 10] = [
        Mode::FullBuild,
        Mode::GoldenPaths,
        Mode::Portal,
        Mode::Delivery,
        Mode::SelfServiceInfra,
        Mode::AiMl,
        Mode::Measure,
        Mode::Concept,
        Mode::OutOfScope,
        Mode::Unclear,
    ];

    /// The snake_case id used in config, the replay contract and the corpus.
    pub fn id(self) -> &'static str {
        match self {
            Mode::FullBuild => "full_build",
            Mode::GoldenPaths => "golden_paths",
            Mode::Portal => "portal",
            Mode::Delivery => "delivery",
            Mode::SelfServiceInfra => "self_service_infra",
            Mode::AiMl => "ai_ml",
            Mode::Measure => "measure",
            Mode::Concept => "concept",
            Mode::OutOfScope => "out_of_scope",
            Mode::Unclear => "unclear",
        }
    }

    /// Parses a mode id.
    pub fn from_id(id: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.id() == id)
    }

    /// True for the seven modes that run an engagement.
    pub fn is_engagement(self) -> bool {
        !matches!(self, Mode::Concept | Mode::OutOfScope | Mode::Unclear)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The five Phase 1 inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    /// Consumer teams, rough count and tenancy model.
    ConsumerTeams,
    /// The top deployment pain today.
    TopPain,
    /// Which self-service capabilities to enable first.
    FirstCapabilities,
    /// The existing stack to build on or replace.
    ExistingStack,
    /// Constraints: air-gapped, compliance, multi-account, existing investment.
    Constraints,
}

impl Slot {
    /// All slots in the order the workflow lists them.
    pub const ALL: [Slot; 5] = [
        Slot::ConsumerTeams,
        Slot::TopPain,
        Slot::FirstCapabilities,
        Slot::ExistingStack,
        Slot::Constraints,
    ];

    /// The snake_case id used in config and the replay contract.
    pub fn id(self) -> &'static str {
        match self {
            Slot::ConsumerTeams => "consumer_teams",
            Slot::TopPain => "top_pain",
            Slot::FirstCapabilities => "first_capabilities",
            Slot::ExistingStack => "existing_stack",
            Slot::Constraints => "constraints",
        }
    }

    /// Parses a slot id.
    pub fn from_id(id: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|s| s.id() == id)
    }
}

/// Where a Phase 1 value came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A chat message.
    Message,
    /// An attached file (recon report or architecture document), by file name.
    Attachment(String),
    /// Filled in by the bot because the mode skips the question.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Message => f.write_str("message"),
            Source::Attachment(name) => write!(f, "attachment:{name}"),
            Source::Default => f.write_str("default"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "message" => Source::Message,
            "default" => Source::Default,
            other => match other.strip_prefix("attachment:") {
                Some(name) => Source::Attachment(name.to_string()),
                None => {
                    return Err(serde::de::Error::custom(format!(
                        "unknown source {other:?}"
                    )))
                }
            },
        })
    }
}

/// One recognised piece of a Phase 1 answer: a fact id (or a free-text key), how to show it, and
/// where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The fact id (`gitops:flux`) or `<slot>:text` for free text.
    pub key: String,
    /// What the restatement shows.
    pub label: String,
    /// Where it came from.
    pub source: Source,
}

/// What a thread waits for, as the replay contract and the adapters name it. Derived from the
/// [`Thread`] (never stored), so it cannot disagree with it; `Nothing` only outside an engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Awaiting {
    /// The grouped Phase 1 questions are open.
    Inputs,
    /// A STOP gate is open.
    Confirmation,
    /// The final output of the mode is posted.
    Reaction,
    /// Nothing (no engagement).
    Nothing,
}

impl Awaiting {
    /// The id used in the replay contract.
    pub fn id(self) -> &'static str {
        match self {
            Awaiting::Inputs => "inputs",
            Awaiting::Confirmation => "confirmation",
            Awaiting::Reaction => "reaction",
            Awaiting::Nothing => "nothing",
        }
    }
}

/// Where a running engagement stands: what it awaits, and at which phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The grouped Phase 1 questions are open (always phase 1).
    Inputs,
    /// The STOP gate of `phase` is open.
    Gate {
        /// The phase whose gate is open.
        phase: u8,
    },
    /// The output of the mode's last phase is posted; the bot awaits the team's reaction.
    Reaction {
        /// The mode's last phase.
        phase: u8,
    },
}

impl Stage {
    /// The phase this stage belongs to.
    pub fn phase(self) -> u8 {
        match self {
            Stage::Inputs => 1,
            Stage::Gate { phase } | Stage::Reaction { phase } => phase,
        }
    }

    /// What the stage awaits (never `Nothing`).
    pub fn awaiting(self) -> Awaiting {
        match self {
            Stage::Inputs => Awaiting::Inputs,
            Stage::Gate { .. } => Awaiting::Confirmation,
            Stage::Reaction { .. } => Awaiting::Reaction,
        }
    }

    /// The phase of the open gate, if this stage is a gate.
    pub fn gate(self) -> Option<u8> {
        match self {
            Stage::Gate { phase } => Some(phase),
            _ => None,
        }
    }
}

/// Who confirmed which gate, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Turn number of the thread when it happened.
    pub turn: u64,
    /// Who did it.
    pub user: String,
    /// What happened (`confirm phase 1`, `back`, `reset`, `correction existing_stack`).
    pub action: String,
}

/// A running engagement. Stored as `phase` + `awaiting` (the record shape of schema 2), and read
/// back only when the pair names a [`Stage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engagement {
    /// The mode in force.
    pub mode: Mode,
    /// Who started it; they (and approvers) confirm gates.
    pub owner: String,
    /// Where it stands: Phase 1 inputs, a gate at phase N, or the final reaction.
    pub stage: Stage,
    /// Phase 1 answers, each slot a list of recognised items.
    pub inputs: BTreeMap<Slot, Vec<Item>>,
    /// The order in which the last grouped question listed the missing inputs (for "1. ... 2. ...").
    pub asked: Vec<Slot>,
    /// The phases of the gates confirmed so far, oldest first, for `back`.
    pub history: Vec<u8>,
    /// Confirmations and other owner actions.
    pub audit: Vec<AuditEntry>,
    /// Why this mode was chosen.
    pub route: RouteTrace,
    /// The typed team profile (records written before it existed read as empty).
    pub profile: crate::profile::Profile,
}

/// A clarifying question that is waiting for an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The two modes that tied.
    pub candidates: Vec<Mode>,
    /// The message that was ambiguous.
    pub text: String,
    /// Who asked.
    pub user: String,
}

/// What the thread waits for, with exactly the data that wait needs.
// Most stored threads are engaged, so boxing the large variant would only add an allocation per step.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread {
    /// No engagement and no open question.
    Idle {
        /// The routing of the last one-shot answer (concept, out of scope), for `why`.
        last_route: Option<RouteTrace>,
    },
    /// A clarifying question is open.
    Clarifying {
        /// The question.
        question: Pending,
        /// The routing that tied, for `why`.
        last_route: Option<RouteTrace>,
    },
    /// An engagement runs.
    Engaged(Engagement),
}

impl Default for Thread {
    fn default() -> Self {
        Thread::Idle { last_route: None }
    }
}

/// Everything pavebot remembers about one thread.
///
/// The record keeps the field names of schema 2 (`engagement`, `pending`, `last_route`, and the
/// engagement's `phase` and `awaiting`), so `pavebot inspect` reads the same; what changed is that a
/// record whose fields disagree (an engagement awaiting nothing, inputs outside phase 1) is refused
/// on read instead of becoming a state the engine cannot handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadState {
    /// Schema version of this record.
    pub schema_version: u32,
    /// Events applied to this thread (those that changed it).
    pub turn: u64,
    /// What the thread waits for.
    pub thread: Thread,
}

impl Default for ThreadState {
    fn default() -> Self {
        ThreadState {
            schema_version: SCHEMA_VERSION,
            turn: 0,
            thread: Thread::default(),
        }
    }
}

impl Engagement {
    /// The items of a slot (empty when unknown).
    pub fn items(&self, slot: Slot) -> &[Item] {
        self.inputs.get(&slot).map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when the slot holds at least one item.
    pub fn knows(&self, slot: Slot) -> bool {
        !self.items(slot).is_empty()
    }

    /// The current phase (1-4).
    pub fn phase(&self) -> u8 {
        self.stage.phase()
    }

    /// What the engagement waits for (never `Nothing`).
    pub fn awaiting(&self) -> Awaiting {
        self.stage.awaiting()
    }
}

impl ThreadState {
    /// The running engagement, if any.
    pub fn engaged(&self) -> Option<&Engagement> {
        match &self.thread {
            Thread::Engaged(e) => Some(e),
            _ => None,
        }
    }

    /// The running engagement, by value.
    pub fn into_engagement(self) -> Option<Engagement> {
        match self.thread {
            Thread::Engaged(e) => Some(e),
            _ => None,
        }
    }

    /// The running engagement, mutably.
    pub fn engaged_mut(&mut self) -> Option<&mut Engagement> {
        match &mut self.thread {
            Thread::Engaged(e) => Some(e),
            _ => None,
        }
    }

    /// The open clarifying question, if any.
    pub fn pending(&self) -> Option<&Pending> {
        match &self.thread {
            Thread::Clarifying { question, .. } => Some(question),
            _ => None,
        }
    }

    /// The route `why` explains: the engagement's, else the last one-shot or clarifying route.
    pub fn route(&self) -> Option<&RouteTrace> {
        match &self.thread {
            Thread::Engaged(e) => Some(&e.route),
            Thread::Idle { last_route } | Thread::Clarifying { last_route, .. } => {
                last_route.as_ref()
            }
        }
    }

    /// The current phase while an engagement runs.
    pub fn phase(&self) -> Option<u8> {
        self.engaged().map(Engagement::phase)
    }

    /// What the thread waits for (`Nothing` outside an engagement).
    pub fn awaiting(&self) -> Awaiting {
        self.engaged()
            .map_or(Awaiting::Nothing, Engagement::awaiting)
    }

    /// The phase of the open STOP gate, if one is open.
    pub fn open_gate(&self) -> Option<u8> {
        self.engaged().and_then(|e| e.stage.gate())
    }

    /// Who started the running engagement.
    pub fn owner(&self) -> Option<&str> {
        self.engaged().map(|e| e.owner.as_str())
    }
}

// ---- the stored record ----

#[derive(Serialize)]
struct EngagementRef<'a> {
    mode: Mode,
    owner: &'a str,
    phase: u8,
    awaiting: Awaiting,
    inputs: &'a BTreeMap<Slot, Vec<Item>>,
    asked: &'a [Slot],
    history: &'a [u8],
    audit: &'a [AuditEntry],
    route: &'a RouteTrace,
    profile: &'a crate::profile::Profile,
}

#[derive(Deserialize)]
struct EngagementRecord {
    mode: Mode,
    owner: String,
    phase: u8,
    awaiting: Awaiting,
    inputs: BTreeMap<Slot, Vec<Item>>,
    asked: Vec<Slot>,
    history: Vec<u8>,
    audit: Vec<AuditEntry>,
    route: RouteTrace,
    #[serde(default)]
    profile: crate::profile::Profile,
}

impl Stage {
    /// The stage a stored `phase` + `awaiting` pair names, if it names one.
    pub fn from_parts(phase: u8, awaiting: Awaiting) -> Option<Stage> {
        if !(1..=4).contains(&phase) {
            return None;
        }
        match awaiting {
            Awaiting::Inputs if phase == 1 => Some(Stage::Inputs),
            Awaiting::Confirmation => Some(Stage::Gate { phase }),
            Awaiting::Reaction => Some(Stage::Reaction { phase }),
            Awaiting::Inputs | Awaiting::Nothing => None,
        }
    }
}

impl Serialize for Engagement {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EngagementRef {
            mode: self.mode,
            owner: &self.owner,
            phase: self.phase(),
            awaiting: self.awaiting(),
            inputs: &self.inputs,
            asked: &self.asked,
            history: &self.history,
            audit: &self.audit,
            route: &self.route,
            profile: &self.profile,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Engagement {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = EngagementRecord::deserialize(d)?;
        let stage = Stage::from_parts(r.phase, r.awaiting).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "an engagement cannot be at phase {} awaiting {}",
                r.phase,
                r.awaiting.id()
            ))
        })?;
        Ok(Engagement {
            mode: r.mode,
            owner: r.owner,
            stage,
            inputs: r.inputs,
            asked: r.asked,
            history: r.history,
            audit: r.audit,
            route: r.route,
            profile: r.profile,
        })
    }
}

#[derive(Serialize)]
struct ThreadStateRef<'a> {
    schema_version: u32,
    turn: u64,
    engagement: Option<&'a Engagement>,
    last_route: Option<&'a RouteTrace>,
    pending: Option<&'a Pending>,
}

#[derive(Deserialize)]
struct ThreadStateRecord {
    schema_version: u32,
    turn: u64,
    engagement: Option<Engagement>,
    last_route: Option<RouteTrace>,
    pending: Option<Pending>,
}

impl Serialize for ThreadState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (engagement, pending, last_route) = match &self.thread {
            Thread::Idle { last_route } => (None, None, last_route.as_ref()),
            Thread::Clarifying {
                question,
                last_route,
            } => (None, Some(question), last_route.as_ref()),
            Thread::Engaged(e) => (Some(e), None, None),
        };
        ThreadStateRef {
            schema_version: self.schema_version,
            turn: self.turn,
            engagement,
            last_route,
            pending,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ThreadState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = ThreadStateRecord::deserialize(d)?;
        let thread = match (r.engagement, r.pending) {
            (Some(e), _) => Thread::Engaged(e),
            (None, Some(question)) => Thread::Clarifying {
                question,
                last_route: r.last_route,
            },
            (None, None) => Thread::Idle {
                last_route: r.last_route,
            },
        };
        Ok(ThreadState {
            schema_version: r.schema_version,
            turn: r.turn,
            thread,
        })
    }
}

/// Why a stored record cannot be read. The texts are for the operator's log, not for users.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not JSON.
    NotJson(String),
    /// The record has no numeric `schema_version`.
    NoVersion,
    /// The record was written by a newer build.
    Newer(u64),
    /// The record is not a JSON object.
    NotAnObject,
    /// The record does not match the schema after migration.
    Shape(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotJson(e) => write!(f, "the record is not valid JSON: {e}"),
            DecodeError::NoVersion => f.write_str("the record has no schema_version"),
            DecodeError::Newer(v) => write!(
                f,
                "the record was written by a newer pavebot (schema {v}, this build reads up to {SCHEMA_VERSION})"
            ),
            DecodeError::NotAnObject => f.write_str("the record is not an object"),
            DecodeError::Shape(e) => {
                write!(f, "the record does not match schema {SCHEMA_VERSION}: {e}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decodes a stored record (JSON bytes), migrating older schema versions first.
pub fn decode(bytes: &[u8]) -> Result<ThreadState, DecodeError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    serde_json::from_value(migrate(value)?).map_err(|e| DecodeError::Shape(e.to_string()))
}

/// Brings a record (as JSON) up to [`SCHEMA_VERSION`].
///
/// * v1 (pavebot before the 0.1 release) stored each input as one `{value, source}` pair instead of a
///   list of recognised items, and had no `turn`, `asked` or `history`.
/// * v2 stored `history` as `{phase, awaiting}` checkpoints and allowed an engagement to await
///   `nothing`; v3 stores the gates' phases, and its `phase` + `awaiting` must name a [`Stage`].
pub fn migrate(mut v: Value) -> Result<Value, DecodeError> {
    let version = v
        .get("schema_version")
        .and_then(Value::as_u64)
        .ok_or(DecodeError::NoVersion)?;
    if version > u64::from(SCHEMA_VERSION) {
        return Err(DecodeError::Newer(version));
    }
    if version == 1 {
        v = v1_to_v2(v)?;
    }
    if version <= 2 {
        v = v2_to_v3(v)?;
    }
    Ok(v)
}

fn v1_to_v2(mut v: Value) -> Result<Value, DecodeError> {
    if let Some(eng) = v.get_mut("engagement").and_then(Value::as_object_mut) {
        if let Some(Value::Object(inputs)) = eng.get_mut("inputs") {
            for (slot, input) in inputs.iter_mut() {
                let value = input
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let source = input
                    .get("source")
                    .and_then(Value::as_str)
                    .unwrap_or("message")
                    .to_string();
                *input = serde_json::json!([{ "key": format!("{slot}:text"), "label": value, "source": source }]);
            }
        }
        eng.entry("asked").or_insert(Value::Array(vec![]));
        eng.entry("history").or_insert(Value::Array(vec![]));
        eng.entry("audit").or_insert(Value::Array(vec![]));
    }
    let obj = v.as_object_mut().ok_or(DecodeError::NotAnObject)?;
    obj.entry("turn").or_insert(Value::from(0));
    obj.entry("pending").or_insert(Value::Null);
    obj.entry("last_route").or_insert(Value::Null);
    obj.insert("schema_version".into(), Value::from(2));
    Ok(v)
}

/// v2 → v3: `history` held `{phase, awaiting}` checkpoints (always gates) and becomes the list of
/// the gates' phases; an engagement awaiting `nothing` (a silent dead end in v2) reads as awaiting
/// the reaction of its phase, where every message gets a reply.
fn v2_to_v3(mut v: Value) -> Result<Value, DecodeError> {
    let obj = v.as_object_mut().ok_or(DecodeError::NotAnObject)?;
    if let Some(eng) = obj.get_mut("engagement").and_then(Value::as_object_mut) {
        if let Some(Value::Array(history)) = eng.get_mut("history") {
            for cp in history.iter_mut() {
                if cp.is_object() {
                    *cp = cp.get("phase").cloned().unwrap_or(Value::Null);
                }
            }
        }
        if eng.get("awaiting").and_then(Value::as_str) == Some("nothing") {
            eng.insert("awaiting".into(), Value::from("reaction"));
        }
    }
    obj.insert("schema_version".into(), Value::from(SCHEMA_VERSION));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn route() -> Value {
        json!({"mode": "full_build", "scores": [], "fired": [], "runner_up": null, "tied": []})
    }

    fn v2(awaiting: &str, phase: u8) -> Vec<u8> {
        let v = json!({
            "schema_version": 2, "turn": 4, "pending": null, "last_route": null,
            "engagement": {
                "mode": "full_build", "owner": "alice", "phase": phase, "awaiting": awaiting,
                "inputs": {}, "asked": [], "audit": [], "route": route(),
                "history": [{"phase": 1, "awaiting": "confirmation"}]
            }
        });
        serde_json::to_vec(&v).expect("json")
    }

    #[test]
    fn a_v2_gate_becomes_a_typed_stage_and_its_history_the_gates_phases() {
        let st = decode(&v2("confirmation", 2)).expect("migrates");
        assert_eq!(st.schema_version, SCHEMA_VERSION);
        let eng = st.engaged().expect("engaged");
        assert_eq!(eng.stage, Stage::Gate { phase: 2 });
        assert_eq!(eng.history, vec![1]);
        assert_eq!(st.open_gate(), Some(2));
        assert_eq!(st.owner(), Some("alice"));
    }

    #[test]
    fn a_v2_engagement_awaiting_nothing_reads_as_its_reaction() {
        let st = decode(&v2("nothing", 3)).expect("migrates");
        assert_eq!(st.awaiting(), Awaiting::Reaction);
        assert_eq!(st.phase(), Some(3));
    }

    #[test]
    fn a_record_whose_phase_and_awaiting_disagree_is_refused() {
        let mut v: Value = serde_json::from_slice(&v2("inputs", 3)).expect("json");
        v["schema_version"] = json!(SCHEMA_VERSION);
        v["engagement"]["history"] = json!([]);
        let err = decode(&serde_json::to_vec(&v).expect("json")).expect_err("inputs at phase 3");
        assert!(matches!(err, DecodeError::Shape(_)), "{err}");
        assert_eq!(Stage::from_parts(1, Awaiting::Nothing), None);
        assert_eq!(Stage::from_parts(5, Awaiting::Confirmation), None);
    }

    #[test]
    fn every_thread_round_trips_through_its_record() {
        let eng = decode(&v2("reaction", 4))
            .expect("migrates")
            .into_engagement()
            .expect("engaged");
        let route: RouteTrace = serde_json::from_value(route()).expect("route");
        let pending = Pending {
            candidates: vec![Mode::Portal, Mode::GoldenPaths],
            text: "help".into(),
            user: "bob".into(),
        };
        for thread in [
            Thread::Idle { last_route: None },
            Thread::Idle {
                last_route: Some(route.clone()),
            },
            Thread::Clarifying {
                question: pending,
                last_route: Some(route),
            },
            Thread::Engaged(eng),
        ] {
            let st = ThreadState {
                turn: 7,
                thread,
                ..ThreadState::default()
            };
            let bytes = serde_json::to_vec(&st).expect("serialise");
            assert_eq!(decode(&bytes).expect("decode"), st);
        }
    }

    #[test]
    fn newer_missing_and_broken_records_are_errors_not_panics() {
        assert_eq!(
            decode(br#"{"schema_version": 99}"#),
            Err(DecodeError::Newer(99))
        );
        assert_eq!(decode(br#"{"turn": 1}"#), Err(DecodeError::NoVersion));
        assert!(matches!(decode(b"\xff"), Err(DecodeError::NotJson(_))));
        assert!(matches!(
            decode(br#"{"schema_version": 3, "turn": "x"}"#),
            Err(DecodeError::Shape(_))
        ));
    }
}
