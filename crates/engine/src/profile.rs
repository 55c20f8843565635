//! The typed team profile: every fact the bot has read about the team, each with its source.
//!
//! The profile is filled from chat messages, attachments (eks-recon reports, architecture documents)
//! and the Phase 1 form. The five Phase 1 inputs of the workflow are views of it, plans are derived
//! from it, and `replay` prints it as `profile` / `profile_sources` (see the replay contract).
//!
//! Storage form: every fact is a [`Fact`] (value + [`Source`]). Contract form: [`Profile::contract`]
//! gives the plain values (`{"teams": {"app": 25}, "environments": ["dev", "prod"], ...}`) and the
//! sources keyed the same way (`"teams.app"`, `"stack.gitops"`, `"environments"`, ...). A key is
//! absent while the fact is unknown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::state::Source;

/// One fact and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact<T> {
    /// The value.
    pub value: T,
    /// Where it was read.
    pub source: Source,
}

impl<T> Fact<T> {
    /// A fact read from `source`.
    pub fn new(value: T, source: Source) -> Fact<T> {
        Fact { value, source }
    }
}

macro_rules! id_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $id:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $id)] $v),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The snake_case id used in config, the contract and corpora.
            pub fn id(self) -> &'static str {
                match self { $($name::$v => $id),* }
            }

            /// Parses an id.
            pub fn from_id(id: &str) -> Option<$name> {
                match id { $($id => Some($name::$v),)* _ => None }
            }
        }
    };
}

id_enum! {
    /// Kinds of consumer team.
    TeamKind {
        /// Application (product) teams.
        App = "app",
        /// Machine-learning teams.
        Ml = "ml",
        /// Data teams.
        Data = "data",
        /// Platform teams.
        Platform = "platform",
        /// External customers served as tenants.
        ExternalTenants = "external_tenants",
    }
}

id_enum! {
    /// How AWS accounts are laid out.
    AccountModel {
        /// One account for everything.
        Single = "single",
        /// Several accounts (by environment or function).
        Multi = "multi",
        /// One account per team.
        PerTeam = "per_team",
        /// One account per tenant (customer).
        PerTenant = "per_tenant",
    }
}

id_enum! {
    /// Tenant isolation.
    Tenancy {
        /// Shared clusters; namespaces, RBAC, quotas and network policy separate tenants.
        Soft = "soft",
        /// No shared nodes or clusters between tenants.
        Hard = "hard",
    }
}

id_enum! {
    /// Self-service capabilities a team can ask for first.
    Capability {
        /// Ship (deploy) a service on their own.
        ShipService = "ship_service",
        /// Provision AWS infrastructure (databases, buckets, queues).
        ProvisionInfra = "provision_infra",
        /// Scaffold a new repository or service from a template.
        ScaffoldRepo = "scaffold_repo",
        /// Run an ML or data job.
        MlJob = "ml_job",
        /// Get an environment (preview, ephemeral, sandbox).
        Environment = "environment",
    }
}

id_enum! {
    /// Categories of the existing (or wanted) stack.
    Category {
        /// Developer portal.
        Portal = "portal",
        /// GitOps engine.
        Gitops = "gitops",
        /// CI system.
        Ci = "ci",
        /// Infrastructure as code.
        Iac = "iac",
        /// Container registry.
        Registry = "registry",
        /// Service mesh.
        Mesh = "mesh",
        /// Progressive delivery controller.
        ProgressiveDelivery = "progressive_delivery",
        /// Multi-stage promotion.
        Promotion = "promotion",
        /// Node provisioning (Karpenter, Auto Mode, Cluster Autoscaler).
        Compute = "compute",
        /// Workload identity (IRSA, Pod Identity).
        WorkloadIdentity = "workload_identity",
        /// Secrets management.
        Secrets = "secrets",
        /// Policy engine.
        Policy = "policy",
        /// Observability.
        Observability = "observability",
        /// Single sign-on / identity provider.
        Sso = "sso",
    }
}

id_enum! {
    /// Constraints a plan must respect.
    Constraint {
        /// No internet access from the clusters.
        AirGapped = "air_gapped",
        /// SOC 2.
        Soc2 = "soc2",
        /// PCI DSS.
        Pci = "pci",
        /// HIPAA.
        Hipaa = "hipaa",
        /// ISO 27001.
        Iso27001 = "iso27001",
        /// FedRAMP.
        Fedramp = "fedramp",
        /// GDPR.
        Gdpr = "gdpr",
        /// Data must stay in a region or country.
        DataResidency = "data_residency",
        /// Several AWS accounts must be spanned.
        MultiAccount = "multi_account",
        /// An existing investment (tool, contract) must be kept.
        ExistingInvestment = "existing_investment",
        /// The team said there are none.
        None = "none",
    }
}

/// Everything read about the team. Absent (`None` / empty) means unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Team counts by kind, as stated.
    pub teams: BTreeMap<TeamKind, Fact<u32>>,
    /// Number of engineers, when stated.
    pub engineers: Option<Fact<u32>>,
    /// Environment names in promotion order, lower case.
    pub environments: Option<Fact<Vec<String>>>,
    /// Number of clusters, when stated.
    pub clusters: Option<Fact<u32>>,
    /// The AWS account model.
    pub accounts: Option<Fact<AccountModel>>,
    /// Tenant isolation.
    pub tenancy: Option<Fact<Tenancy>>,
    /// First self-service capabilities.
    pub capabilities: BTreeMap<Capability, Source>,
    /// What the team runs today, by category (the tool as a user would name it).
    pub stack: BTreeMap<Category, Fact<String>>,
    /// Tools the team asks for or considers but does not run.
    pub wanted: BTreeMap<Category, Fact<String>>,
    /// Constraints.
    pub constraints: BTreeMap<Constraint, Source>,
    /// True when developers should not see Kubernetes objects.
    pub hide_kubernetes: Option<Fact<bool>>,
    /// True when ML or data teams are among the consumers.
    pub ml_data_consumers: Option<Fact<bool>>,
    /// The top deployment pain, in the team's words.
    pub pain: Option<Fact<String>>,
    /// True when the team said it has nothing to keep yet (greenfield): the existing stack is answered.
    pub greenfield: Option<Fact<bool>>,
}

impl Profile {
    /// True when the team said its ML or data teams stay off the platform: they are not consumers,
    /// whatever their count.
    pub fn ml_data_off(&self) -> bool {
        self.ml_data_consumers.as_ref().is_some_and(|f| !f.value)
    }

    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        self == &Profile::default()
    }

    /// The tool the team runs in a category.
    pub fn runs(&self, c: Category) -> Option<&str> {
        self.stack.get(&c).map(|f| f.value.as_str())
    }

    /// True when the team named this constraint.
    pub fn has(&self, c: Constraint) -> bool {
        self.constraints.contains_key(&c)
    }

    /// The sources of the facts under the given contract keys (`teams`, `stack`, `pain`, ...), in
    /// key order, without building the contract form.
    pub fn sources_of(&self, keys: &[&str]) -> Vec<&Source> {
        let mut out: Vec<&Source> = Vec::new();
        for key in keys {
            match *key {
                "teams" => out.extend(self.teams.values().map(|f| &f.source)),
                "engineers" => out.extend(self.engineers.as_ref().map(|f| &f.source)),
                "environments" => out.extend(self.environments.as_ref().map(|f| &f.source)),
                "clusters" => out.extend(self.clusters.as_ref().map(|f| &f.source)),
                "accounts" => out.extend(self.accounts.as_ref().map(|f| &f.source)),
                "tenancy" => out.extend(self.tenancy.as_ref().map(|f| &f.source)),
                "capabilities" => out.extend(self.capabilities.values().last()),
                "stack" => out.extend(self.stack.values().map(|f| &f.source)),
                "wanted" => out.extend(self.wanted.values().map(|f| &f.source)),
                "constraints" => out.extend(self.constraints.values().last()),
                "hide_kubernetes" => out.extend(self.hide_kubernetes.as_ref().map(|f| &f.source)),
                "ml_data_consumers" => {
                    out.extend(self.ml_data_consumers.as_ref().map(|f| &f.source))
                }
                "pain" => out.extend(self.pain.as_ref().map(|f| &f.source)),
                "greenfield" => out.extend(self.greenfield.as_ref().map(|f| &f.source)),
                _ => {}
            }
        }
        out
    }

    /// How many facts the profile holds, counted like the contract's sources (one per team kind,
    /// tool and single fact; one for all capabilities and one for all constraints).
    pub fn fact_count(&self) -> usize {
        self.teams.len()
            + self.stack.len()
            + self.wanted.len()
            + usize::from(!self.capabilities.is_empty())
            + usize::from(!self.constraints.is_empty())
            + [
                self.engineers.is_some(),
                self.environments.is_some(),
                self.clusters.is_some(),
                self.accounts.is_some(),
                self.tenancy.is_some(),
                self.hide_kubernetes.is_some(),
                self.ml_data_consumers.is_some(),
                self.pain.is_some(),
                self.greenfield.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count()
    }

    /// The contract form: plain values, and the sources keyed like the values (`teams.app`,
    /// `stack.gitops`, `capabilities`, `constraints`, `environments`, ...).
    pub fn contract(&self) -> (Value, BTreeMap<String, String>) {
        let mut v = Map::new();
        let mut src = BTreeMap::new();
        if !self.teams.is_empty() {
            let mut t = Map::new();
            for (k, f) in &self.teams {
                t.insert(k.id().into(), json!(f.value));
                src.insert(format!("teams.{}", k.id()), f.source.to_string());
            }
            v.insert("teams".into(), Value::Object(t));
        }
        let mut one = |key: &str, val: Option<(Value, &Source)>| {
            if let Some((val, s)) = val {
                v.insert(key.into(), val);
                src.insert(key.into(), s.to_string());
            }
        };
        one(
            "engineers",
            self.engineers.as_ref().map(|f| (json!(f.value), &f.source)),
        );
        one(
            "environments",
            self.environments
                .as_ref()
                .map(|f| (json!(f.value), &f.source)),
        );
        one(
            "clusters",
            self.clusters.as_ref().map(|f| (json!(f.value), &f.source)),
        );
        one(
            "accounts",
            self.accounts
                .as_ref()
                .map(|f| (json!(f.value.id()), &f.source)),
        );
        one(
            "tenancy",
            self.tenancy
                .as_ref()
                .map(|f| (json!(f.value.id()), &f.source)),
        );
        one(
            "hide_kubernetes",
            self.hide_kubernetes
                .as_ref()
                .map(|f| (json!(f.value), &f.source)),
        );
        one(
            "ml_data_consumers",
            self.ml_data_consumers
                .as_ref()
                .map(|f| (json!(f.value), &f.source)),
        );
        one(
            "pain",
            self.pain.as_ref().map(|f| (json!(f.value), &f.source)),
        );
        one(
            "greenfield",
            self.greenfield
                .as_ref()
                .map(|f| (json!(f.value), &f.source)),
        );
        for (key, set) in [
            (
                "capabilities",
                self.capabilities
                    .iter()
                    .map(|(c, s)| (c.id(), s))
                    .collect::<Vec<_>>(),
            ),
            (
                "constraints",
                self.constraints.iter().map(|(c, s)| (c.id(), s)).collect(),
            ),
        ] {
            if let Some((_, last)) = set.last() {
                v.insert(
                    key.into(),
                    json!(set.iter().map(|(id, _)| *id).collect::<Vec<_>>()),
                );
                src.insert(key.into(), last.to_string());
            }
        }
        for (key, map) in [("stack", &self.stack), ("wanted", &self.wanted)] {
            if !map.is_empty() {
                let mut m = Map::new();
                for (c, f) in map {
                    m.insert(c.id().into(), json!(f.value));
                    src.insert(format!("{key}.{}", c.id()), f.source.to_string());
                }
                v.insert(key.into(), Value::Object(m));
            }
        }
        (Value::Object(v), src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_profile_is_an_empty_object() {
        let (v, s) = Profile::default().contract();
        assert_eq!(v, json!({}));
        assert!(s.is_empty());
    }

    #[test]
    fn contract_form_has_plain_values_and_keyed_sources() {
        let mut p = Profile::default();
        p.teams
            .insert(TeamKind::App, Fact::new(25, Source::Message));
        p.environments = Some(Fact::new(
            vec!["dev".into(), "staging".into(), "prod".into()],
            Source::Message,
        ));
        p.accounts = Some(Fact::new(AccountModel::PerTenant, Source::Message));
        p.stack.insert(
            Category::Gitops,
            Fact::new("Flux".into(), Source::Attachment("r.yaml".into())),
        );
        p.capabilities
            .insert(Capability::ShipService, Source::Message);
        p.constraints.insert(Constraint::Pci, Source::Message);
        let (v, s) = p.contract();
        assert_eq!(
            v,
            json!({"teams": {"app": 25}, "environments": ["dev", "staging", "prod"],
                   "accounts": "per_tenant", "stack": {"gitops": "Flux"},
                   "capabilities": ["ship_service"], "constraints": ["pci"]})
        );
        assert_eq!(s["stack.gitops"], "attachment:r.yaml");
        assert_eq!(s["teams.app"], "message");
        assert!(!p.is_empty());
        assert_eq!(p.runs(Category::Gitops), Some("Flux"));
        assert!(p.has(Constraint::Pci));
    }

    #[test]
    fn ids_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_id(c.id()), Some(*c));
        }
        for c in Constraint::ALL {
            assert_eq!(Constraint::from_id(c.id()), Some(*c));
        }
        assert_eq!(Capability::from_id("nope"), None);
    }
}
