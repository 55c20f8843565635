//! The knowledge base: everything pavebot says, loaded from `replies/` and the Defaults table in
//! `config/defaults-table.toml`, validated once at start-up.
//!
//! The files are compiled into the binary (so `cargo run` works from any directory) and can be
//! replaced at run time by pointing `replies_dir` at a directory of the same layout. Either way every
//! file goes through the same parser and the same checks: a missing file, a missing key, an option
//! without words or a placeholder the engine does not know is a [`LoadError`] naming the file.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::error::LoadError;

/// The reference topics the workflow names, one knowledge file each.
pub const TOPICS: [&str; 11] = [
    "golden-paths",
    "developer-portal",
    "gitops-delivery",
    "progressive-delivery",
    "infrastructure-abstraction",
    "application-model",
    "idp-architecture",
    "identity-and-tenancy",
    "genai-platform-engineering",
    "aiml-data-platform",
    "measuring-success",
];

/// Keys of `[words]` in replies/architecture.toml that the plan uses.
pub const PLAN_WORDS: &[&str] = &[
    "heading.wiring",
    "heading.promotion",
    "heading.kept",
    "heading.support",
    "heading.details",
    "heading.changed",
    "line.row",
    "line.support",
    "line.path",
    "line.kept",
    "line.replaced",
    "line.default",
    "line.override",
    "line.path_default",
    "line.conflict",
    "line.staffing",
    "promotion.stages",
    "promotion.single",
    "promotion.unknown",
    "wiring.single",
    "wiring.multi",
    "wiring.per_team",
    "wiring.per_tenant",
    "wiring.unknown",
    "staff.self_hosted.small",
    "staff.self_hosted.medium",
    "staff.self_hosted.large",
    "staff.supported.small",
    "staff.supported.medium",
    "staff.supported.large",
    "staff.saas.small",
    "staff.saas.medium",
    "staff.saas.large",
    "stage.kept",
    "stage.new",
    "milestone.name",
    "milestone.pain",
    "milestone.capability",
    "check.1",
    "check.2",
    "check.3",
    "check.4",
    "check.5",
    "check.6",
    "check.1.ok",
    "check.1.missing",
    "check.1.nothing",
    "check.1.rework",
    "check.2.ok",
    "check.2.bare",
    "check.3.ok",
    "check.3.missing",
    "check.4.ok",
    "check.4.lacks",
    "check.5.ok",
    "check.5.bad",
    "check.6.ok",
    "check.6.bad",
    "check.conflict",
    "check.contradicted",
    "miss.team",
    "miss.ml_team",
    "miss.capability",
    "miss.ml_off",
    "miss.environment",
    "miss.account",
    "details.more",
    "capability.ship_service",
    "capability.provision_infra",
    "capability.scaffold_repo",
    "capability.ml_job",
    "capability.environment",
    "team.app",
    "team.ml",
    "team.data",
    "team.platform",
    "team.external_tenants",
    "account.single",
    "account.multi",
    "account.per_team",
    "account.per_tenant",
    "fact.single_env",
    "fact.single_cluster",
    "fact.single_team",
    "fact.hard_tenancy",
    "fact.account_per_tenant",
    "fact.multi_account",
    "fact.hide_k8s",
    "fact.ml",
    "fact.constraint",
    "fact.stack",
    "weeks.range",
    "weeks.one",
];

/// Placeholders for the team's own facts, filled from the profile: the environments in order
/// ("dev, staging and prod"), the first and last environment, and the consumer teams ("your 12 app
/// teams").
pub const PROFILE_VARS: [&str; 4] = ["environments", "first_env", "last_env", "teams"];

/// Placeholders allowed in knowledge text: the Defaults-table rows.
pub const ROW_IDS: [&str; 10] = [
    "developer_portal",
    "gitops_delivery",
    "progressive_delivery",
    "promotion",
    "self_service_infra",
    "application_model",
    "topology",
    "tenancy",
    "success_metrics",
    "ai_ml_paths",
];

/// A piece of text that may apply only to some plans: `"text"` or
/// `{ text = "...", when_option = [...], unless_option = [...], when = [...], unless = [...] }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CondText {
    /// Always applies.
    Plain(String),
    /// Applies when its guard holds.
    Guarded(Guarded),
}

/// A guarded text: see [`CondText`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guarded {
    /// The text.
    pub text: String,
    /// Only when one of these options is chosen.
    #[serde(default)]
    pub when_option: Vec<String>,
    /// Not when any of these options is chosen.
    #[serde(default)]
    pub unless_option: Vec<String>,
    /// Only when all of these facts hold.
    #[serde(default)]
    pub when: Vec<String>,
    /// Not when any of these facts holds.
    #[serde(default)]
    pub unless: Vec<String>,
}

impl CondText {
    /// The text.
    pub fn text(&self) -> &str {
        match self {
            CondText::Plain(s) => s,
            CondText::Guarded(g) => &g.text,
        }
    }

    /// True when the text applies to a plan with these options and facts.
    pub fn applies(&self, option: impl Fn(&str) -> bool, fact: impl Fn(&str) -> bool) -> bool {
        match self {
            CondText::Plain(_) => true,
            CondText::Guarded(g) => guard(
                &g.when_option,
                &g.unless_option,
                &g.when,
                &g.unless,
                option,
                fact,
            ),
        }
    }

    fn guards(&self) -> [&[String]; 4] {
        match self {
            CondText::Plain(_) => [&[], &[], &[], &[]],
            CondText::Guarded(g) => [&g.when_option, &g.unless_option, &g.when, &g.unless],
        }
    }
}

/// A text given whole, or as a list of pieces (each may be guarded) joined with spaces.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Pieces {
    /// One plain text.
    One(String),
    /// Pieces, joined with a space; pieces whose guard fails are left out.
    Many(Vec<CondText>),
}

impl Pieces {
    /// The text for a plan with these options and facts.
    pub fn resolve(&self, option: impl Fn(&str) -> bool, fact: impl Fn(&str) -> bool) -> String {
        match self {
            Pieces::One(s) => s.clone(),
            Pieces::Many(v) => v
                .iter()
                .filter(|p| p.applies(&option, &fact))
                .map(CondText::text)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// Every piece.
    pub fn pieces(&self) -> Vec<CondText> {
        match self {
            Pieces::One(s) => vec![CondText::Plain(s.clone())],
            Pieces::Many(v) => v.clone(),
        }
    }
}

/// The common guard: `when_option` (any chosen, or empty), no `unless_option` chosen, every `when`
/// fact holds, no `unless` fact holds.
pub fn guard(
    when_option: &[String],
    unless_option: &[String],
    when: &[String],
    unless: &[String],
    option: impl Fn(&str) -> bool,
    fact: impl Fn(&str) -> bool,
) -> bool {
    (when_option.is_empty() || when_option.iter().any(|o| option(o)))
        && !unless_option.iter().any(|o| option(o))
        && when.iter().all(|f| fact(f))
        && !unless.iter().any(|f| fact(f))
}

/// Fact prefixes (see replies/README.md); a `when`/`unless` fact must use one of them.
pub const FACT_PREFIXES: [&str; 17] = [
    "portal:",
    "gitops:",
    "mesh:",
    "iac:",
    "ci:",
    "progressive:",
    "promotion:",
    "policy:",
    "identity:",
    "compute:",
    "registry:",
    "constraint:",
    "want:",
    "metrics:",
    "consumers:",
    "cap:",
    "pain:",
];

macro_rules! embedded {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../../", $path)))),*]
    };
}

/// The data files compiled into the binary, by path relative to the project root.
pub const EMBEDDED: &[(&str, &str)] = embedded!(
    "config/defaults-table.toml",
    "replies/ui.toml",
    "replies/decisions.toml",
    "replies/stack.toml",
    "replies/paths.toml",
    "replies/architecture.toml",
    "replies/concepts.toml",
    "replies/knowledge/golden-paths.toml",
    "replies/knowledge/developer-portal.toml",
    "replies/knowledge/gitops-delivery.toml",
    "replies/knowledge/progressive-delivery.toml",
    "replies/knowledge/infrastructure-abstraction.toml",
    "replies/knowledge/application-model.toml",
    "replies/knowledge/idp-architecture.toml",
    "replies/knowledge/identity-and-tenancy.toml",
    "replies/knowledge/genai-platform-engineering.toml",
    "replies/knowledge/aiml-data-platform.toml",
    "replies/knowledge/measuring-success.toml",
);

/// One override of a Defaults-table row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The option chosen when the override applies.
    pub option: String,
    /// Applies when any of these facts hold.
    #[serde(default)]
    pub any: Vec<String>,
    /// Applies when all of these facts hold.
    #[serde(default)]
    pub all: Vec<String>,
    /// True when the option replaces the tool the team runs (the row's words give the reason).
    #[serde(default)]
    pub replace: bool,
}

/// One row of the Defaults table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// Row id (`gitops_delivery`).
    pub id: String,
    /// Row label (`GitOps delivery`).
    pub label: String,
    /// The default option id.
    pub default: String,
    /// Overrides, tried in order.
    #[serde(default, rename = "override")]
    pub overrides: Vec<Override>,
}

/// A choice that clashes with a constraint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictRule {
    /// Conflict id; its words are `[conflict]` in decisions.toml.
    pub id: String,
    /// The constraint fact.
    pub constraint: String,
    /// The option ids that clash with it.
    pub options: Vec<String>,
    /// The Quality Checklist item (1-6) it fails while it stands; none for a caveat.
    #[serde(default)]
    pub item: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    row: Vec<Row>,
    #[serde(default)]
    support: Vec<Row>,
    conflict: Vec<ConflictRule>,
}

/// The words for one option.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionText {
    /// The tool as a user would name it.
    pub tool: String,
    /// The words that identify this option in rendered text (default: `tool`).
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// What the choice costs.
    pub tradeoff: String,
    /// One alternative.
    pub alternative: String,
    /// Where it runs.
    pub runs_on: String,
    /// How it is used.
    pub detail: String,
    /// The trade-off in a phrase (the one-line Phase 2 summary).
    #[serde(default)]
    pub brief: String,
    /// The alternative in a phrase (the one-line Phase 2 summary).
    #[serde(default)]
    pub instead: String,
    /// How this tool spans several AWS accounts (its own words; empty when it has nothing to cross).
    #[serde(default)]
    pub cross_account: String,
    /// The roadmap work when the team does not run it yet.
    #[serde(default)]
    pub stand_up: String,
    /// The roadmap work when the team already runs it (integrate or extend, not stand up).
    #[serde(default)]
    pub extend: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionsFile {
    option: BTreeMap<String, OptionText>,
    conflict: BTreeMap<String, String>,
}

/// A component of the integrated stack beyond the Defaults table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Id.
    pub id: String,
    /// Layer (`Compute`, `Identity`).
    pub layer: String,
    /// Tool.
    pub tool: String,
    /// Trade-off.
    pub tradeoff: String,
    /// One alternative.
    pub alternative: String,
    /// Where it runs.
    pub runs_on: String,
    /// Facts that must all hold.
    #[serde(default)]
    pub when: Vec<String>,
    /// Facts any of which drop it.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Only when one of these options is chosen.
    #[serde(default)]
    pub when_option: Vec<String>,
    /// Not when any of these options is chosen.
    #[serde(default)]
    pub unless_option: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StackFile {
    component: Vec<Component>,
}

/// A golden path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathSpec {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The `cap:` facts it serves.
    pub capabilities: Vec<String>,
    /// The `consumers:` facts it serves (AI/ML paths: which consumer teams get it).
    #[serde(default)]
    pub consumers: Vec<String>,
    /// A short name for the AI/ML decision line (`JupyterHub`).
    #[serde(default)]
    pub short: String,
    /// What the developer gives.
    pub developer_provides: Pieces,
    /// What the platform does.
    pub platform_does: Pieces,
    /// How it runs, step by step (a step may apply only to some plans).
    pub steps: Vec<CondText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathsFile {
    path: Vec<PathSpec>,
    ml_path: Vec<PathSpec>,
}

/// Topology words for one topology option.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Summary.
    pub summary: String,
    /// What runs on the hub.
    pub hub: String,
    /// What runs on the spokes.
    pub spokes: String,
    /// How clusters are registered.
    pub bridge: String,
    /// When set, replaces every "hub"/"spoke" placement in the plan (a topology without a hub).
    #[serde(default)]
    pub placement: String,
}

/// One tenant-onboarding step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnboardingStep {
    /// The step.
    pub text: String,
    /// What it covers (`namespace`, `rbac`, ...).
    pub covers: Vec<String>,
    /// Only when one of these options is chosen.
    #[serde(default)]
    pub when_option: Vec<String>,
    /// Not when any of these options is chosen.
    #[serde(default)]
    pub unless_option: Vec<String>,
    /// Only when all of these facts hold.
    #[serde(default)]
    pub when: Vec<String>,
    /// Not when any of these facts holds.
    #[serde(default)]
    pub unless: Vec<String>,
}

/// One roadmap stage.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Id (`portal`, `first_path`, ...).
    pub id: String,
    /// Title.
    pub title: String,
    /// What happens.
    pub text: String,
    /// Exit criteria.
    pub exit: String,
    /// When, roughly, for a mid-sized organisation (the plan scales it).
    pub weeks: String,
    /// The Defaults row whose tool this stage stands up or extends.
    #[serde(default)]
    pub row: String,
    /// The title when the team already runs that row's tool.
    #[serde(default)]
    pub kept_title: String,
    /// Only when one of these options is chosen (a stage id may have variants for different choices).
    #[serde(default)]
    pub when_option: Vec<String>,
    /// Not when any of these options is chosen.
    #[serde(default)]
    pub unless_option: Vec<String>,
}

/// The first milestone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// Its name.
    pub name: String,
    /// Exit criteria.
    pub exit: String,
    /// What it is.
    pub text: String,
}

/// A DORA metric.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dora {
    /// Name.
    pub name: String,
    /// Definition.
    pub definition: String,
    /// Elite tier value.
    pub elite: String,
    /// High tier value.
    pub high: String,
    /// Medium tier value.
    pub medium: String,
    /// Low tier value.
    pub low: String,
}

/// An adoption signal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    /// Name.
    pub name: String,
    /// Definition.
    pub definition: String,
}

/// How a constraint shapes the plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shaping {
    /// Id.
    pub id: String,
    /// The constraint fact.
    pub fact: String,
    /// Title.
    pub title: String,
    /// What changes (an item may apply only to some plans).
    pub items: Vec<CondText>,
}

/// Phase 3 and 4 material.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Topology words per topology option.
    pub topology: BTreeMap<String, Topology>,
    /// Tenant onboarding, in order.
    pub onboarding: Vec<OnboardingStep>,
    /// Roadmap stages, in order.
    pub roadmap: Vec<Stage>,
    /// The first milestone.
    pub milestone: Milestone,
    /// DORA metrics.
    pub dora: Vec<Dora>,
    /// Adoption signals.
    pub adoption: Vec<Signal>,
    /// Constraint shaping.
    pub constraint_shaping: Vec<Shaping>,
    /// The plan's own words (sizing, wiring, promotion, milestone, checklist), keyed like ui.toml and
    /// filled with per-key variables; see [`PLAN_WORDS`].
    #[serde(default)]
    pub words: BTreeMap<String, String>,
}

/// A one-shot concept answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    /// Id.
    pub id: String,
    /// Alias groups; every group must match.
    #[serde(rename = "match")]
    pub groups: Vec<Vec<String>>,
    /// The answer.
    pub answer: String,
    /// How it fits the default stack.
    pub fits: String,
    /// Knowledge topic id.
    pub topic: String,
    /// The alias groups normalised for matching (computed once at load).
    #[serde(skip)]
    pub normalised: Vec<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConceptsFile {
    concept: Vec<Concept>,
}

/// One reference topic.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Id (file name).
    pub id: String,
    /// Title.
    pub title: String,
    /// What it is.
    pub summary: String,
    /// When to choose it.
    pub when: String,
    /// Trade-off.
    pub tradeoff: String,
    /// Alternative.
    pub alternative: String,
    /// Override conditions.
    pub overrides: String,
    /// Concrete next steps.
    pub next_steps: Vec<CondText>,
    /// Conflicts with constraints.
    pub conflicts: TopicConflicts,
}

/// How a topic clashes with the three big constraints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicConflicts {
    /// Air-gapped.
    pub airgapped: String,
    /// Compliance.
    pub compliance: String,
    /// Multi-account.
    pub multi_account: String,
}

/// Everything loaded and checked.
#[derive(Debug, Clone)]
pub struct Knowledge {
    /// The Defaults table rows.
    pub rows: Vec<Row>,
    /// Supporting components decided like Defaults rows (compute, registry, identity, CI, ...).
    pub support: Vec<Row>,
    /// Conflict rules.
    pub conflicts: Vec<ConflictRule>,
    /// UI strings.
    pub ui: BTreeMap<String, String>,
    /// Option words.
    pub options: BTreeMap<String, OptionText>,
    /// Conflict words.
    pub conflict_text: BTreeMap<String, String>,
    /// Integrated stack.
    pub stack: Vec<Component>,
    /// The four core golden paths.
    pub paths: Vec<PathSpec>,
    /// AI/ML paths.
    pub ml_paths: Vec<PathSpec>,
    /// Phase 3-4 material.
    pub arch: Architecture,
    /// Concept answers.
    pub concepts: Vec<Concept>,
    /// Reference topics by id.
    pub topics: BTreeMap<String, Topic>,
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, LoadError> {
    toml::from_str(text).map_err(|e| LoadError::new(file, e.to_string().trim().replace('\n', " ")))
}

impl Knowledge {
    /// Loads the files compiled into the binary.
    pub fn embedded() -> Result<Knowledge, LoadError> {
        Knowledge::load_with(|path| {
            EMBEDDED
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, text)| (*text).to_string())
                .ok_or_else(|| LoadError::new(path, "not compiled in"))
        })
    }

    /// Loads every file through `read` (path relative to the project root) and validates the whole.
    pub fn load_with(
        read: impl Fn(&str) -> Result<String, LoadError>,
    ) -> Result<Knowledge, LoadError> {
        let defaults: DefaultsFile = parse(
            "config/defaults-table.toml",
            &read("config/defaults-table.toml")?,
        )?;
        let ui: BTreeMap<String, String> = parse("replies/ui.toml", &read("replies/ui.toml")?)?;
        let decisions: DecisionsFile =
            parse("replies/decisions.toml", &read("replies/decisions.toml")?)?;
        let stack: StackFile = parse("replies/stack.toml", &read("replies/stack.toml")?)?;
        let paths: PathsFile = parse("replies/paths.toml", &read("replies/paths.toml")?)?;
        let arch: Architecture = parse(
            "replies/architecture.toml",
            &read("replies/architecture.toml")?,
        )?;
        let concepts: ConceptsFile =
            parse("replies/concepts.toml", &read("replies/concepts.toml")?)?;
        let mut topics = BTreeMap::new();
        for id in TOPICS {
            let file = format!("replies/knowledge/{id}.toml");
            let topic: Topic = parse(&file, &read(&file)?)?;
            if topic.id != id {
                return Err(LoadError::new(
                    file,
                    format!("id is {:?}, expected {id:?}", topic.id),
                ));
            }
            topics.insert(id.to_string(), topic);
        }
        let k = Knowledge {
            rows: defaults.row,
            support: defaults.support,
            conflicts: defaults.conflict,
            ui,
            options: decisions.option,
            conflict_text: decisions.conflict,
            stack: stack.component,
            paths: paths.path,
            ml_paths: paths.ml_path,
            arch,
            concepts: concepts
                .concept
                .into_iter()
                .map(|mut c| {
                    c.normalised = c
                        .groups
                        .iter()
                        .map(|g| g.iter().map(|a| crate::concepts::normalise(a)).collect())
                        .collect();
                    c
                })
                .collect(),
            topics,
        };
        k.validate()?;
        Ok(k)
    }

    fn validate(&self) -> Result<(), LoadError> {
        let e = LoadError::new;
        let missing = crate::catalog::missing(|key| self.ui.contains_key(key));
        if !missing.is_empty() {
            return Err(e(
                "replies/ui.toml",
                format!("missing key(s) the code uses: {}", missing.join(", ")),
            ));
        }
        let row_ids: Vec<&str> = self.rows.iter().map(|r| r.id.as_str()).collect();
        if row_ids != ROW_IDS {
            return Err(e(
                "config/defaults-table.toml",
                format!("rows must be, in order: {}", ROW_IDS.join(", ")),
            ));
        }
        for key in PLAN_WORDS {
            if self
                .arch
                .words
                .get(*key)
                .is_none_or(|w| w.trim().is_empty())
            {
                return Err(e(
                    "replies/architecture.toml",
                    format!("missing [words] {key:?}"),
                ));
            }
        }
        let mut option_ids = BTreeSet::new();
        for row in self.rows.iter().chain(&self.support) {
            option_ids.insert(row.default.as_str());
            for o in &row.overrides {
                if o.any.is_empty() && o.all.is_empty() {
                    return Err(e(
                        "config/defaults-table.toml",
                        format!("row {}: override {} has no condition", row.id, o.option),
                    ));
                }
                option_ids.insert(o.option.as_str());
            }
        }
        for id in &option_ids {
            let Some(o) = self.options.get(*id) else {
                return Err(e(
                    "replies/decisions.toml",
                    format!("missing [option.{id}]"),
                ));
            };
            for (field, text) in [
                ("tool", &o.tool),
                ("tradeoff", &o.tradeoff),
                ("alternative", &o.alternative),
                ("runs_on", &o.runs_on),
                ("detail", &o.detail),
                ("brief", &o.brief),
                ("instead", &o.instead),
            ] {
                if text.trim().is_empty() {
                    return Err(e(
                        "replies/decisions.toml",
                        format!("[option.{id}] {field} is empty"),
                    ));
                }
            }
        }
        for c in &self.conflicts {
            if !self.conflict_text.contains_key(&c.id) {
                return Err(e(
                    "replies/decisions.toml",
                    format!("missing [conflict] {}", c.id),
                ));
            }
            if let Some(o) = c.options.iter().find(|o| !option_ids.contains(o.as_str())) {
                return Err(e(
                    "config/defaults-table.toml",
                    format!("conflict {}: unknown option {o}", c.id),
                ));
            }
        }
        for t in ["hub_spoke", "single_cluster"] {
            if !self.arch.topology.contains_key(t) {
                return Err(e(
                    "replies/architecture.toml",
                    format!("missing [topology.{t}]"),
                ));
            }
        }
        for p in ["environment", "aws_resource", "onboard_app", "ship_safely"] {
            if !self.paths.iter().any(|x| x.id == p) {
                return Err(e("replies/paths.toml", format!("missing golden path {p}")));
            }
        }
        if self.arch.roadmap.len() < 4 || self.arch.dora.len() < 4 || self.arch.adoption.is_empty()
        {
            return Err(e(
                "replies/architecture.toml",
                "needs at least 4 roadmap stages, 4 DORA metrics and 1 adoption signal".to_string(),
            ));
        }
        let mut seen = BTreeSet::new();
        for c in &self.concepts {
            if !seen.insert(c.id.as_str()) {
                return Err(e(
                    "replies/concepts.toml",
                    format!("duplicate concept id {}", c.id),
                ));
            }
            if c.groups.is_empty()
                || c.groups
                    .iter()
                    .any(|g| g.is_empty() || g.iter().any(|a| a.trim().is_empty()))
            {
                return Err(e(
                    "replies/concepts.toml",
                    format!("concept {} has an empty match group", c.id),
                ));
            }
            if !self.topics.contains_key(&c.topic) {
                return Err(e(
                    "replies/concepts.toml",
                    format!("concept {}: unknown topic {}", c.id, c.topic),
                ));
            }
        }
        self.validate_guards(&option_ids)?;
        // Placeholders: only the Defaults-table rows, anywhere in the knowledge text.
        for (file, text) in self.knowledge_strings() {
            check_placeholders(file, &text)?;
        }
        Ok(())
    }

    /// Every option id and fact named in a guard must exist, so a typo cannot silently drop text.
    fn validate_guards(&self, option_ids: &BTreeSet<&str>) -> Result<(), LoadError> {
        let both = |a: &'_ [String], b: &'_ [String]| -> Vec<String> {
            a.iter().chain(b).cloned().collect()
        };
        let mut guards: Vec<(&str, String, Vec<String>, Vec<String>)> = Vec::new();
        for c in &self.stack {
            guards.push((
                "replies/stack.toml",
                format!("component {}", c.id),
                both(&c.when_option, &c.unless_option),
                both(&c.when, &c.unless),
            ));
        }
        for p in self.paths.iter().chain(&self.ml_paths) {
            guards.push((
                "replies/paths.toml",
                format!("path {}", p.id),
                vec![],
                both(&p.capabilities, &p.consumers),
            ));
            let pieces = p.developer_provides.pieces();
            let more = p.platform_does.pieces();
            for (i, st) in p.steps.iter().chain(&pieces).chain(&more).enumerate() {
                let [wo, uo, wf, uf] = st.guards();
                guards.push((
                    "replies/paths.toml",
                    format!("path {} text {}", p.id, i + 1),
                    both(wo, uo),
                    both(wf, uf),
                ));
            }
        }
        for t in self.topics.values() {
            for (i, st) in t.next_steps.iter().enumerate() {
                let [wo, uo, wf, uf] = st.guards();
                guards.push((
                    "replies/knowledge",
                    format!("{} next step {}", t.id, i + 1),
                    both(wo, uo),
                    both(wf, uf),
                ));
            }
        }
        let a = &self.arch;
        for (i, o) in a.onboarding.iter().enumerate() {
            guards.push((
                "replies/architecture.toml",
                format!("onboarding step {}", i + 1),
                both(&o.when_option, &o.unless_option),
                both(&o.when, &o.unless),
            ));
        }
        for r in &a.roadmap {
            guards.push((
                "replies/architecture.toml",
                format!("roadmap stage {}", r.id),
                both(&r.when_option, &r.unless_option),
                vec![],
            ));
        }
        for c in &a.constraint_shaping {
            guards.push((
                "replies/architecture.toml",
                format!("constraint_shaping {}", c.id),
                vec![],
                vec![c.fact.clone()],
            ));
            for (i, it) in c.items.iter().enumerate() {
                let [wo, uo, wf, uf] = it.guards();
                guards.push((
                    "replies/architecture.toml",
                    format!("constraint_shaping {} item {}", c.id, i + 1),
                    both(wo, uo),
                    both(wf, uf),
                ));
            }
        }
        for (file, what, opts, facts) in guards {
            if let Some(o) = opts.iter().find(|o| !option_ids.contains(o.as_str())) {
                return Err(LoadError::new(file, format!("{what}: unknown option {o}")));
            }
            if let Some(f) = facts.iter().find(|f| {
                !FACT_PREFIXES
                    .iter()
                    .any(|p| f.starts_with(p) && f.len() > p.len())
            }) {
                return Err(LoadError::new(file, format!("{what}: unknown fact {f}")));
            }
        }
        Ok(())
    }

    /// The words that identify an option in rendered text.
    pub fn names(&self, option: &str) -> Vec<String> {
        match self.options.get(option) {
            Some(o) => o.names.clone().unwrap_or_else(|| vec![o.tool.clone()]),
            None => Vec::new(),
        }
    }

    /// Every knowledge string with the file it belongs to (for the placeholder check and tests).
    pub fn knowledge_strings(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for o in self.options.values() {
            for s in [
                &o.tool,
                &o.tradeoff,
                &o.alternative,
                &o.runs_on,
                &o.detail,
                &o.brief,
                &o.instead,
                &o.cross_account,
                &o.stand_up,
                &o.extend,
            ]
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            {
                out.push(("replies/decisions.toml", s.clone()));
            }
        }
        for s in self.conflict_text.values() {
            out.push(("replies/decisions.toml", s.clone()));
        }
        for c in &self.stack {
            for s in [&c.tool, &c.tradeoff, &c.alternative, &c.runs_on, &c.layer] {
                out.push(("replies/stack.toml", s.clone()));
            }
        }
        for p in self.paths.iter().chain(&self.ml_paths) {
            out.push(("replies/paths.toml", p.name.clone()));
            let pieces = p.developer_provides.pieces();
            let more = p.platform_does.pieces();
            for s in p.steps.iter().chain(&pieces).chain(&more) {
                out.push(("replies/paths.toml", s.text().to_string()));
            }
        }
        let a = &self.arch;
        for t in a.topology.values() {
            let optional = (!t.placement.is_empty()).then_some(&t.placement);
            for s in [&t.summary, &t.hub, &t.spokes, &t.bridge]
                .into_iter()
                .chain(optional)
            {
                out.push(("replies/architecture.toml", s.clone()));
            }
        }
        for s in a
            .onboarding
            .iter()
            .map(|o| &o.text)
            .chain(a.roadmap.iter().flat_map(|r| [&r.title, &r.text, &r.exit]))
        {
            out.push(("replies/architecture.toml", s.clone()));
        }
        for s in [&a.milestone.name, &a.milestone.exit, &a.milestone.text] {
            out.push(("replies/architecture.toml", s.clone()));
        }
        for c in &a.constraint_shaping {
            out.push(("replies/architecture.toml", c.title.clone()));
            for s in &c.items {
                out.push(("replies/architecture.toml", s.text().to_string()));
            }
        }
        for c in &self.concepts {
            out.push(("replies/concepts.toml", c.answer.clone()));
            out.push(("replies/concepts.toml", c.fits.clone()));
        }
        for t in self.topics.values() {
            for s in [
                &t.title,
                &t.summary,
                &t.when,
                &t.tradeoff,
                &t.alternative,
                &t.overrides,
                &t.conflicts.airgapped,
                &t.conflicts.compliance,
                &t.conflicts.multi_account,
            ]
            .into_iter()
            {
                out.push(("replies/knowledge", s.clone()));
            }
            for step in &t.next_steps {
                out.push(("replies/knowledge", step.text().to_string()));
            }
        }
        out
    }

    /// A UI string by key. Every key the code uses is in [`crate::catalog::USED_KEYS`], checked
    /// present at load (and `tests/catalog.rs` checks the code uses no other), so the lookup cannot
    /// miss; if it ever did, debug builds stop here and release builds say nothing rather than
    /// showing the key.
    pub fn ui(&self, key: &str) -> &str {
        match self.ui.get(key) {
            Some(text) => text,
            None => {
                debug_assert!(false, "reply key {key:?} is not in catalog::USED_KEYS");
                ""
            }
        }
    }

    /// Keys `replies/ui.toml` declares that no code uses (reported by `pavebot check`, a warning
    /// elsewhere).
    pub fn unused_ui_keys(&self) -> Vec<&str> {
        crate::catalog::unused(self.ui.keys())
    }

    /// The words of an option (validated at load for every option the table can choose).
    pub fn option(&self, id: &str) -> Option<&OptionText> {
        self.options.get(id)
    }
}

fn check_placeholders(file: &str, text: &str) -> Result<(), LoadError> {
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            return Err(LoadError::new(
                file,
                format!("unclosed '{{' in {:?}", excerpt(text)),
            ));
        };
        let name = &after[..end];
        if !ROW_IDS.contains(&name) && !PROFILE_VARS.contains(&name) {
            return Err(LoadError::new(
                file,
                format!("unknown placeholder {{{name}}} in {:?}", excerpt(text)),
            ));
        }
        rest = &after[end + 1..];
    }
    if rest.contains('}') {
        return Err(LoadError::new(
            file,
            format!("stray '}}' in {:?}", excerpt(text)),
        ));
    }
    Ok(())
}

fn excerpt(text: &str) -> String {
    text.chars().take(60).collect()
}

/// Fills `{name}` placeholders from `vars`; unknown names are left as they are.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}
