//! Rendering: the Markdown the bot posts for each phase, the restatements and the exported plan.
//! Every English word comes from the knowledge base; this module only arranges it.

use std::fmt::Write as _;

use super::plan::{Checklist, Plan};
use super::router::ModeSpec;
use super::state::{Engagement, Slot};
use super::text::echo;
use crate::knowledge::{fill, Knowledge};

/// The display name of a slot.
pub fn slot_name(k: &Knowledge, slot: Slot) -> String {
    k.ui(&format!("slot.{}", slot.id())).to_string()
}

/// The values of one input as the restatements show them: the labels, each run of values from the
/// same file followed once by where it came from (a chat message needs no note).
fn values(items: &[super::state::Item]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for (n, i) in items.iter().enumerate() {
        run.push(echo(&i.label));
        let last_of_run = items.get(n + 1).is_none_or(|next| next.source != i.source);
        if last_of_run {
            let joined = run.join(", ");
            out.push(match &i.source {
                super::state::Source::Message => joined,
                src => format!("{joined} _({src})_"),
            });
            run.clear();
        }
    }
    out.join(", ")
}

/// "What I heard": one line per known input, with sources.
pub fn heard(k: &Knowledge, eng: &Engagement) -> String {
    let mut s = String::new();
    for slot in Slot::ALL {
        let items = eng.items(slot);
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(s, "- **{}**: {}", slot_name(k, slot), values(items));
    }
    if s.is_empty() {
        k.ui("phase1.heard_nothing").to_string()
    } else {
        format!("{}\n{}", k.ui("phase1.heard"), s.trim_end())
    }
}

/// The grouped Phase 1 question for the missing inputs, numbered.
pub fn questions(k: &Knowledge, missing: &[Slot]) -> String {
    let mut s = String::new();
    for (i, slot) in missing.iter().enumerate() {
        let _ = writeln!(s, "{}. {}", i + 1, k.ui(&format!("ask.{}", slot.id())));
    }
    fill(
        k.ui("phase1.ask"),
        &[
            ("n", &missing.len().to_string()),
            ("questions", s.trim_end()),
        ],
    )
}

/// The Phase 1 STOP gate: consumer teams, first golden paths, existing stack, constraints (and the top
/// pain), each value with its source.
pub fn phase1_gate(k: &Knowledge, plan: &Plan, eng: &Engagement) -> String {
    let paths: Vec<String> = plan
        .paths
        .iter()
        .map(|p| {
            if p.serves.is_empty() {
                p.spec.name.clone()
            } else {
                format!("{} (for {})", p.spec.name, echo(&p.serves.join(", ")))
            }
        })
        .chain(plan.ml_paths.iter().map(|p| p.name.clone()))
        .collect();
    let list = |slot: Slot| {
        let items = eng.items(slot);
        if items.is_empty() {
            "—".to_string()
        } else {
            values(items)
        }
    };
    let body = fill(
        k.ui("gate.phase1"),
        &[
            ("teams", &list(Slot::ConsumerTeams)),
            ("paths", &paths.join("; ")),
            ("stack", &list(Slot::ExistingStack)),
            ("constraints", &list(Slot::Constraints)),
        ],
    );
    // The gate is the one restatement at this point: the top pain (what the paths answer) goes with it.
    let pain = if eng.knows(Slot::TopPain) {
        format!(
            "\n- **{}**: {}",
            slot_name(k, Slot::TopPain),
            list(Slot::TopPain)
        )
    } else {
        String::new()
    };
    format!("{body}{pain}\n\n{}", decision(k, "phase1"))
}

/// The one decision a gate needs.
pub fn decision(k: &Knowledge, which: &str) -> String {
    fill(
        k.ui("gate.decision"),
        &[("decision", k.ui(&format!("decision.{which}")))],
    )
}

/// Phase 2: golden paths and the tool stack.
pub fn phase2(k: &Knowledge, plan: &Plan, spec: &ModeSpec) -> String {
    let mut s = format!("## {}\n\n", k.ui("heading.phase2"));
    let portal_focus = spec.rows.len() <= 2;
    if !portal_focus {
        let _ = writeln!(s, "**{}**", k.ui("heading.paths"));
        for p in &plan.paths {
            let serves = if p.serves.is_empty() {
                String::new()
            } else {
                format!(" — for {}", echo(&p.serves.join(", ")))
            };
            let _ = writeln!(s, "- **{}**{serves}", p.spec.name);
            let _ = writeln!(
                s,
                "  - {}: {}",
                k.ui("label.you_provide"),
                plan.fill(&p.spec.developer_provides)
            );
            let _ = writeln!(
                s,
                "  - {}: {}",
                k.ui("label.platform_does"),
                plan.fill(&p.spec.platform_does)
            );
            if p.spec.id == "ship_safely" {
                for step in &p.spec.steps {
                    let _ = writeln!(s, "  - {}", plan.fill(step));
                }
            }
        }
        s.push('\n');
    }
    let _ = writeln!(s, "**{}**", k.ui("heading.choices"));
    for row in &spec.rows {
        if let Some(d) = plan.decision(row) {
            let why = reason(k, d);
            let _ = writeln!(
                s,
                "- **{}: {}** ({why})\n  - {}: {}\n  - {}: {}",
                d.label,
                d.tool,
                k.ui("label.tradeoff"),
                plan.fill(&d.tradeoff),
                k.ui("label.alternative"),
                plan.fill(&d.alternative)
            );
        }
    }
    if matches!(
        spec.mode,
        super::state::Mode::FullBuild | super::state::Mode::GoldenPaths
    ) {
        let _ = writeln!(s, "\n**{}**", k.ui("heading.stack"));
        for c in &plan.stack {
            let _ = writeln!(
                s,
                "- **{}: {}** — {}: {} {}: {}",
                c.layer,
                c.tool,
                k.ui("label.tradeoff"),
                plan.fill(&c.tradeoff),
                k.ui("label.alternative"),
                plan.fill(&c.alternative)
            );
        }
    }
    conflicts(k, plan, &mut s);
    s
}

fn conflicts(k: &Knowledge, plan: &Plan, s: &mut String) {
    if !plan.conflicts.is_empty() {
        let _ = writeln!(s, "\n**{}**", k.ui("heading.conflicts"));
        for c in &plan.conflicts {
            let _ = writeln!(s, "- ⚠️ {}", plan.fill(c));
        }
    }
}

/// Phase 3: topology, placement, tenant onboarding, ML paths and constraint shaping.
pub fn phase3(k: &Knowledge, plan: &Plan, spec: &ModeSpec) -> String {
    let mut s = format!("## {}\n\n", k.ui("heading.phase3"));
    let topo = plan
        .decision("topology")
        .map(|d| d.option.clone())
        .unwrap_or_default();
    if let Some(t) = k.arch.topology.get(&topo) {
        let _ = writeln!(
            s,
            "**{}: {}** — {}",
            k.ui("heading.topology"),
            plan.decision("topology")
                .map(|d| d.tool.as_str())
                .unwrap_or(""),
            plan.fill(&t.summary)
        );
        let _ = writeln!(s, "- {}: {}", k.ui("label.hub"), plan.fill(&t.hub));
        let _ = writeln!(s, "- {}: {}", k.ui("label.spokes"), plan.fill(&t.spokes));
        let _ = writeln!(s, "- {}: {}\n", k.ui("label.bridge"), plan.fill(&t.bridge));
    }
    let _ = writeln!(s, "**{}**", k.ui("heading.placement"));
    for row in [
        "developer_portal",
        "gitops_delivery",
        "progressive_delivery",
        "promotion",
        "self_service_infra",
        "application_model",
    ] {
        if let Some(d) = plan.decision(row) {
            if d.option != "no_promotion" {
                let _ = writeln!(s, "- {} ({}): {}", d.tool, d.label, plan.fill(&d.runs_on));
            }
        }
    }
    for c in plan.stack.iter().take(8) {
        let _ = writeln!(s, "- {} ({}): {}", c.tool, c.layer, plan.fill(&c.runs_on));
    }
    if let Some(t) = plan.decision("tenancy") {
        let _ = writeln!(
            s,
            "\n**{}: {}** — {}",
            k.ui("heading.tenancy"),
            t.tool,
            plan.fill(&t.detail)
        );
    }
    let _ = writeln!(s, "\n**{}**", k.ui("heading.onboarding"));
    for (i, (step, _)) in plan.onboarding.iter().enumerate() {
        let _ = writeln!(s, "{}. {}", i + 1, step);
    }
    if !plan.ml_paths.is_empty() {
        let _ = writeln!(s, "\n**{}**", k.ui("heading.ml"));
        for p in &plan.ml_paths {
            let _ = writeln!(
                s,
                "- **{}** — {}: {} {}: {}",
                p.name,
                k.ui("label.you_provide"),
                plan.fill(&p.developer_provides),
                k.ui("label.platform_does"),
                plan.fill(&p.platform_does)
            );
        }
    }
    for sh in &plan.shaping {
        let _ = writeln!(s, "\n**{}**", sh.title);
        for i in &sh.items {
            let _ = writeln!(s, "- {}", plan.fill(i));
        }
    }
    if spec.phases.last() == Some(&3) {
        conflicts(k, plan, &mut s);
    }
    s
}

/// The metrics section (Phase 4 and the measuring-success summary).
pub fn metrics(k: &Knowledge, plan: &Plan) -> String {
    let mut s = String::new();
    if let Some(d) = plan.decision("success_metrics") {
        let why = reason(k, d);
        let _ = writeln!(
            s,
            "**{}: {}** ({why}) — {}: {} {}: {}\n",
            k.ui("heading.metrics"),
            d.tool,
            k.ui("label.tradeoff"),
            plan.fill(&d.tradeoff),
            k.ui("label.alternative"),
            plan.fill(&d.alternative)
        );
    }
    let _ = writeln!(s, "**{}**", k.ui("heading.dora"));
    for m in &k.arch.dora {
        let _ = writeln!(
            s,
            "- **{}**: {} _({} {}; {} {}; {} {}; {} {})_",
            m.name,
            m.definition,
            k.ui("label.elite"),
            m.elite,
            k.ui("label.high"),
            m.high,
            k.ui("label.medium"),
            m.medium,
            k.ui("label.low"),
            m.low
        );
    }
    let _ = writeln!(s, "\n**{}**", k.ui("heading.adoption"));
    for a in &k.arch.adoption {
        let _ = writeln!(s, "- **{}**: {}", a.name, a.definition);
    }
    s
}

/// Phase 4: roadmap, first milestone, metrics, checklist.
pub fn phase4(k: &Knowledge, plan: &Plan, checklist: &Checklist) -> String {
    let mut s = format!(
        "## {}\n\n**{}**\n",
        k.ui("heading.phase4"),
        k.ui("heading.roadmap")
    );
    for (i, st) in plan.roadmap.iter().enumerate() {
        let _ = writeln!(
            s,
            "{}. **{}** ({}) — {} _{}: {}_",
            i,
            st.title,
            st.weeks,
            plan.fill(&st.text),
            k.ui("label.exit"),
            plan.fill(&st.exit)
        );
    }
    let m = &k.arch.milestone;
    let _ = writeln!(
        s,
        "\n**{}: {}** — {}\n- {}: {}\n",
        k.ui("heading.milestone"),
        m.name,
        plan.fill(&m.text),
        k.ui("label.exit"),
        plan.fill(&m.exit)
    );
    s.push_str(&metrics(k, plan));
    s.push('\n');
    s.push_str(&checklist_text(k, checklist));
    s
}

/// The checklist with its evidence.
pub fn checklist_text(k: &Knowledge, c: &Checklist) -> String {
    let mut s = fill(
        k.ui("heading.checklist"),
        &[
            ("passed", &c.passed.to_string()),
            ("total", &c.total.to_string()),
        ],
    );
    s.push('\n');
    for i in &c.items {
        let _ = writeln!(
            s,
            "- {} {} — _{}_",
            if i.passed { "✅" } else { "❌" },
            i.item,
            echo(&i.evidence)
        );
    }
    if c.reworked {
        s.push_str(k.ui("checklist.reworked"));
        s.push('\n');
    }
    s
}

/// The closing "next steps" of an engagement, from its knowledge topics, with what each topic says
/// about the constraints the team named.
pub fn next_steps(k: &Knowledge, plan: &Plan, spec: &ModeSpec, eng: &Engagement) -> String {
    let mut s = format!("**{}**\n", k.ui("heading.next_steps"));
    let facts = super::plan::Facts::of(eng, spec);
    let chosen = |o: &str| plan.decisions.iter().any(|d| d.option == o);
    let mut n = 0;
    for id in &spec.topics {
        let Some(t) = k.topics.get(id) else { continue };
        for step in t
            .next_steps
            .iter()
            .filter(|s| s.applies(chosen, |f| facts.has(f)))
        {
            let step = step.text();
            n += 1;
            let _ = writeln!(s, "{n}. {}", plan.fill(step));
        }
    }
    let keys: Vec<&str> = eng
        .items(Slot::Constraints)
        .iter()
        .map(|i| i.key.as_str())
        .collect();
    for id in &spec.topics {
        let Some(t) = k.topics.get(id) else { continue };
        for (fact, label, text) in [
            (
                "constraint:airgapped",
                "label.airgapped",
                &t.conflicts.airgapped,
            ),
            (
                "constraint:compliance",
                "label.compliance",
                &t.conflicts.compliance,
            ),
            (
                "constraint:multi_account",
                "label.multi_account",
                &t.conflicts.multi_account,
            ),
        ] {
            if keys.contains(&fact) {
                let _ = writeln!(s, "- _{} ({})_: {}", t.title, k.ui(label), plan.fill(text));
            }
        }
    }
    s.trim_end().to_string()
}

/// Why a decision was made: "default", or the Phase 1 fact that overrode it (echo-safe).
fn reason(k: &Knowledge, d: &super::plan::Decision) -> String {
    if d.reason == "default" {
        k.ui("label.default").to_string()
    } else {
        echo(&d.reason)
    }
}
