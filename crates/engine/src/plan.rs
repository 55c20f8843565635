//! The plan: Phase 2-4 content derived from the Phase 1 inputs and the knowledge base.
//!
//! Nothing here is stored. Given the same inputs, mode and knowledge, [`Plan::build`] always gives the
//! same plan, and the Quality Checklist is computed from that plan (not asserted by it).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::router::ModeSpec;
use super::state::{Engagement, Slot, Source};
use crate::knowledge::{fill, guard, Component, Knowledge, PathSpec, Shaping, Stage};

/// Facts established by Phase 1 (and implied by the mode), each with the label and source that
/// established it.
#[derive(Debug, Clone, Default)]
pub struct Facts(pub BTreeMap<String, (String, Source)>);

impl Facts {
    /// Derives the facts of an engagement.
    pub fn of(eng: &Engagement, spec: &ModeSpec) -> Facts {
        let mut f = BTreeMap::new();
        for items in eng.inputs.values() {
            for i in items {
                f.insert(i.key.clone(), (i.label.clone(), i.source.clone()));
            }
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

/// One Defaults-table decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The chosen tool.
    pub tool: String,
    /// Its trade-off.
    pub tradeoff: String,
    /// One alternative.
    pub alternative: String,
    /// `default`, or the Phase 1 fact that overrode it.
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

/// The whole plan for an engagement.
#[derive(Debug, Clone)]
pub struct Plan<'k> {
    /// All ten decisions (the mode shows its own rows).
    pub decisions: Vec<Decision>,
    /// Conflict lines.
    pub conflicts: Vec<String>,
    /// Golden paths in scope.
    pub paths: Vec<PlannedPath>,
    /// AI/ML paths, when on (only those for the consumer teams named).
    pub ml_paths: Vec<Path>,
    /// Supporting stack (placements adapted to the topology).
    pub stack: Vec<Component>,
    /// Tenant onboarding steps, filled in, with what each covers.
    pub onboarding: Vec<(String, Vec<String>)>,
    /// Roadmap stages.
    pub roadmap: Vec<&'k Stage>,
    /// Constraint shaping that applies.
    pub shaping: Vec<ShapingView>,
    /// Phase 1 answers no path serves (before rework).
    pub unmapped: Vec<String>,
    /// Tool name per row, for placeholders.
    pub vars: Vec<(&'static str, String)>,
    /// The app onboarding path, resolved, for the rework step.
    fallback: Option<Path>,
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

impl<'k> Plan<'k> {
    /// Builds the plan.
    pub fn build(k: &'k Knowledge, eng: &Engagement, spec: &ModeSpec) -> Plan<'k> {
        let facts = Facts::of(eng, spec);
        let mut decisions = decide(k, &facts);
        let options: Vec<String> = decisions.iter().map(|d| d.option.clone()).collect();
        let chosen: BTreeSet<&str> = options.iter().map(String::as_str).collect();
        let conflicts = k
            .conflicts
            .iter()
            .filter(|c| {
                facts.has(&c.constraint) && c.options.iter().any(|o| chosen.contains(o.as_str()))
            })
            .map(|c| k.conflict_text.get(&c.id).cloned().unwrap_or_default())
            .collect();
        let ml_on = chosen.contains("aiml_on");
        // AI/ML paths: only those for the ML / data consumer teams named (the AI/ML mode implies ML).
        let ml_paths: Vec<Path> = if ml_on {
            k.ml_paths
                .iter()
                .filter(|p| p.consumers.is_empty() || p.consumers.iter().any(|c| facts.has(c)))
                .map(|p| resolve_path(p, &chosen, &facts))
                .collect()
        } else {
            Vec::new()
        };
        // The AI/ML row names the paths this team actually gets.
        if let Some(d) = decisions.iter_mut().find(|d| d.option == "aiml_on") {
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
            if !shorts.is_empty() {
                d.tool = format!("on: {}", shorts.join(", "));
            }
        }
        let vars: Vec<(&'static str, String)> = crate::knowledge::ROW_IDS
            .iter()
            .zip(&decisions)
            .map(|(id, d)| (*id, d.tool.clone()))
            .collect();
        // Golden paths: each first capability maps onto the paths that serve it.
        let mut serves: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut unmapped = Vec::new();
        for item in eng.items(Slot::FirstCapabilities) {
            let targets: Vec<&PathSpec> = k
                .paths
                .iter()
                .filter(|p| p.capabilities.contains(&item.key))
                .collect();
            let on_ml = ml_paths.iter().any(|p| p.capabilities.contains(&item.key));
            if targets.is_empty() && !on_ml {
                unmapped.push(item.label.clone());
            }
            for p in targets {
                serves
                    .entry(p.id.as_str())
                    .or_default()
                    .push(item.label.clone());
            }
        }
        let mut paths: Vec<PlannedPath> = k
            .paths
            .iter()
            .filter(|p| serves.contains_key(p.id.as_str()))
            .map(|p| PlannedPath {
                spec: resolve_path(p, &chosen, &facts),
                serves: serves.get(p.id.as_str()).cloned().unwrap_or_default(),
            })
            .collect();
        if paths.is_empty() {
            // Nothing chosen yet (or only ML jobs): the app paths are where every platform starts.
            paths = k
                .paths
                .iter()
                .filter(|p| p.id == "onboard_app" || p.id == "ship_safely")
                .map(|p| PlannedPath {
                    spec: resolve_path(p, &chosen, &facts),
                    serves: vec![],
                })
                .collect();
        }
        let fallback = k
            .paths
            .iter()
            .find(|p| p.id == "onboard_app")
            .map(|p| resolve_path(p, &chosen, &facts));
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
            Some(p) if runs_on.contains("hub") || runs_on.contains("spoke") => p.clone(),
            _ => runs_on.to_string(),
        };
        for d in decisions.iter_mut().filter(|d| d.row != "topology") {
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
        let roadmap = k
            .arch
            .roadmap
            .iter()
            .filter(|s| applies(&s.when_option, &s.unless_option, &[], &[]))
            .collect();
        let shaping = k
            .arch
            .constraint_shaping
            .iter()
            .filter(|s| facts.has(&s.fact))
            .map(|s| resolve_shaping(s, &chosen, &facts))
            .collect();
        Plan {
            decisions,
            conflicts,
            paths,
            ml_paths,
            stack,
            onboarding,
            roadmap,
            shaping,
            unmapped,
            vars,
            fallback,
        }
    }

    /// Fills the tool placeholders of a knowledge string.
    pub fn fill(&self, s: &str) -> String {
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(a, b)| (*a, b.as_str())).collect();
        fill(s, &vars)
    }

    /// The decision for a row.
    pub fn decision(&self, row: &str) -> Option<&Decision> {
        self.decisions.iter().find(|d| d.row == row)
    }

    /// Grades the plan against the Quality Checklist; below 4/6 the plan is reworked (unmapped
    /// answers go onto the default app path) and graded again.
    pub fn grade(&mut self, k: &'k Knowledge, eng: &Engagement) -> Checklist {
        let first = self.checklist(k, eng, false);
        if first.passed >= 4 {
            return first;
        }
        if let Some(p) = self.fallback.clone() {
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
        let mut items = Vec::new();
        let mut push = |item: &str, passed: bool, evidence: String| {
            items.push(CheckItem {
                item: item.to_string(),
                passed,
                evidence,
            })
        };

        // 1. Every consumer team and first capability maps to a recommendation.
        let mut maps = Vec::new();
        let mut missing = Vec::new();
        fn names(v: Vec<&Path>) -> Vec<String> {
            v.iter().map(|p| p.name.clone()).collect()
        }
        for c in eng.items(Slot::ConsumerTeams) {
            let ml = c.key == "consumers:ml" || c.key == "consumers:data";
            if ml {
                let on = names(
                    self.ml_paths
                        .iter()
                        .filter(|p| p.consumers.is_empty() || p.consumers.contains(&c.key))
                        .collect(),
                );
                if on.is_empty() {
                    missing.push(format!("{} (no AI/ML path serves them)", c.label));
                } else {
                    maps.push(format!("{} → {}", c.label, on.join(" + ")));
                }
            } else {
                let on = names(self.paths.iter().map(|p| &p.spec).collect());
                if on.is_empty() {
                    missing.push(c.label.clone());
                } else {
                    maps.push(format!("{} → {}", c.label, on.join(" + ")));
                }
            }
        }
        for cap in eng.items(Slot::FirstCapabilities) {
            let mut on = names(
                self.paths
                    .iter()
                    .filter(|p| p.serves.contains(&cap.label))
                    .map(|p| &p.spec)
                    .collect(),
            );
            on.extend(names(
                self.ml_paths
                    .iter()
                    .filter(|p| p.capabilities.contains(&cap.key))
                    .collect(),
            ));
            if !on.is_empty() {
                maps.push(format!("{} → {}", cap.label, on.join(" + ")));
            } else if cap.key == "cap:ml_job" {
                missing.push(format!(
                    "{} (AI/ML paths are off: no ML or data team among the consumers)",
                    cap.label
                ));
            } else {
                missing.push(cap.label.clone());
            }
        }
        let ok = missing.is_empty() && !maps.is_empty();
        let mut ev = if ok {
            maps.join("; ")
        } else {
            format!(
                "no recommendation for: {}",
                if missing.is_empty() {
                    "anything (no Phase 1 answers)".to_string()
                } else {
                    missing.join(", ")
                }
            )
        };
        if reworked && ok {
            ev.push_str(" (after rework)");
        }
        push(
            "Every Phase 1 consumer team and first golden path maps to a concrete recommendation",
            ok,
            ev,
        );

        // 2. Every tool choice cites a trade-off and an alternative.
        let stack_ok = self
            .stack
            .iter()
            .all(|c| !c.tradeoff.trim().is_empty() && !c.alternative.trim().is_empty());
        let bare: Vec<&str> = self
            .decisions
            .iter()
            .filter(|d| d.tradeoff.trim().is_empty() || d.alternative.trim().is_empty())
            .map(|d| d.label.as_str())
            .collect();
        push(
            "Each tool choice cites the trade-off and one alternative",
            bare.is_empty() && stack_ok,
            if bare.is_empty() && stack_ok {
                format!("{} Defaults-table choices and {} stack components each carry a trade-off and an alternative", self.decisions.len(), self.stack.len())
            } else {
                format!("missing trade-off or alternative: {}", bare.join(", "))
            },
        );

        // 3. The topology names where the portal, GitOps engine and infra controllers run.
        let placed: Vec<String> = ["developer_portal", "gitops_delivery", "self_service_infra"]
            .iter()
            .filter_map(|r| self.decision(r))
            .filter(|d| !d.runs_on.trim().is_empty())
            .map(|d| format!("{}: {}", d.tool, d.runs_on))
            .collect();
        let topo = self
            .decision("topology")
            .map(|d| d.option.clone())
            .unwrap_or_default();
        let ok = placed.len() == 3 && k.arch.topology.contains_key(&topo);
        push(
            "The topology names where the portal, GitOps engine, and infra controllers run",
            ok,
            if ok {
                placed.join("; ")
            } else {
                "placement missing for the portal, GitOps engine or infra controllers".into()
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
            "Tenant onboarding is described end to end, not left as \"set up RBAC\"",
            lacking.is_empty(),
            if lacking.is_empty() {
                format!(
                    "{} steps covering {}",
                    self.onboarding.len(),
                    REQUIRED_COVERS.join(", ").replace('_', " ")
                )
            } else {
                format!("onboarding lacks: {}", lacking.join(", "))
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
            !k.arch.milestone.name.trim().is_empty() && !k.arch.milestone.exit.trim().is_empty();
        push(
            "The roadmap is sequenced with a named first milestone, not a flat feature list",
            sequenced && named,
            if sequenced && named {
                format!(
                    "{} ordered stages; first milestone \"{}\"",
                    ids.len(),
                    k.arch.milestone.name
                )
            } else {
                "roadmap stages out of order or no named milestone".into()
            },
        );

        // 6. Metrics specified before any build starts.
        let first_is_metrics = ids.first() == Some(&"stage0_metrics");
        let ok = k.arch.dora.len() >= 4 && !k.arch.adoption.is_empty() && first_is_metrics;
        push(
            "Success metrics (DORA + adoption) are specified before any build starts",
            ok,
            if ok {
                format!(
                    "{} DORA metrics and {} adoption signals, baselined in the first stage",
                    k.arch.dora.len(),
                    k.arch.adoption.len()
                )
            } else {
                "metrics are not set before the build stages".into()
            },
        );

        let passed = items.iter().filter(|i| i.passed).count();
        Checklist {
            passed,
            total: items.len(),
            items,
            reworked: false,
        }
    }
}

/// Chooses every Defaults-table row.
pub fn decide(k: &Knowledge, facts: &Facts) -> Vec<Decision> {
    k.rows
        .iter()
        .map(|row| {
            let hit = row.overrides.iter().find(|o| {
                (!o.any.is_empty() && o.any.iter().any(|f| facts.has(f)))
                    || (!o.all.is_empty() && o.all.iter().all(|f| facts.has(f)))
            });
            let (option, reason) = match hit {
                Some(o) => {
                    let because: Vec<String> = o
                        .any
                        .iter()
                        .chain(&o.all)
                        .filter_map(|f| facts.0.get(f))
                        .map(|(label, source)| format!("{label} (from {source})"))
                        .collect();
                    (
                        o.option.clone(),
                        format!("override: {}", because.join(" and ")),
                    )
                }
                None => (row.default.clone(), "default".to_string()),
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
                option,
            }
        })
        .collect()
}
