//! Per-thread conversation state: what the engine remembers between two events.
//!
//! A [`ThreadState`] is plain data (serde, no behaviour beyond small helpers). It is what the store
//! writes to sled, one record per thread, and it carries its `schema_version` so that older records can
//! be migrated on read (by the bot crate's store). Decisions, conflicts and the checklist are *not* stored:
//! they are derived from the inputs every time, so they can never disagree with them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::router::RouteTrace;

/// The schema version written by this build.
pub const SCHEMA_VERSION: u32 = 2;

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

/// What the engagement waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Awaiting {
    /// The grouped Phase 1 questions are open.
    Inputs,
    /// A STOP gate is open.
    Confirmation,
    /// The final output of the mode is posted.
    Reaction,
    /// Nothing.
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

/// A point the engagement can go back to with `back`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The phase the engagement was in.
    pub phase: u8,
    /// What it awaited.
    pub awaiting: Awaiting,
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

/// A running engagement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    /// The mode in force.
    pub mode: Mode,
    /// Who started it; they (and approvers) confirm gates.
    pub owner: String,
    /// The current phase (1-4).
    pub phase: u8,
    /// What the engagement waits for.
    pub awaiting: Awaiting,
    /// Phase 1 answers, each slot a list of recognised items.
    pub inputs: BTreeMap<Slot, Vec<Item>>,
    /// The order in which the last grouped question listed the missing inputs (for "1. ... 2. ...").
    pub asked: Vec<Slot>,
    /// Earlier gates, for `back`.
    pub history: Vec<Checkpoint>,
    /// Confirmations and other owner actions.
    pub audit: Vec<AuditEntry>,
    /// Why this mode was chosen.
    pub route: RouteTrace,
    /// The typed team profile (records written before it existed read as empty).
    #[serde(default)]
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

/// Everything pavebot remembers about one thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadState {
    /// Schema version of this record.
    pub schema_version: u32,
    /// Events applied to this thread (those that changed it).
    pub turn: u64,
    /// The running engagement, if any.
    pub engagement: Option<Engagement>,
    /// The routing of the last one-shot answer (concept, out of scope, unclear).
    pub last_route: Option<RouteTrace>,
    /// An open clarifying question.
    pub pending: Option<Pending>,
}

impl Default for ThreadState {
    fn default() -> Self {
        ThreadState {
            schema_version: SCHEMA_VERSION,
            turn: 0,
            engagement: None,
            last_route: None,
            pending: None,
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
}

impl ThreadState {
    /// The running engagement, if any.
    pub fn engaged(&self) -> Option<&Engagement> {
        self.engagement.as_ref()
    }

    /// The current phase while an engagement runs.
    pub fn phase(&self) -> Option<u8> {
        self.engaged().map(|e| e.phase)
    }

    /// What the thread waits for (`Nothing` outside an engagement).
    pub fn awaiting(&self) -> Awaiting {
        self.engaged().map_or(Awaiting::Nothing, |e| e.awaiting)
    }

    /// The phase of the open STOP gate, if one is open.
    pub fn open_gate(&self) -> Option<u8> {
        self.engaged()
            .filter(|e| e.awaiting == Awaiting::Confirmation)
            .map(|e| e.phase)
    }

    /// Who started the running engagement.
    pub fn owner(&self) -> Option<&str> {
        self.engaged().map(|e| e.owner.as_str())
    }
}
