//! The reply catalogue's contract: which `replies/ui.toml` keys the code uses.
//!
//! [`USED_KEYS`] is the one list. Loading checks it both ways against the catalogue
//! ([`crate::knowledge::Knowledge`]): a listed key the catalogue lacks is a load error, and a declared
//! key not listed is reported as unused (`pavebot check` fails on it; other commands warn). The list
//! cannot rot: `tests/catalog.rs` scans every `.rs` file under `src/` and `crates/` for key uses
//! (`ui("...")`, `ui(&format!("prefix.{..}"))` families, and key-shaped string literals such as
//! `"label.airgapped"` passed on to `ui`) and asserts they are exactly this list.
//!
//! Adding a sentence: add the key to `replies/ui.toml` and here, then use it with `ui("the.key")`.

/// Every `replies/ui.toml` key the code uses, sorted. Keys built at run time (`ask.<slot>`,
/// `slot.<slot>`, `decision.phase<n>`) are listed in full; the unit tests below check the families
/// are complete.
pub const USED_KEYS: &[&str] = &[
    "ask.constraints",
    "ask.consumer_teams",
    "ask.existing_stack",
    "ask.first_capabilities",
    "ask.top_pain",
    "assumed.constraints",
    "assumed.consumer_teams",
    "assumed.existing_stack",
    "assumed.first_capabilities",
    "assumed.top_pain",
    "attachment.binary",
    "attachment.cluster",
    "attachment.multi_account",
    "attachment.read",
    "attachment.recon_broken",
    "attachment.too_big",
    "attachment.too_many",
    "attachment.unnamed",
    "audit.back",
    "audit.confirm",
    "audit.confirm_early",
    "audit.correction",
    "audit.go_on",
    "back.done",
    "back.none",
    "checklist.reworked",
    "concept.default_topics",
    "concept.nearest",
    "concept.plan_offer",
    "concept.unknown",
    "decision.phase1",
    "decision.phase2",
    "decision.phase3",
    "decision.phase4",
    "default.constraints",
    "default.consumer_teams",
    "default.existing_stack",
    "default.first_capabilities",
    "default.top_pain",
    "denied",
    "denied.back",
    "denied.confirm",
    "denied.plan",
    "denied.reset",
    "details.none",
    "discord.button_inactive",
    "discord.done",
    "discord.form_empty",
    "discord.form_inactive",
    "discord.form_title",
    "discord.gate_closed",
    "discord.reply_failed",
    "discord.skipped_big",
    "discord.skipped_binary",
    "discord.sorry",
    "discord.thread_starter",
    "export.audit",
    "export.audit_line",
    "export.done",
    "export.none",
    "export.title",
    "gate.answer_inputs_first",
    "gate.confirmed",
    "gate.decision",
    "gate.phase1",
    "gate.revise",
    "gate.stale",
    "gate.unchanged_phase",
    "gate.updated",
    "gate.waiting",
    "heading.adoption",
    "heading.checklist",
    "heading.choices",
    "heading.conflicts",
    "heading.dora",
    "heading.measure",
    "heading.metrics",
    "heading.milestone",
    "heading.ml",
    "heading.next_steps",
    "heading.onboarding",
    "heading.paths",
    "heading.phase2",
    "heading.phase3",
    "heading.phase4",
    "heading.placement",
    "heading.roadmap",
    "heading.stack",
    "heading.tenancy",
    "heading.topology",
    "help.ask",
    "help.back",
    "help.confirm",
    "help.details",
    "help.export",
    "help.plan",
    "help.reset",
    "help.revise",
    "help.status",
    "help.why",
    "input.empty",
    "input.too_long",
    "label.airgapped",
    "label.alternative",
    "label.bridge",
    "label.compliance",
    "label.elite",
    "label.exit",
    "label.high",
    "label.hub",
    "label.low",
    "label.medium",
    "label.multi_account",
    "label.platform_does",
    "label.spokes",
    "label.tradeoff",
    "label.you_provide",
    "oos.reply",
    "phase1.ask",
    "phase1.assumed",
    "phase1.heard",
    "phase1.heard_nothing",
    "phase1.took",
    "phase1.unmatched",
    "plan.exists",
    "reaction.final",
    "reaction.thanks",
    "recon.appmesh",
    "recon.argo_rollouts",
    "recon.argocd",
    "recon.argocd_managed",
    "recon.auto_mode",
    "recon.backstage",
    "recon.cdk",
    "recon.circleci",
    "recon.cloudformation",
    "recon.cluster_region",
    "recon.cluster_version",
    "recon.codepipeline",
    "recon.crossplane",
    "recon.external_secrets",
    "recon.fargate",
    "recon.flagger",
    "recon.flux",
    "recon.gatekeeper",
    "recon.github_actions",
    "recon.gitlab_ci",
    "recon.gpu_pool",
    "recon.irsa",
    "recon.irsa_mixed",
    "recon.istio",
    "recon.jenkins",
    "recon.kargo",
    "recon.karpenter",
    "recon.kyverno",
    "recon.linkerd",
    "recon.mng",
    "recon.no_modules",
    "recon.not_mapping",
    "recon.pod_identity",
    "recon.pulumi",
    "recon.terraform",
    "recon.too_big",
    "recon.too_deep",
    "reset.done",
    "reset.none",
    "revise.nothing",
    "route.chose",
    "route.clarified",
    "route.fired",
    "route.plan_command",
    "route.recon_report",
    "slot.constraints",
    "slot.consumer_teams",
    "slot.existing_stack",
    "slot.first_capabilities",
    "slot.top_pain",
    "state.unreadable",
    "status.engagement",
    "status.none",
    "status.topic.1",
    "status.topic.2",
    "status.topic.3",
    "status.topic.4",
    "status.waiting.confirmation",
    "status.waiting.inputs",
    "status.waiting.nothing",
    "status.waiting.reaction",
    "unclear.ask",
    "why.none",
    "why.trace",
];

/// Keys of `declared` that [`USED_KEYS`] lacks, i.e. that nothing uses.
pub fn unused<'a>(declared: impl IntoIterator<Item = &'a String>) -> Vec<&'a str> {
    declared
        .into_iter()
        .map(String::as_str)
        .filter(|k| USED_KEYS.binary_search(k).is_err())
        .collect()
}

/// Keys of [`USED_KEYS`] that `has` says the catalogue lacks.
pub fn missing(has: impl Fn(&str) -> bool) -> Vec<&'static str> {
    USED_KEYS.iter().copied().filter(|k| !has(k)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Slot;

    #[test]
    fn the_list_is_sorted_and_unique_so_lookups_can_binary_search() {
        assert!(USED_KEYS.windows(2).all(|w| w[0] < w[1]), "sort USED_KEYS");
    }

    #[test]
    fn run_time_key_families_are_complete() {
        for s in Slot::ALL {
            for family in ["ask", "slot", "default"] {
                let key = format!("{family}.{}", s.id());
                assert!(USED_KEYS.contains(&key.as_str()), "{key} not listed");
            }
        }
        for phase in 1..=4 {
            let key = format!("decision.phase{phase}");
            assert!(USED_KEYS.contains(&key.as_str()), "{key} not listed");
        }
    }

    #[test]
    fn the_compiled_in_catalogue_declares_every_used_key_and_no_other() {
        let k = crate::knowledge::Knowledge::embedded().expect("replies load");
        assert_eq!(missing(|key| k.ui.contains_key(key)), Vec::<&str>::new());
        assert_eq!(unused(k.ui.keys()), Vec::<&str>::new());
    }
}
