//! The plan: Phase 2-4 content derived from the team profile and the knowledge base.
//!
//! Nothing here is stored. Given the same engagement, mode and knowledge, [`Plan::build`] always gives
//! the same plan, and the Quality Checklist is computed from that plan (not asserted by it).
//!
//! Every choice is derived from the *effective profile* ([`effective_profile`]): the engagement's typed
//! [`Profile`] laid over a profile bridged from the Phase 1 items ([`bridge`]). The bridge exists only
//! until the Phase 1 reader fills `Engagement.profile` itself; remove it then (facts already in the
//! profile win over bridged ones, so removing it changes nothing for engagements the reader filled).

use std::collections::{BTreeMap, BTreeSet};

/// At most this many engineers, with no team count stated, are read as one team.
const SINGLE_TEAM_MAX_ENGINEERS: u32 = 10;

use serde::Serialize;

use super::router::ModeSpec;
use super::state::{Engagement, Slot, Source};
use crate::knowledge::{fill, guard, Component, Knowledge, Override, PathSpec, Row, Shaping};
use crate::profile::{
    AccountModel, Capability, Category, Constraint, Fact, Profile, TeamKind, Tenancy,
};

/// Facts established by Phase 1 and the profile (and implied by the mode), each with the label and
/// source that established it.
#[derive(Debug, Clone, Default)]
pub struct Facts(pub BTreeMap<String, (String, Source)>);

impl Facts {
    /// Derives the facts of an engagement: its Phase 1 items, its effective profile, and the mode's.
    pub fn of(eng: &Engagement, spec: &ModeSpec) -> Facts {
        Facts::from_profile(eng, &effective_profile(eng), spec, None)
    }

    fn from_profile(
        eng: &Engagement,
        profile: &Profile,
        spec: &ModeSpec,
        k: Option<&Knowledge>,
    ) -> Facts {
        let mut f = BTreeMap::new();
        for items in eng.inputs.values() {
            for i in items {
                f.insert(i.key.clone(), (i.label.clone(), i.source.clone()));
            }
        }
        for (fact, label, source) in profile_facts(profile, k) {
            f.entry(fact).or_insert((label, source));
        }
        // ML or data teams said to stay off the platform are not consumers, whatever the items
        // counted (the mode's own facts below still hold).
        if profile.ml_data_off() {
            f.remove("consumers:ml");
            f.remove("consumers:data");
        }
        for fact in &spec.facts {
            f.entry(fact.clone())
                .or_insert_with(|| (format!("the {} engagement", spec.title), Source::Default));
        }
        Facts(f)
    }

    /// True when the fact holds.
    pub fn has(&self, fact: &str) -> bool {
        self.0.contains_key(fact)
    }
}

/// Stack categories and the fact prefix the Phase 1 items use for them.
const STACK_PREFIXES: [(Category, &str); 11] = [
    (Category::Portal, "portal"),
    (Category::Gitops, "gitops"),
    (Category::Ci, "ci"),
    (Category::Iac, "iac"),
    (Category::Registry, "registry"),
    (Category::Mesh, "mesh"),
    (Category::ProgressiveDelivery, "progressive"),
    (Category::Promotion, "promotion"),
    (Category::Compute, "compute"),
    (Category::WorkloadIdentity, "identity"),
    (Category::Policy, "policy"),
];

/// The tool facts a profile value can name, by prefix (fact suffix and the spellings that name it).
const TOOL_FACTS: &[(&str, &str, &[&str])] = &[
    ("portal", "backstage", &["backstage"]),
    ("portal", "port", &["port", "portio", "getport"]),
    ("portal", "cortex", &["cortex"]),
    (
        "portal",
        "rhdh",
        &["rhdh", "redhatdeveloperhub", "developerhub"],
    ),
    ("gitops", "argocd", &["argocd", "argo"]),
    ("gitops", "flux", &["flux", "fluxcd"]),
    ("ci", "github_actions", &["githubactions", "github"]),
    ("ci", "gitlab_ci", &["gitlabci", "gitlab"]),
    ("ci", "jenkins", &["jenkins"]),
    ("ci", "circleci", &["circleci"]),
    ("ci", "codepipeline", &["codepipeline", "codebuild"]),
    ("ci", "argo_workflows", &["argoworkflows"]),
    ("iac", "crossplane", &["crossplane"]),
    ("iac", "terraform", &["terraform", "opentofu"]),
    ("iac", "cdk", &["cdk"]),
    ("iac", "pulumi", &["pulumi"]),
    ("iac", "cloudformation", &["cloudformation"]),
    ("registry", "artifactory", &["artifactory", "jfrog"]),
    ("registry", "harbor", &["harbor"]),
    ("registry", "ecr", &["ecr", "elasticcontainerregistry"]),
    ("mesh", "istio", &["istio"]),
    ("mesh", "linkerd", &["linkerd"]),
    ("mesh", "appmesh", &["appmesh"]),
    ("progressive", "flagger", &["flagger"]),
    ("progressive", "rollouts", &["argorollouts", "rollouts"]),
    ("promotion", "kargo", &["kargo"]),
    ("compute", "karpenter", &["karpenter"]),
    ("compute", "auto_mode", &["automode"]),
    ("compute", "mng", &["managednodegroup", "nodegroup", "mng"]),
    ("compute", "fargate", &["fargate"]),
    ("identity", "irsa", &["irsa", "iamrolesforserviceaccounts"]),
    ("identity", "pod_identity", &["podidentity"]),
    ("policy", "kyverno", &["kyverno"]),
    ("policy", "gatekeeper", &["gatekeeper", "opa"]),
];

fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(char::to_lowercase)
        .collect()
}

/// The tool fact (`gitops:flux`) a stack value names, if any.
pub fn tool_fact(c: Category, value: &str) -> Option<String> {
    let prefix = STACK_PREFIXES.iter().find(|(cat, _)| *cat == c)?.1;
    let v = squash(value);
    TOOL_FACTS
        .iter()
        .filter(|(p, _, _)| *p == prefix)
        .find(|(_, _, spellings)| spellings.iter().any(|s| v == *s || v.contains(s)))
        .map(|(p, id, _)| format!("{p}:{id}"))
}

fn word(k: Option<&Knowledge>, key: &str, vars: &[(&str, &str)]) -> String {
    match k.and_then(|k| k.arch.words.get(key)) {
        Some(w) => fill(w, vars),
        None => vars.first().map(|(_, v)| v.to_string()).unwrap_or_default(),
    }
}

/// The facts a profile establishes, with the label and source each one shows as its reason.
fn profile_facts(p: &Profile, k: Option<&Knowledge>) -> Vec<(String, String, Source)> {
    let mut out: Vec<(String, String, Source)> = Vec::new();
    let mut push = |fact: &str, label: String, src: &Source| {
        out.push((fact.to_string(), label, src.clone()));
    };
    for (c, f) in &p.stack {
        if let Some(fact) = tool_fact(*c, &f.value) {
            push(
                &fact,
                word(k, "fact.stack", &[("value", &f.value)]),
                &f.source,
            );
        }
        // A mesh also shifts traffic: the progressive-delivery row reads it as `mesh:`.
    }
    let total: u32 = p
        .teams
        .iter()
        .filter(|(kind, _)| **kind != TeamKind::Platform)
        .map(|(_, f)| f.value)
        .sum();
    if let Some((_, f)) = p.teams.iter().next() {
        if total == 1 {
            push(
                "constraint:single_team",
                word(k, "fact.single_team", &[]),
                &f.source,
            );
        }
    }
    // No team count, but a headcount one team can hold ("we're 5 developers"): a single team.
    if let (0, Some(f)) = (total, &p.engineers) {
        if f.value <= SINGLE_TEAM_MAX_ENGINEERS {
            push(
                "constraint:single_team",
                word(k, "fact.single_team", &[]),
                &f.source,
            );
        }
    }
    // ML or data teams said to stay off the platform are not consumers.
    let ml_out = p.ml_data_off();
    for (kind, f) in &p.teams {
        let fact = match kind {
            TeamKind::App => "consumers:app",
            TeamKind::Ml | TeamKind::Data if ml_out => continue,
            TeamKind::Ml => "consumers:ml",
            TeamKind::Data => "consumers:data",
            TeamKind::ExternalTenants => {
                push(
                    "constraint:hard_tenancy",
                    word(
                        k,
                        "fact.hard_tenancy",
                        &[("value", &team_label(k, *kind, f.value))],
                    ),
                    &f.source,
                );
                continue;
            }
            TeamKind::Platform => continue,
        };
        if f.value > 0 {
            push(fact, team_label(k, *kind, f.value), &f.source);
        }
    }
    if let Some(f) = &p.ml_data_consumers {
        if f.value && !p.teams.contains_key(&TeamKind::Ml) && !p.teams.contains_key(&TeamKind::Data)
        {
            push("consumers:ml", word(k, "fact.ml", &[]), &f.source);
        }
    }
    if let Some(f) = &p.tenancy {
        if f.value == Tenancy::Hard {
            push(
                "constraint:hard_tenancy",
                word(k, "fact.hard_tenancy", &[("value", "hard")]),
                &f.source,
            );
        }
    }
    if let Some(f) = &p.accounts {
        let label = word(k, &format!("account.{}", f.value.id()), &[]);
        match f.value {
            AccountModel::Single => {}
            AccountModel::PerTenant => {
                push(
                    "constraint:account_per_tenant",
                    word(k, "fact.account_per_tenant", &[]),
                    &f.source,
                );
                push(
                    "constraint:multi_account",
                    word(k, "fact.multi_account", &[("value", &label)]),
                    &f.source,
                );
            }
            AccountModel::Multi | AccountModel::PerTeam => push(
                "constraint:multi_account",
                word(k, "fact.multi_account", &[("value", &label)]),
                &f.source,
            ),
        }
    }
    if let Some(f) = &p.environments {
        if f.value.len() == 1 {
            push(
                "constraint:single_env",
                word(k, "fact.single_env", &[("value", &f.value[0])]),
                &f.source,
            );
        }
    }
    if let Some(f) = &p.clusters {
        if f.value == 1 {
            push(
                "constraint:single_cluster",
                word(k, "fact.single_cluster", &[]),
                &f.source,
            );
        }
    }
    if let Some(f) = &p.hide_kubernetes {
        if f.value {
            push("want:hide_k8s", word(k, "fact.hide_k8s", &[]), &f.source);
        }
    }
    for (c, src) in &p.capabilities {
        let fact = match c {
            Capability::Environment => "cap:provision_env".to_string(),
            other => format!("cap:{}", other.id()),
        };
        push(&fact, capability_label(k, *c), src);
    }
    for (c, src) in &p.constraints {
        let fact = match c {
            Constraint::AirGapped => "constraint:airgapped",
            Constraint::Soc2
            | Constraint::Pci
            | Constraint::Hipaa
            | Constraint::Iso27001
            | Constraint::Fedramp => "constraint:compliance",
            Constraint::MultiAccount => "constraint:multi_account",
            Constraint::ExistingInvestment => "constraint:existing_investment",
            Constraint::None => "constraint:none",
            Constraint::Gdpr | Constraint::DataResidency => continue,
        };
        push(
            fact,
            word(
                k,
                "fact.constraint",
                &[("value", &c.id().replace('_', " "))],
            ),
            src,
        );
    }
    out
}

fn team_label(k: Option<&Knowledge>, kind: TeamKind, n: u32) -> String {
    let one = format!("team.{}.one", kind.id());
    if n == 1 && k.is_some_and(|k| k.arch.words.contains_key(&one)) {
        return word(k, &one, &[]);
    }
    word(k, &format!("team.{}", kind.id()), &[("n", &n.to_string())])
}

/// "a, b and c" (the joiner from the words).
fn and_list(k: &Knowledge, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!(
            "{}{}{last}",
            init.join(", "),
            word(Some(k), "list.and", &[("x", " and ")])
        ),
    }
}

/// The profile placeholders ([`crate::knowledge::PROFILE_VARS`]) for a profile.
fn profile_vars(k: &Knowledge, p: &Profile) -> Vec<(&'static str, String)> {
    let w = |key: &str, vars: &[(&str, &str)]| word(Some(k), key, vars);
    let envs: Vec<String> = p
        .environments
        .as_ref()
        .map(|f| f.value.iter().map(|e| crate::text::echo(e)).collect())
        .unwrap_or_default();
    let ml_out = p.ml_data_off();
    let teams: Vec<String> = p
        .teams
        .iter()
        .filter(|(kind, f)| **kind != TeamKind::Platform && f.value > 0)
        .filter(|(kind, _)| !(ml_out && matches!(kind, TeamKind::Ml | TeamKind::Data)))
        .map(|(kind, f)| team_label(Some(k), *kind, f.value))
        .collect();
    vec![
        (
            "environments",
            if envs.is_empty() {
                w("env.each", &[])
            } else {
                and_list(k, &envs)
            },
        ),
        (
            "first_env",
            envs.first().cloned().unwrap_or_else(|| w("env.first", &[])),
        ),
        (
            "last_env",
            envs.last().cloned().unwrap_or_else(|| w("env.last", &[])),
        ),
        (
            "teams",
            if teams.is_empty() {
                w("teams.unknown", &[])
            } else {
                w("teams.yours", &[("teams", &and_list(k, &teams))])
            },
        ),
    ]
}

fn capability_label(k: Option<&Knowledge>, c: Capability) -> String {
    word(k, &format!("capability.{}", c.id()), &[("value", c.id())])
}

/// The bridge from the Phase 1 items (`gitops:flux`, `constraint:airgapped`, "30 app teams") to the
/// typed profile, for engagements whose profile the Phase 1 reader has not filled yet. To be removed
/// once the reader is wired in.
pub fn bridge(eng: &Engagement) -> Profile {
    let mut p = Profile::default();
    for items in eng.inputs.values() {
        for i in items {
            let src = i.source.clone();
            let Some((prefix, id)) = i.key.split_once(':') else {
                continue;
            };
            let tool = i
                .label
                .split(" (")
                .next()
                .unwrap_or(&i.label)
                .trim()
                .to_string();
            if let Some((cat, _)) = STACK_PREFIXES.iter().find(|(_, p)| *p == prefix) {
                // Of several IaC tools, the one that decides a row (Crossplane) is the one kept.
                if *cat == Category::Iac && p.stack.contains_key(cat) && id != "crossplane" {
                    continue;
                }
                p.stack.insert(*cat, Fact::new(tool, src));
                continue;
            }
            match (prefix, id) {
                ("cap", c) => {
                    let cap = match c {
                        "provision_env" => Some(Capability::Environment),
                        other => Capability::from_id(other),
                    };
                    if let Some(cap) = cap {
                        p.capabilities.insert(cap, src);
                    }
                }
                ("consumers", kind) => {
                    let kind = match kind {
                        "ml" => TeamKind::Ml,
                        "data" => TeamKind::Data,
                        _ => TeamKind::App,
                    };
                    let n = leading_number(&i.label).unwrap_or(1);
                    p.teams.insert(kind, Fact::new(n, src.clone()));
                    if matches!(kind, TeamKind::Ml | TeamKind::Data) {
                        p.ml_data_consumers = Some(Fact::new(true, src));
                    }
                }
                ("consumer_teams", _) => read_teams(&mut p, &i.label, &src),
                ("constraint", c) => match c {
                    "airgapped" => {
                        p.constraints.insert(Constraint::AirGapped, src);
                    }
                    "compliance" => {
                        let l = squash(&i.label);
                        let named: Vec<Constraint> = [
                            ("pci", Constraint::Pci),
                            ("hipaa", Constraint::Hipaa),
                            ("iso", Constraint::Iso27001),
                            ("fedramp", Constraint::Fedramp),
                            ("soc", Constraint::Soc2),
                        ]
                        .iter()
                        .filter(|(w, _)| l.contains(w))
                        .map(|(_, c)| *c)
                        .collect();
                        for c in if named.is_empty() {
                            vec![Constraint::Soc2]
                        } else {
                            named
                        } {
                            p.constraints.insert(c, src.clone());
                        }
                    }
                    "multi_account" => {
                        p.constraints.insert(Constraint::MultiAccount, src.clone());
                        p.accounts
                            .get_or_insert(Fact::new(AccountModel::Multi, src));
                    }
                    "existing_investment" => {
                        p.constraints.insert(Constraint::ExistingInvestment, src);
                    }
                    "none" => {
                        p.constraints.insert(Constraint::None, src);
                    }
                    "single_env" => {
                        p.environments = Some(Fact::new(vec!["prod".into()], src));
                    }
                    "single_cluster" => p.clusters = Some(Fact::new(1, src)),
                    "single_team" => {
                        p.teams.insert(TeamKind::App, Fact::new(1, src));
                    }
                    "hard_tenancy" => p.tenancy = Some(Fact::new(Tenancy::Hard, src)),
                    _ => {}
                },
                ("want", "hide_k8s") => p.hide_kubernetes = Some(Fact::new(true, src)),
                ("pain", _) => {
                    p.pain.get_or_insert(Fact::new(i.label.clone(), src));
                }
                ("top_pain", _) => {
                    p.pain.get_or_insert(Fact::new(i.label.clone(), src));
                }
                _ => {}
            }
        }
    }
    p
}

fn leading_number(s: &str) -> Option<u32> {
    s.split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .and_then(|w| w.parse().ok())
}

/// Reads "30 app teams", "6 developers", "2 ML teams" from a free-text consumer answer.
fn read_teams(p: &mut Profile, label: &str, src: &Source) {
    let words: Vec<String> = label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    for (n, w) in words.iter().enumerate() {
        let Ok(count) = w.parse::<u32>() else {
            continue;
        };
        let next: Vec<&str> = words[n + 1..].iter().take(3).map(String::as_str).collect();
        let has = |x: &str| next.iter().any(|w| w.starts_with(x));
        if has("engineer") || has("developer") || has("dev") || has("people") {
            p.engineers = Some(Fact::new(count, src.clone()));
        } else if has("team") || has("squad") {
            let kind = if has("ml") || has("machine") {
                TeamKind::Ml
            } else if has("data") {
                TeamKind::Data
            } else if has("platform") {
                TeamKind::Platform
            } else {
                TeamKind::App
            };
            p.teams.insert(kind, Fact::new(count, src.clone()));
        }
    }
    if p.teams.is_empty() && !label.trim().is_empty() {
        p.teams.insert(TeamKind::App, Fact::new(0, src.clone()));
    }
}

/// The profile the plan is derived from: the engagement's own profile, with facts it lacks taken from
/// the bridge over the Phase 1 items.
pub fn effective_profile(eng: &Engagement) -> Profile {
    let own = &eng.profile;
    let mut p = bridge(eng);
    if own.is_empty() {
        return p;
    }
    // The reader's team counts replace the bridge's, which cannot tell a headcount ("5
    // developers") from a team count.
    if !own.teams.is_empty() || own.engineers.is_some() {
        p.teams = own.teams.clone();
    }
    macro_rules! over {
        ($($f:ident),*) => { $( if own.$f.is_some() { p.$f = own.$f.clone(); } )* };
    }
    over!(
        engineers,
        environments,
        clusters,
        accounts,
        tenancy,
        hide_kubernetes,
        ml_data_consumers,
        pain
    );
    for (k, v) in &own.capabilities {
        p.capabilities.insert(*k, v.clone());
    }
    for (k, v) in &own.stack {
        p.stack.insert(*k, v.clone());
    }
    for (k, v) in &own.wanted {
        p.wanted.insert(*k, v.clone());
    }
    for (k, v) in &own.constraints {
        p.constraints.insert(*k, v.clone());
    }
    p
}

/// One Defaults-table (or supporting) decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The chosen tool.
    pub tool: String,
    /// Its trade-off.
    pub tradeoff: String,
    /// One alternative.
    pub alternative: String,
    /// `default`, or the fact that overrode it.
    pub reason: String,
    /// The row id (not serialised: it is the map key).
    #[serde(skip)]
    pub row: String,
    /// The row label.
    #[serde(skip)]
    pub label: String,
    /// The option id.
    #[serde(skip)]
    pub option: String,
    /// Where it runs.
    #[serde(skip)]
    pub runs_on: String,
    /// How it is used.
    #[serde(skip)]
    pub detail: String,
    /// True when the team already runs this tool (the plan keeps it).
    #[serde(skip)]
    pub kept: bool,
    /// True when the plan replaces the tool the team runs (the trade-off says why).
    #[serde(skip)]
    pub replaced: bool,
    /// The label of the fact that decided it (empty for a default).
    #[serde(skip)]
    pub because: String,
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckItem {
    /// The item, as the workflow words it.
    pub item: String,
    /// Pass or fail.
    pub passed: bool,
    /// What in the plan shows it.
    pub evidence: String,
}

/// The Quality Checklist grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checklist {
    /// Items passed.
    pub passed: usize,
    /// Items in all (6).
    pub total: usize,
    /// The items.
    pub items: Vec<CheckItem>,
    /// True when the first grade was below 4/6 and the plan was reworked.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reworked: bool,
}

/// A golden path with the steps that apply to this plan's choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The `cap:` facts it serves.
    pub capabilities: Vec<String>,
    /// The `consumers:` facts it serves.
    pub consumers: Vec<String>,
    /// What the developer gives.
    pub developer_provides: String,
    /// What the platform does.
    pub platform_does: String,
    /// The steps that apply.
    pub steps: Vec<String>,
}

/// Constraint shaping with the items that apply to this plan's choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapingView {
    /// Id.
    pub id: String,
    /// The constraint fact.
    pub fact: String,
    /// Title.
    pub title: String,
    /// What changes.
    pub items: Vec<String>,
}

/// A golden path in the plan and the Phase 1 answers it serves.
#[derive(Debug, Clone)]
pub struct PlannedPath {
    /// The path.
    pub spec: Path,
    /// The capability / consumer labels mapped onto it.
    pub serves: Vec<String>,
}

/// A roadmap stage sized and worded for this team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStage {
    /// Id (`portal`, `first_path`, ...).
    pub id: String,
    /// Title ("Extend the portal you run" when the team runs the row's tool).
    pub title: String,
    /// What happens: the stage's words, then the chosen tool's own sentence.
    pub text: String,
    /// Exit criteria.
    pub exit: String,
    /// When, scaled to the team's size ("weeks 1-3").
    pub weeks: String,
    /// True when the stage builds on a tool the team runs.
    pub kept: bool,
}

/// The first milestone, named for the team's own first capability and pain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMilestone {
    /// Its name.
    pub name: String,
    /// What it is (with the capability and the pain it answers).
    pub text: String,
    /// Exit criteria.
    pub exit: String,
}

/// A conflict between a choice and a constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Conflict id.
    pub id: String,
    /// Its words (the problem and the choice that resolves it).
    pub text: String,
    /// The checklist item it fails while it stands (none for a caveat).
    pub item: Option<usize>,
}

/// How big the organisation is, for staffing and durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Up to 15 engineers or two teams.
    Small,
    /// In between.
    Medium,
    /// 25 teams or 200 engineers and more.
    Large,
}

impl Size {
    /// The size of a profile (medium when nothing is known).
    pub fn of(p: &Profile) -> Size {
        let teams: u32 = p
            .teams
            .iter()
            .filter(|(k, _)| **k != TeamKind::Platform && **k != TeamKind::ExternalTenants)
            .map(|(_, f)| f.value)
            .sum();
        let engineers = p.engineers.as_ref().map(|f| f.value);
        if teams >= 25 || engineers.is_some_and(|e| e >= 200) {
            Size::Large
        } else if engineers.is_some_and(|e| e <= 15)
            || (engineers.is_none() && teams > 0 && teams <= 2)
        {
            Size::Small
        } else {
            Size::Medium
        }
    }

    /// The id used in word keys.
    pub fn id(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Medium => "medium",
            Size::Large => "large",
        }
    }

    fn factor(self) -> f64 {
        match self {
            Size::Small => 0.5,
            Size::Medium => 1.0,
            Size::Large => 1.5,
        }
    }
}

/// The whole plan for an engagement.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The effective team profile the plan was derived from.
    pub profile: Profile,
    /// All ten Defaults-table decisions (the mode shows its own rows).
    pub decisions: Vec<Decision>,
    /// The supporting decisions (compute, registry, workload identity, CI, secrets, policy).
    pub support: Vec<Decision>,
    /// Conflict lines.
    pub conflicts: Vec<String>,
    /// The conflicts with their checklist items.
    pub conflict_items: Vec<Conflict>,
    /// Golden paths in scope.
    pub paths: Vec<PlannedPath>,
    /// AI/ML paths, when on (only those for the consumer teams named).
    pub ml_paths: Vec<Path>,
    /// Supporting stack (placements adapted to the topology).
    pub stack: Vec<Component>,
    /// Tenant onboarding steps, filled in, with what each covers.
    pub onboarding: Vec<(String, Vec<String>)>,
    /// Roadmap stages, sized and worded for this team.
    pub roadmap: Vec<PlannedStage>,
    /// The first milestone.
    pub milestone: PlannedMilestone,
    /// Constraint shaping that applies.
    pub shaping: Vec<ShapingView>,
    /// Phase 1 answers no path serves (before rework).
    pub unmapped: Vec<String>,
    /// Promotion stages, in order (the environments).
    pub stages: Vec<String>,
    /// The promotion sentence.
    pub promotion: String,
    /// Account wiring: the account model's sentence, then each chosen tool's own cross-account words.
    pub wiring: Vec<String>,
    /// Portal staffing for the team's size.
    pub staffing: String,
    /// The organisation's size.
    pub size: Size,
    /// Tool name per row, for placeholders.
    pub vars: Vec<(&'static str, String)>,
    /// The facts the plan was decided from (Phase 1 items, the effective profile, the mode's).
    pub facts: Facts,
}

fn resolve_path(p: &PathSpec, chosen: &BTreeSet<&str>, facts: &Facts) -> Path {
    Path {
        id: p.id.clone(),
        name: p.name.clone(),
        capabilities: p.capabilities.clone(),
        consumers: p.consumers.clone(),
        developer_provides: p
            .developer_provides
            .resolve(|o| chosen.contains(o), |f| facts.has(f)),
        platform_does: p
            .platform_does
            .resolve(|o| chosen.contains(o), |f| facts.has(f)),
        steps: p
            .steps
            .iter()
            .filter(|s| s.applies(|o| chosen.contains(o), |f| facts.has(f)))
            .map(|s| s.text().to_string())
            .collect(),
    }
}

fn resolve_shaping(sh: &Shaping, chosen: &BTreeSet<&str>, facts: &Facts) -> ShapingView {
    ShapingView {
        id: sh.id.clone(),
        fact: sh.fact.clone(),
        title: sh.title.clone(),
        items: sh
            .items
            .iter()
            .filter(|s| s.applies(|o| chosen.contains(o), |f| facts.has(f)))
            .map(|s| s.text().to_string())
            .collect(),
    }
}

const REQUIRED_COVERS: [&str; 7] = [
    "namespace",
    "quota",
    "network_policy",
    "rbac",
    "gitops_project",
    "identity",
    "first_app",
];

/// Parses "weeks 8-14, then quarterly" into (8, 14, ", then quarterly").
fn parse_weeks(s: &str) -> Option<(u32, u32, String)> {
    let digits: Vec<(usize, &str)> = s
        .match_indices(|c: char| c.is_ascii_digit())
        .collect::<Vec<_>>();
    let start = digits.first()?.0;
    let rest_start = s[start..]
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .map(|i| start + i)
        .unwrap_or(s.len());
    let range = &s[start..rest_start];
    let (a, b) = match range.split_once('-') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let a = range.parse().ok()?;
            (a, a)
        }
    };
    Some((a, b, s[rest_start..].to_string()))
}

/// What the Phase 1 gate shows of a plan: the golden paths in scope (each with the answers it
/// serves), the AI/ML paths' names, and the conflicts' words filled in. [`Plan::gate`] gives what
/// [`Plan::build`] followed by [`Plan::gate_view`] gives, without building the rest of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateView {
    /// The golden paths in scope: name, and the capability labels mapped onto it.
    pub paths: Vec<(String, Vec<String>)>,
    /// The AI/ML paths' names.
    pub ml_paths: Vec<String>,
    /// The conflict lines, filled in.
    pub conflicts: Vec<String>,
}

/// The override of a row the facts fire, if any (else the row's default holds).
fn fired<'r>(row: &'r Row, facts: &Facts) -> Option<&'r Override> {
    row.overrides.iter().find(|o| {
        (!o.any.is_empty() && o.any.iter().any(|f| facts.has(f)))
            || (!o.all.is_empty() && o.all.iter().all(|f| facts.has(f)))
    })
}

/// The option a row chooses.
fn option_of<'r>(row: &'r Row, facts: &Facts) -> &'r str {
    fired(row, facts).map_or(row.default.as_str(), |o| o.option.as_str())
}

/// The conflicts that stand: a constraint that holds against an option that is chosen.
fn conflicts_of(k: &Knowledge, facts: &Facts, chosen: &BTreeSet<&str>) -> Vec<Conflict> {
    k.conflicts
        .iter()
        .filter(|c| {
            facts.has(&c.constraint) && c.options.iter().any(|o| chosen.contains(o.as_str()))
        })
        .map(|c| Conflict {
            id: c.id.clone(),
            text: k.conflict_text.get(&c.id).cloned().unwrap_or_default(),
            item: c.item,
        })
        .collect()
}

/// The AI/ML paths, when the AI/ML row is on: only those for the consumer teams named.
fn ml_paths_of<'k>(k: &'k Knowledge, facts: &Facts, chosen: &BTreeSet<&str>) -> Vec<&'k PathSpec> {
    if !chosen.contains("aiml_on") {
        return Vec::new();
    }
    k.ml_paths
        .iter()
        .filter(|p| p.consumers.is_empty() || p.consumers.iter().any(|c| facts.has(c)))
        .collect()
}

/// The AI/ML row's tool when it is on and has paths: the short names of the paths the team gets.
fn ml_tool(k: &Knowledge, ml_paths: &[&PathSpec]) -> Option<String> {
    let shorts: Vec<&str> = ml_paths
        .iter()
        .map(|p| {
            k.ml_paths
                .iter()
                .find(|m| m.id == p.id)
                .map(|m| m.short.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or(p.name.as_str())
        })
        .collect();
    (!shorts.is_empty()).then(|| format!("on: {}", shorts.join(", ")))
}

/// The first capabilities, as (fact, label): the Phase 1 items, then the profile's.
fn capabilities_of(k: &Knowledge, eng: &Engagement, profile: &Profile) -> Vec<(String, String)> {
    let mut caps: Vec<(String, String)> = eng
        .items(Slot::FirstCapabilities)
        .iter()
        .map(|i| (i.key.clone(), i.label.clone()))
        .collect();
    // The profile keeps capabilities unordered: an organisation whose consumers are mostly ML or
    // data teams starts with the ML job, others in the order of the Capability enum.
    // (ML or data teams said to stay off the platform do not lead.)
    let ml_led = {
        let n = |k: TeamKind| profile.teams.get(&k).map_or(0, |f| f.value);
        !profile.ml_data_off() && n(TeamKind::Ml) + n(TeamKind::Data) > n(TeamKind::App)
    };
    let mut ordered: Vec<Capability> = profile.capabilities.keys().copied().collect();
    if ml_led {
        ordered.sort_by_key(|c| *c != Capability::MlJob);
    }
    for c in &ordered {
        let fact = match c {
            Capability::Environment => "cap:provision_env".to_string(),
            other => format!("cap:{}", other.id()),
        };
        if !caps.iter().any(|(f, _)| *f == fact) {
            caps.push((fact, capability_label(Some(k), *c)));
        }
    }
    caps
}

/// The golden paths in scope, each with the capability labels mapped onto it, and the labels no
/// path serves.
type InScope<'k> = (Vec<(&'k PathSpec, Vec<String>)>, Vec<String>);

/// Golden paths: each first capability maps onto the paths that serve it.
fn paths_in_scope<'k>(
    k: &'k Knowledge,
    caps: &[(String, String)],
    ml_paths: &[&PathSpec],
) -> InScope<'k> {
    let mut serves: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut unmapped = Vec::new();
    for (key, label) in caps {
        let targets: Vec<&PathSpec> = k
            .paths
            .iter()
            .filter(|p| p.capabilities.contains(key))
            .collect();
        let on_ml = ml_paths.iter().any(|p| p.capabilities.contains(key));
        if targets.is_empty() && !on_ml {
            unmapped.push(label.clone());
        }
        for p in targets {
            serves.entry(p.id.as_str()).or_default().push(label.clone());
        }
    }
    let mut paths: Vec<(&PathSpec, Vec<String>)> = k
        .paths
        .iter()
        .filter(|p| serves.contains_key(p.id.as_str()))
        .map(|p| (p, serves.get(p.id.as_str()).cloned().unwrap_or_default()))
        .collect();
    if paths.is_empty() {
        // Nothing chosen yet (or only ML jobs): the app paths are where every platform starts.
        paths = k
            .paths
            .iter()
            .filter(|p| p.id == "onboard_app" || p.id == "ship_safely")
            .map(|p| (p, vec![]))
            .collect();
    }
    (paths, unmapped)
}

impl Plan {
    /// Builds the plan.
    pub fn build(k: &Knowledge, eng: &Engagement, spec: &ModeSpec) -> Plan {
        let profile = effective_profile(eng);
        let facts = Facts::from_profile(eng, &profile, spec, Some(k));
        let mut decisions = decide_rows(k, &k.rows, &facts);
        let support = decide_rows(k, &k.support, &facts);
        let options: Vec<String> = decisions
            .iter()
            .chain(&support)
            .map(|d| d.option.clone())
            .collect();
        let chosen: BTreeSet<&str> = options.iter().map(String::as_str).collect();
        let conflict_items = conflicts_of(k, &facts, &chosen);
        let conflicts = conflict_items.iter().map(|c| c.text.clone()).collect();
        // AI/ML paths: only those for the ML / data consumer teams named (the AI/ML mode implies ML).
        let ml_specs = ml_paths_of(k, &facts, &chosen);
        let ml_paths: Vec<Path> = ml_specs
            .iter()
            .map(|p| resolve_path(p, &chosen, &facts))
            .collect();
        // The AI/ML row names the paths this team actually gets.
        if let Some(d) = decisions.iter_mut().find(|d| d.option == "aiml_on") {
            if let Some(tool) = ml_tool(k, &ml_specs) {
                d.tool = tool;
            }
        }
        let mut vars: Vec<(&'static str, String)> = crate::knowledge::ROW_IDS
            .iter()
            .zip(&decisions)
            .map(|(id, d)| (*id, d.tool.clone()))
            .collect();
        vars.extend(profile_vars(k, &profile));
        let caps = capabilities_of(k, eng, &profile);
        let (in_scope, unmapped) = paths_in_scope(k, &caps, &ml_specs);
        let paths: Vec<PlannedPath> = in_scope
            .into_iter()
            .map(|(p, serves)| PlannedPath {
                spec: resolve_path(p, &chosen, &facts),
                serves,
            })
            .collect();
        let applies = |wo: &[String], uo: &[String], wf: &[String], uf: &[String]| {
            guard(wo, uo, wf, uf, |o| chosen.contains(o), |f| facts.has(f))
        };
        // A topology without a hub (single cluster) places everything on its one cluster.
        let placement = decisions
            .iter()
            .find(|d| d.row == "topology")
            .and_then(|d| k.arch.topology.get(&d.option))
            .map(|t| t.placement.clone())
            .filter(|p| !p.trim().is_empty());
        let place = |runs_on: &str| match &placement {
            Some(p) if runs_on.contains("hub") || runs_on.contains("workload cluster") => p.clone(),
            _ => runs_on.to_string(),
        };
        for d in decisions.iter_mut().filter(|d| d.row != "topology") {
            d.runs_on = place(&d.runs_on);
        }
        let mut support = support;
        for d in support.iter_mut() {
            d.runs_on = place(&d.runs_on);
        }
        let stack = k
            .stack
            .iter()
            .filter(|c| applies(&c.when_option, &c.unless_option, &c.when, &c.unless))
            .map(|c| Component {
                runs_on: place(&c.runs_on),
                ..c.clone()
            })
            .collect();
        let vars_ref: Vec<(&str, &str)> = vars.iter().map(|(a, b)| (*a, b.as_str())).collect();
        let onboarding = k
            .arch
            .onboarding
            .iter()
            .filter(|s| applies(&s.when_option, &s.unless_option, &s.when, &s.unless))
            .map(|s| (fill(&s.text, &vars_ref), s.covers.clone()))
            .collect();
        let size = Size::of(&profile);
        let roadmap = plan_roadmap(k, &decisions, size, &applies);
        let shaping = k
            .arch
            .constraint_shaping
            .iter()
            .filter(|s| facts.has(&s.fact))
            .map(|s| resolve_shaping(s, &chosen, &facts))
            .collect();
        let w = |key: &str, vars: &[(&str, &str)]| word(Some(k), key, vars);
        // Promotion: the environments by name, in order.
        let envs: Vec<String> = profile
            .environments
            .as_ref()
            .map(|f| f.value.iter().map(|e| crate::text::echo(e)).collect())
            .unwrap_or_default();
        let (stages, promotion) = match envs.len() {
            1 => (
                envs.clone(),
                w("promotion.single", &[("env", envs[0].as_str())]),
            ),
            0 => {
                let assumed = ["dev".to_string(), "prod".to_string()];
                (
                    vec![],
                    w("promotion.unknown", &[("stages", &assumed.join(" → "))]),
                )
            }
            _ => (
                envs.clone(),
                w(
                    "promotion.stages",
                    &[
                        ("stages", &envs.join(" → ")),
                        ("first", &envs[0]),
                        ("last", &envs[envs.len() - 1]),
                    ],
                ),
            ),
        };
        // Account wiring: the model's sentence, then each chosen tool's own words for crossing accounts.
        let model = profile.accounts.as_ref().map(|f| f.value);
        let pv: Vec<(&str, &str)> = vars.iter().map(|(a, b)| (*a, b.as_str())).collect();
        let mut wiring = vec![w(
            &format!(
                "wiring.{}",
                model.map(AccountModel::id).unwrap_or("unknown")
            ),
            &pv,
        )];
        if model.is_some_and(|m| m != AccountModel::Single) {
            for d in &decisions {
                if let Some(o) = k.option(&d.option) {
                    if !o.cross_account.trim().is_empty() {
                        wiring.push(o.cross_account.clone());
                    }
                }
            }
        }
        let kind = match decisions
            .iter()
            .find(|d| d.row == "developer_portal")
            .map(|d| d.option.as_str())
        {
            Some("backstage") => "self_hosted",
            Some("rhdh") => "supported",
            _ => "saas",
        };
        let staffing = w(&format!("staff.{kind}.{}", size.id()), &[]);
        let milestone = plan_milestone(k, &profile, &caps, eng);
        Plan {
            profile,
            decisions,
            support,
            conflicts,
            conflict_items,
            paths,
            ml_paths,
            stack,
            onboarding,
            roadmap,
            milestone,
            shaping,
            unmapped,
            stages,
            promotion,
            wiring,
            staffing,
            size,
            vars,
            facts,
        }
    }

    /// What the Phase 1 gate shows of this plan ([`GateView`]).
    pub fn gate_view(&self) -> GateView {
        GateView {
            paths: self
                .paths
                .iter()
                .map(|p| (p.spec.name.clone(), p.serves.clone()))
                .collect(),
            ml_paths: self.ml_paths.iter().map(|p| p.name.clone()).collect(),
            conflicts: self.conflicts.iter().map(|c| self.fill(c)).collect(),
        }
    }

    /// What the Phase 1 gate shows of the plan, computing only that: the option each row chooses
    /// (not its words), the conflicts, and the paths the capabilities map onto. Equal to
    /// `Plan::build(k, eng, spec).gate_view()`, at a fraction of the cost.
    pub fn gate(k: &Knowledge, eng: &Engagement, spec: &ModeSpec) -> GateView {
        let profile = effective_profile(eng);
        // The same facts as the whole plan's: only their labels, which the gate does not show,
        // are left out.
        let facts = Facts::from_profile(eng, &profile, spec, None);
        let rows: Vec<&str> = k.rows.iter().map(|r| option_of(r, &facts)).collect();
        let chosen: BTreeSet<&str> = rows
            .iter()
            .copied()
            .chain(k.support.iter().map(|r| option_of(r, &facts)))
            .collect();
        let conflict_items = conflicts_of(k, &facts, &chosen);
        let ml_specs = ml_paths_of(k, &facts, &chosen);
        let conflicts = if conflict_items.is_empty() {
            Vec::new()
        } else {
            // The conflicts' words name the chosen tools: the plan's placeholders.
            let ml = ml_tool(k, &ml_specs);
            let aiml = rows.iter().position(|o| *o == "aiml_on");
            let mut vars: Vec<(&'static str, String)> = crate::knowledge::ROW_IDS
                .iter()
                .zip(&rows)
                .enumerate()
                .map(|(i, (id, option))| {
                    let tool = match &ml {
                        Some(t) if aiml == Some(i) => t.clone(),
                        _ => k
                            .option(option)
                            .map(|w| w.tool.clone())
                            .unwrap_or_else(|| option.to_string()),
                    };
                    (*id, tool)
                })
                .collect();
            vars.extend(profile_vars(k, &profile));
            let vars: Vec<(&str, &str)> = vars.iter().map(|(a, b)| (*a, b.as_str())).collect();
            conflict_items
                .iter()
                .map(|c| fill(&c.text, &vars))
                .collect()
        };
        let caps = capabilities_of(k, eng, &profile);
        let (paths, _) = paths_in_scope(k, &caps, &ml_specs);
        GateView {
            paths: paths
                .into_iter()
                .map(|(p, serves)| (p.name.clone(), serves))
                .collect(),
            ml_paths: ml_specs.iter().map(|p| p.name.clone()).collect(),
            conflicts,
        }
    }

    /// Fills the tool placeholders of a knowledge string.
    pub fn fill(&self, s: &str) -> String {
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(a, b)| (*a, b.as_str())).collect();
        fill(s, &vars)
    }

    /// The decision for a row (Defaults table or supporting).
    pub fn decision(&self, row: &str) -> Option<&Decision> {
        self.decisions
            .iter()
            .chain(&self.support)
            .find(|d| d.row == row)
    }

    /// The tools the plan keeps from the team's stack.
    pub fn kept(&self) -> Vec<&Decision> {
        self.decisions
            .iter()
            .chain(&self.support)
            .filter(|d| d.kept)
            .collect()
    }

    /// Sentences of `text` that name a tool of some row other than the one chosen for it (outside an
    /// alternative or a conflict's resolution), as (row, name, sentence). With `only_kept`, only rows
    /// whose tool the team runs count: those sentences contradict a kept tool.
    pub fn foreign_mentions(
        &self,
        k: &Knowledge,
        text: &str,
        only_kept: bool,
    ) -> Vec<(String, String, String)> {
        let alt = format!("{}:", k.ui("label.alternative"));
        let rows: Vec<(&Decision, &Row)> = self
            .decisions
            .iter()
            .chain(&self.support)
            .filter_map(|d| {
                k.rows
                    .iter()
                    .chain(&k.support)
                    .find(|r| r.id == d.row)
                    .map(|r| (d, r))
            })
            .filter(|(d, _)| !only_kept || d.kept)
            .collect();
        // The names of each row's other tools, worked out once for the whole text.
        let others: Vec<(&Decision, BTreeSet<String>)> = rows
            .iter()
            .map(|(d, row)| {
                let mine = k.names(&d.option);
                // A name the text never contains cannot be named in any of its sentences.
                let others = std::iter::once(row.default.clone())
                    .chain(row.overrides.iter().map(|o| o.option.clone()))
                    .filter(|o| *o != d.option)
                    .flat_map(|o| k.names(&o))
                    .filter(|n| !mine.iter().any(|m| m.contains(n.as_str())))
                    .filter(|n| !n.is_empty() && text.contains(n.as_str()))
                    .collect();
                (*d, others)
            })
            .filter(|(_, others): &(&Decision, BTreeSet<String>)| !others.is_empty())
            .collect();
        let mut out = Vec::new();
        if others.is_empty() {
            return out;
        }
        for line in text.lines() {
            if line.trim_start().starts_with("- ⚠️") {
                continue;
            }
            let line = line.split(alt.as_str()).next().unwrap_or(line);
            for sentence in split_sentences(line) {
                for (d, names) in &others {
                    for n in names {
                        if names_word(sentence, n) {
                            out.push((d.row.clone(), n.clone(), sentence.trim().to_string()));
                        }
                    }
                }
            }
        }
        out
    }

    /// Grades the plan against the Quality Checklist; below 4/6 the plan is reworked (unmapped
    /// answers go onto the default app path) and graded again.
    pub fn grade(&mut self, k: &Knowledge, eng: &Engagement) -> Checklist {
        let first = self.checklist(k, eng, false);
        if first.passed >= 4 {
            return first;
        }
        // The app onboarding path, resolved only when a rework needs it.
        let chosen: BTreeSet<&str> = self
            .decisions
            .iter()
            .chain(&self.support)
            .map(|d| d.option.as_str())
            .collect();
        let fallback = k
            .paths
            .iter()
            .find(|p| p.id == "onboard_app")
            .map(|p| resolve_path(p, &chosen, &self.facts));
        if let Some(p) = fallback {
            let labels = std::mem::take(&mut self.unmapped);
            match self.paths.iter_mut().find(|pp| pp.spec.id == p.id) {
                Some(pp) => pp.serves.extend(labels),
                None => self.paths.push(PlannedPath {
                    spec: p,
                    serves: labels,
                }),
            }
        }
        let mut second = self.checklist(k, eng, true);
        second.reworked = true;
        second
    }

    fn checklist(&self, k: &Knowledge, eng: &Engagement, reworked: bool) -> Checklist {
        let w = |key: &str, vars: &[(&str, &str)]| word(Some(k), key, vars);
        let mut items: Vec<CheckItem> = Vec::new();
        let mut push = |n: usize, passed: bool, evidence: String| {
            items.push(CheckItem {
                item: w(&format!("check.{n}"), &[]),
                passed,
                evidence,
            })
        };
        // Path names for the evidence; a long list is shortened to its first two and a count.
        let names = |v: Vec<&Path>| -> Vec<String> {
            let mut n: Vec<String> = v.iter().map(|p| p.name.clone()).collect();
            if n.len() > 2 {
                let more = n.len() - 2;
                n.truncate(2);
                n.push(w("line.more", &[("n", &more.to_string())]));
            }
            n
        };
        let app_paths = names(self.paths.iter().map(|p| &p.spec).collect());

        // 1. Every consumer team, first capability, environment and account fact has a place.
        let mut maps = Vec::new();
        let mut missing = Vec::new();
        let team_items = eng.items(Slot::ConsumerTeams);
        let mut teams: Vec<(String, bool)> = team_items
            .iter()
            .map(|c| {
                let ml = c.key == "consumers:ml" || c.key == "consumers:data";
                (c.label.clone(), ml)
            })
            .collect();
        if team_items.is_empty() {
            for (kind, f) in &self.profile.teams {
                if *kind == TeamKind::Platform {
                    continue;
                }
                let ml = matches!(kind, TeamKind::Ml | TeamKind::Data);
                teams.push((team_label(Some(k), *kind, f.value), ml));
            }
        }
        // (ML or data teams that stay off the platform need no place on it.)
        let ml_out = self.profile.ml_data_off();
        for (label, ml) in teams.into_iter().filter(|(_, ml)| !(ml_out && *ml)) {
            let on = if ml {
                names(self.ml_paths.iter().collect())
            } else {
                app_paths.clone()
            };
            if on.is_empty() {
                let key = if ml { "miss.ml_team" } else { "miss.team" };
                missing.push(w(key, &[("team", &label)]));
            } else {
                maps.push(format!("{label} → {}", on.join(" + ")));
            }
        }
        let mut caps: Vec<(String, String)> = eng
            .items(Slot::FirstCapabilities)
            .iter()
            .map(|i| (i.key.clone(), i.label.clone()))
            .collect();
        if caps.is_empty() {
            for c in self.profile.capabilities.keys() {
                let fact = match c {
                    Capability::Environment => "cap:provision_env".to_string(),
                    other => format!("cap:{}", other.id()),
                };
                caps.push((fact, capability_label(Some(k), *c)));
            }
        }
        for (key, label) in &caps {
            let mut on = names(
                self.paths
                    .iter()
                    .filter(|p| p.serves.contains(label))
                    .map(|p| &p.spec)
                    .collect(),
            );
            on.extend(names(
                self.ml_paths
                    .iter()
                    .filter(|p| p.capabilities.contains(key))
                    .collect(),
            ));
            if !on.is_empty() {
                maps.push(format!("{label} → {}", on.join(" + ")));
            } else if key == "cap:ml_job" {
                missing.push(w("miss.ml_off", &[("capability", label)]));
            } else {
                missing.push(w("miss.capability", &[("capability", label)]));
            }
        }
        if let Some(envs) = &self.profile.environments {
            let (placed, lost): (Vec<&String>, Vec<&String>) = envs
                .value
                .iter()
                .partition(|e| self.stages.contains(&crate::text::echo(e)));
            if !placed.is_empty() {
                maps.push(format!(
                    "{} → {}",
                    w("heading.promotion", &[]),
                    self.promotion_short()
                ));
            }
            for e in lost {
                missing.push(w("miss.environment", &[("env", e)]));
            }
        }
        if let Some(a) = &self.profile.accounts {
            let model = w(&format!("account.{}", a.value.id()), &[]);
            let wired = match a.value {
                AccountModel::Single => true,
                AccountModel::PerTenant => {
                    self.decision("tenancy")
                        .is_some_and(|d| d.option == "account_per_tenant")
                        || self.wiring.len() > 1
                }
                _ => self.wiring.len() > 1,
            };
            if wired {
                maps.push(format!("{model} → {}", w("heading.wiring", &[])));
            } else {
                missing.push(w("miss.account", &[("model", &model)]));
            }
        }
        let ok = missing.is_empty() && !maps.is_empty();
        let ev = if ok {
            let m = maps.join("; ");
            if reworked {
                w("check.1.rework", &[("maps", &m)])
            } else {
                w("check.1.ok", &[("maps", &m)])
            }
        } else if missing.is_empty() {
            w("check.1.nothing", &[])
        } else {
            w("check.1.missing", &[("missing", &missing.join(", "))])
        };
        push(1, ok, ev);

        // 2. Every tool choice cites a trade-off and an alternative.
        let stack_ok = self
            .stack
            .iter()
            .all(|c| !c.tradeoff.trim().is_empty() && !c.alternative.trim().is_empty());
        let all: Vec<&Decision> = self.decisions.iter().chain(&self.support).collect();
        let bare: Vec<&str> = all
            .iter()
            .filter(|d| d.tradeoff.trim().is_empty() || d.alternative.trim().is_empty())
            .map(|d| d.label.as_str())
            .collect();
        let ok = bare.is_empty() && stack_ok;
        push(
            2,
            ok,
            if ok {
                w(
                    "check.2.ok",
                    &[
                        ("n", &(all.len() + self.stack.len()).to_string()),
                        ("kept", &self.kept().len().to_string()),
                    ],
                )
            } else {
                w("check.2.bare", &[("rows", &bare.join(", "))])
            },
        );

        // 3. The topology names where the portal, GitOps engine and infra controllers run.
        let placed: Vec<String> = ["developer_portal", "gitops_delivery", "self_service_infra"]
            .iter()
            .filter_map(|r| self.decision(r))
            .filter(|d| !d.runs_on.trim().is_empty())
            .map(|d| format!("{}: {}", d.tool, d.runs_on.split(" (").next().unwrap_or("")))
            .collect();
        let topo = self
            .decision("topology")
            .map(|d| d.option.clone())
            .unwrap_or_default();
        let ok = placed.len() == 3 && k.arch.topology.contains_key(&topo);
        push(
            3,
            ok,
            if ok {
                w("check.3.ok", &[("placed", &placed.join("; "))])
            } else {
                w("check.3.missing", &[])
            },
        );

        // 4. Tenant onboarding end to end.
        let covered: BTreeSet<&str> = self
            .onboarding
            .iter()
            .flat_map(|(_, c)| c.iter().map(String::as_str))
            .collect();
        let lacking: Vec<&str> = REQUIRED_COVERS
            .iter()
            .copied()
            .filter(|c| !covered.contains(c))
            .collect();
        push(
            4,
            lacking.is_empty(),
            if lacking.is_empty() {
                w(
                    "check.4.ok",
                    &[
                        ("n", &self.onboarding.len().to_string()),
                        ("covers", &REQUIRED_COVERS.join(", ").replace('_', " ")),
                        ("teams", &self.var("teams")),
                    ],
                )
            } else {
                w("check.4.lacks", &[("lacks", &lacking.join(", "))])
            },
        );

        // 5. Sequenced roadmap with a named first milestone.
        let ids: Vec<&str> = self.roadmap.iter().map(|s| s.id.as_str()).collect();
        let order = [
            "portal",
            "first_path",
            "gitops",
            "progressive",
            "self_service",
            "measurement",
        ];
        let positions: Vec<Option<usize>> = order
            .iter()
            .map(|o| ids.iter().position(|i| i == o))
            .collect();
        let sequenced =
            positions.iter().all(Option::is_some) && positions.windows(2).all(|w| w[0] < w[1]);
        let named =
            !self.milestone.name.trim().is_empty() && !self.milestone.exit.trim().is_empty();
        push(
            5,
            sequenced && named,
            if sequenced && named {
                w(
                    "check.5.ok",
                    &[
                        ("n", &ids.len().to_string()),
                        ("milestone", &self.milestone.name),
                        (
                            "weeks",
                            &self
                                .roadmap
                                .last()
                                .and_then(|st| parse_weeks(&st.weeks))
                                .map(|(_, b, _)| b.to_string())
                                .unwrap_or_default(),
                        ),
                    ],
                )
            } else {
                w("check.5.bad", &[])
            },
        );

        // 6. Metrics specified before any build starts.
        let first_is_metrics = ids.first() == Some(&"stage0_metrics");
        let ok = k.arch.dora.len() >= 4 && !k.arch.adoption.is_empty() && first_is_metrics;
        push(
            6,
            ok,
            if ok {
                w(
                    "check.6.ok",
                    &[
                        ("dora", &k.arch.dora.len().to_string()),
                        ("adoption", &k.arch.adoption.len().to_string()),
                        ("teams", &self.var("teams")),
                    ],
                )
            } else {
                w("check.6.bad", &[])
            },
        );

        // Unresolved conflicts fail the item they belong to, with the conflict quoted.
        for c in &self.conflict_items {
            if let Some(item) = c.item.and_then(|n| items.get_mut(n.wrapping_sub(1))) {
                let first = first_sentence(&c.text);
                let ev = w("check.conflict", &[("text", &first)]);
                fail(item, ev);
            }
        }
        // A kept tool that a later phase contradicts fails that phase's item, with the sentence quoted.
        let later = [
            (3, crate::render::phase3_body(k, self)),
            (5, crate::render::roadmap_text(k, self)),
        ];
        for (n, text) in later {
            if let Some((row, _, sentence)) =
                self.foreign_mentions(k, &text, true).into_iter().next()
            {
                let kept = self.decision(&row).map(|d| d.tool.clone()).unwrap_or(row);
                let ev = w(
                    "check.contradicted",
                    &[("kept", &kept), ("sentence", &sentence)],
                );
                if let Some(item) = items.get_mut(n - 1) {
                    fail(item, ev);
                }
            }
        }

        let passed = items.iter().filter(|i| i.passed).count();
        Checklist {
            passed,
            total: items.len(),
            items,
            reworked: false,
        }
    }

    /// The value of a placeholder (a row's tool or a profile variable).
    pub fn var(&self, name: &str) -> String {
        self.vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn promotion_short(&self) -> String {
        self.stages.join(" → ")
    }
}

fn fail(item: &mut CheckItem, ev: String) {
    if item.passed {
        item.passed = false;
        item.evidence = ev;
    } else {
        item.evidence = format!("{}; {ev}", item.evidence);
    }
}

fn first_sentence(s: &str) -> String {
    match s.find(". ") {
        Some(i) => s[..=i].to_string(),
        None => s.to_string(),
    }
}

/// Splits a line into sentences (at ". ", "; " and ": " boundaries are kept inside).
pub fn split_sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        if (bytes[i] == b'.' || bytes[i] == b'!' || bytes[i] == b'?')
            && bytes.get(i + 1) == Some(&b' ')
        {
            out.push(&line[start..=i]);
            start = i + 2;
        }
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// True when `sentence` names `name` as a whole word (case-sensitive).
pub fn names_word(sentence: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(i) = sentence[from..].find(name) {
        let at = from + i;
        let before = sentence[..at].chars().next_back();
        let after = sentence[at + name.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '-');
        if edge(before) && edge(after) {
            return true;
        }
        from = at + name.len();
    }
    false
}

fn plan_roadmap(
    k: &Knowledge,
    decisions: &[Decision],
    size: Size,
    applies: &impl Fn(&[String], &[String], &[String], &[String]) -> bool,
) -> Vec<PlannedStage> {
    let stages: Vec<_> = k
        .arch
        .roadmap
        .iter()
        .filter(|s| applies(&s.when_option, &s.unless_option, &[], &[]))
        .collect();
    let mut out = Vec::new();
    let mut start = 1u32;
    let f = size.factor();
    for (i, st) in stages.iter().enumerate() {
        let d = decisions.iter().find(|d| d.row == st.row);
        let kept = d.is_some_and(|d| d.kept);
        let words = d.and_then(|d| k.option(&d.option));
        let tool_text = words
            .map(|o| if kept { &o.extend } else { &o.stand_up })
            .filter(|t| !t.trim().is_empty());
        let text = match tool_text {
            Some(t) => format!("{} {}", t, st.text),
            None => st.text.clone(),
        };
        let title = if kept && !st.kept_title.is_empty() {
            st.kept_title.clone()
        } else {
            st.title.clone()
        };
        let shrink = if kept { 0.5 } else { 1.0 };
        let (weeks, next) = match parse_weeks(&st.weeks) {
            Some((a, b, rest)) => {
                let dur = ((f64::from(b - a + 1) * f * shrink).round() as u32).max(1);
                let end = start + dur - 1;
                let w = if end == start {
                    word(
                        Some(k),
                        "weeks.one",
                        &[("from", &start.to_string()), ("rest", &rest)],
                    )
                } else {
                    word(
                        Some(k),
                        "weeks.range",
                        &[
                            ("from", &start.to_string()),
                            ("to", &end.to_string()),
                            ("rest", &rest),
                        ],
                    )
                };
                let gap = stages
                    .get(i + 1)
                    .and_then(|n| parse_weeks(&n.weeks))
                    .map(|(na, _, _)| na.saturating_sub(a))
                    .unwrap_or(0);
                let step = ((f64::from(gap) * f * shrink).round() as u32).max(1);
                (w, start + step)
            }
            None => (st.weeks.clone(), start + 1),
        };
        start = next;
        out.push(PlannedStage {
            id: st.id.clone(),
            title,
            text,
            exit: st.exit.clone(),
            weeks,
            kept,
        });
    }
    out
}

fn plan_milestone(
    k: &Knowledge,
    profile: &Profile,
    caps: &[(String, String)],
    eng: &Engagement,
) -> PlannedMilestone {
    let m = &k.arch.milestone;
    // Capability labels can be the user's own words: echo-safe before they go into the plan.
    let first = caps.first().map(|(_, l)| crate::text::echo(l));
    let name = match &first {
        Some(c) => word(Some(k), "milestone.name", &[("capability", c)]),
        None => m.name.clone(),
    };
    let mut text = m.text.clone();
    if let Some(c) = &first {
        text.push(' ');
        text.push_str(&word(Some(k), "milestone.capability", &[("capability", c)]));
    }
    // The team's own words for the pain (as the Phase 1 restatement shows them), else the category
    // the older extractor recognised.
    let pain = profile.pain.as_ref().map(|f| f.value.clone()).or_else(|| {
        eng.items(Slot::TopPain)
            .iter()
            .find(|i| i.key != "pain:other")
            .map(|i| i.label.clone())
    });
    if let Some(p) = pain {
        text.push(' ');
        text.push_str(&word(
            Some(k),
            "milestone.pain",
            &[("pain", &crate::text::echo(&p))],
        ));
    }
    PlannedMilestone {
        name,
        text,
        exit: m.exit.clone(),
    }
}

/// Chooses every Defaults-table row.
pub fn decide(k: &Knowledge, facts: &Facts) -> Vec<Decision> {
    decide_rows(k, &k.rows, facts)
}

fn decide_rows(k: &Knowledge, rows: &[Row], facts: &Facts) -> Vec<Decision> {
    rows.iter()
        .map(|row| {
            let hit = fired(row, facts);
            let (option, reason, kept, replaced, because) = match hit {
                Some(o) => {
                    let fired: Vec<&String> = o
                        .any
                        .iter()
                        .chain(&o.all)
                        .filter(|f| facts.has(f))
                        .collect();
                    let because: Vec<String> = fired
                        .iter()
                        .filter_map(|f| facts.0.get(*f))
                        .map(|(label, source)| format!("{label} (from {source})"))
                        .collect();
                    let labels: Vec<String> = fired
                        .iter()
                        .filter_map(|f| facts.0.get(*f))
                        .map(|(label, _)| label.clone())
                        .collect();
                    let from_stack = fired.iter().any(|f| {
                        f.split_once(':')
                            .is_some_and(|(p, _)| STACK_PREFIXES.iter().any(|(_, sp)| *sp == p))
                    });
                    (
                        o.option.clone(),
                        format!("override: {}", because.join(" and ")),
                        from_stack && !o.replace,
                        o.replace,
                        labels.join(", "),
                    )
                }
                None => (
                    row.default.clone(),
                    "default".to_string(),
                    false,
                    false,
                    String::new(),
                ),
            };
            let words = k.option(&option);
            Decision {
                tool: words
                    .map(|w| w.tool.clone())
                    .unwrap_or_else(|| option.clone()),
                tradeoff: words.map(|w| w.tradeoff.clone()).unwrap_or_default(),
                alternative: words.map(|w| w.alternative.clone()).unwrap_or_default(),
                reason,
                row: row.id.clone(),
                label: row.label.clone(),
                runs_on: words.map(|w| w.runs_on.clone()).unwrap_or_default(),
                detail: words.map(|w| w.detail.clone()).unwrap_or_default(),
                kept,
                replaced,
                because,
                option,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_parse_and_names_match_whole_words() {
        assert_eq!(parse_weeks("weeks 8-14"), Some((8, 14, String::new())));
        assert_eq!(
            parse_weeks("weeks 22-26, then quarterly"),
            Some((22, 26, ", then quarterly".into()))
        );
        assert!(names_word("Run Argo CD on the hub.", "Argo CD"));
        assert!(!names_word("ports 80 and 443", "Port"));
        assert!(names_word("Keep Port. Model it", "Port"));
        assert!(!names_word(
            "Argo CD Image Updater-like",
            "Image Updater-like2"
        ));
        assert_eq!(
            split_sentences("One. Two: three; four. Five"),
            ["One.", "Two: three; four.", "Five"]
        );
    }

    #[test]
    fn tool_facts_read_profile_spellings() {
        assert_eq!(
            tool_fact(Category::Gitops, "FluxCD").as_deref(),
            Some("gitops:flux")
        );
        assert_eq!(
            tool_fact(Category::Registry, "JFrog Artifactory").as_deref(),
            Some("registry:artifactory")
        );
        assert_eq!(
            tool_fact(Category::WorkloadIdentity, "IRSA").as_deref(),
            Some("identity:irsa")
        );
        assert_eq!(
            tool_fact(Category::Compute, "EKS Auto Mode").as_deref(),
            Some("compute:auto_mode")
        );
        assert_eq!(tool_fact(Category::Portal, "something else"), None);
    }
}
