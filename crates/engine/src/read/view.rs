//! Folding readings together, and the five Phase 1 inputs as views of a profile.

use super::Reader;
use crate::profile::{Constraint, Profile, TeamKind};
use crate::state::Slot;

/// True when the profile answers a Phase 1 input: consumer teams (counts, engineers, ML/data
/// consumers), the top pain, first capabilities, the existing stack (a tool run today, or greenfield)
/// or constraints. Environments, accounts and wanted tools alone answer none of them.
pub fn knows(p: &Profile, slot: Slot) -> bool {
    match slot {
        Slot::ConsumerTeams => {
            !p.teams.is_empty() || p.engineers.is_some() || p.ml_data_consumers.is_some()
        }
        Slot::TopPain => p.pain.is_some(),
        Slot::FirstCapabilities => !p.capabilities.is_empty(),
        Slot::ExistingStack => {
            !p.stack.is_empty() || p.greenfield.as_ref().is_some_and(|g| g.value)
        }
        Slot::Constraints => !p.constraints.is_empty(),
    }
}

/// The profile keys (as in the replay contract) behind each Phase 1 input's view.
pub fn slot_keys(slot: Slot) -> &'static [&'static str] {
    match slot {
        Slot::ConsumerTeams => &["teams", "engineers", "ml_data_consumers", "tenancy"],
        Slot::TopPain => &["pain"],
        Slot::FirstCapabilities => &["capabilities"],
        Slot::ExistingStack => &[
            "stack",
            "greenfield",
            "wanted",
            "environments",
            "clusters",
            "accounts",
        ],
        Slot::Constraints => &["constraints", "hide_kubernetes"],
    }
}

/// Folds a newer reading into `into`: for the same key the newer fact wins; sets (capabilities,
/// constraints) are united. Naming a tool as run removes it from the wanted tools of its category, and
/// "none" among the constraints gives way to real constraints (or replaces them when it is newer and
/// alone).
pub fn merge(into: &mut Profile, newer: Profile) {
    let Profile {
        teams,
        engineers,
        environments,
        clusters,
        accounts,
        tenancy,
        capabilities,
        stack,
        wanted,
        constraints,
        hide_kubernetes,
        ml_data_consumers,
        pain,
        greenfield,
    } = newer;
    into.teams.extend(teams);
    macro_rules! newer_wins {
        ($($f:ident),*) => { $( if $f.is_some() { into.$f = $f; } )* };
    }
    newer_wins!(
        engineers,
        environments,
        clusters,
        accounts,
        tenancy,
        hide_kubernetes,
        ml_data_consumers,
        pain
    );
    into.capabilities.extend(capabilities);
    for (c, f) in wanted {
        if into.runs(c) != Some(f.value.as_str()) {
            into.wanted.insert(c, f);
        }
    }
    for (c, f) in stack {
        if into.wanted.get(&c).is_some_and(|w| w.value == f.value) {
            into.wanted.remove(&c);
        }
        into.stack.insert(c, f);
    }
    if !into.stack.is_empty() {
        into.greenfield = None;
    } else if greenfield.is_some() {
        into.greenfield = greenfield;
    }
    let only_none = constraints.len() == 1 && constraints.contains_key(&Constraint::None);
    if only_none {
        into.constraints = constraints;
    } else if !constraints.is_empty() {
        into.constraints.remove(&Constraint::None);
        into.constraints.extend(constraints);
    }
}

/// The five Phase 1 inputs as short readable views of a profile (`None` while unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    /// Consumer teams: counts by kind, engineers, tenancy, ML/data consumers.
    pub consumer_teams: Option<String>,
    /// The top pain, in the team's words.
    pub top_pain: Option<String>,
    /// First capabilities.
    pub first_capabilities: Option<String>,
    /// What the team runs (and wants), environments, clusters, accounts.
    pub existing_stack: Option<String>,
    /// Constraints, and whether Kubernetes is hidden.
    pub constraints: Option<String>,
}

impl Inputs {
    /// The inputs by their replay ids (`consumer_teams`, `top_pain`, ...), in the workflow's order.
    pub fn by_id(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("consumer_teams", self.consumer_teams.as_deref()),
            ("top_pain", self.top_pain.as_deref()),
            ("first_capabilities", self.first_capabilities.as_deref()),
            ("existing_stack", self.existing_stack.as_deref()),
            ("constraints", self.constraints.as_deref()),
        ]
    }
}

fn join(parts: Vec<String>) -> Option<String> {
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(", "))
    }
}

impl Reader {
    /// The five Phase 1 inputs as views of `p`.
    pub fn inputs(&self, p: &Profile) -> Inputs {
        let d = &self.display;
        let mut teams: Vec<String> = p
            .teams
            .iter()
            .map(|(k, f)| {
                // "1 data team", not "1 data teams".
                let noun = &d.teams[k];
                let noun = match noun.strip_suffix('s') {
                    Some(one) if f.value == 1 => one,
                    _ => noun.as_str(),
                };
                // "2 ML teams (not on the platform)" when they stay off it.
                if p.ml_data_off() && matches!(k, TeamKind::Ml | TeamKind::Data) {
                    format!("{} {noun} {}", f.value, d.ml_data_off)
                } else {
                    format!("{} {noun}", f.value)
                }
            })
            .collect();
        if let Some(e) = &p.engineers {
            teams.push(format!("~{} {}", e.value, d.engineers));
        }
        if p.ml_data_consumers.as_ref().is_some_and(|f| f.value)
            && !p.teams.contains_key(&TeamKind::Ml)
            && !p.teams.contains_key(&TeamKind::Data)
        {
            teams.push(d.ml_data.clone());
        }
        if let Some(t) = &p.tenancy {
            teams.push(d.tenancy[&t.value].clone());
        }
        let caps = p
            .capabilities
            .keys()
            .map(|c| d.capabilities[c].clone())
            .collect();
        let mut stack: Vec<String> = p
            .stack
            .iter()
            .map(|(c, f)| format!("{} ({})", f.value, d.categories[c]))
            .collect();
        let known_stack = !stack.is_empty() || p.greenfield.is_some();
        if stack.is_empty() && p.greenfield.is_some() {
            stack.push(d.greenfield.clone());
        }
        if !p.wanted.is_empty() && known_stack {
            let w: Vec<String> = p
                .wanted
                .iter()
                .map(|(c, f)| format!("{} ({})", f.value, d.categories[c]))
                .collect();
            stack.push(format!("{}: {}", d.wanted, w.join(", ")));
        }
        if known_stack {
            if let Some(e) = &p.environments {
                stack.push(format!("{}: {}", d.environments, e.value.join(" → ")));
            }
            if let Some(c) = &p.clusters {
                stack.push(format!("{} {}", c.value, d.clusters));
            }
            if let Some(a) = &p.accounts {
                stack.push(d.accounts[&a.value].clone());
            }
        }
        let mut cons: Vec<String> = p
            .constraints
            .keys()
            .map(|c| d.constraints[c].clone())
            .collect();
        if !cons.is_empty() && p.hide_kubernetes.as_ref().is_some_and(|f| f.value) {
            cons.push(d.hide_kubernetes.clone());
        }
        Inputs {
            consumer_teams: join(teams),
            top_pain: p.pain.as_ref().map(|f| f.value.clone()),
            first_capabilities: join(caps),
            existing_stack: if known_stack { join(stack) } else { None },
            constraints: join(cons),
        }
    }
}
