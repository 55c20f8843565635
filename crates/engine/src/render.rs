//! Rendering: the Markdown the bot posts for each phase, the restatements and the exported plan.
//! Every English word comes from the knowledge base; this module only arranges it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::plan::{Checklist, Decision, GateView, Plan};
use super::router::ModeSpec;
use super::state::{Engagement, Slot};
use super::text::{echo, pack, DISCORD_LIMIT};
use super::InputView;
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
pub fn heard(k: &Knowledge, eng: &Engagement, profile: &BTreeMap<Slot, InputView>) -> String {
    let mut s = String::new();
    for slot in Slot::ALL {
        // The input as a view of the typed profile; what else was recognised only where the
        // profile does not answer it.
        if let Some(v) = profile.get(&slot) {
            let value = match &v.source {
                super::state::Source::Message => echo(&v.value),
                src => format!("{} _({src})_", echo(&v.value)),
            };
            let _ = writeln!(s, "- **{}**: {value}", slot_name(k, slot));
            continue;
        }
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
pub fn phase1_gate(
    k: &Knowledge,
    plan: &GateView,
    eng: &Engagement,
    views: &BTreeMap<Slot, InputView>,
) -> String {
    let paths: Vec<String> = plan
        .paths
        .iter()
        .map(|(name, serves)| {
            if serves.is_empty() {
                name.clone()
            } else {
                format!("{name} (for {})", echo(&serves.join(", ")))
            }
        })
        .chain(plan.ml_paths.iter().cloned())
        .collect();
    // Each input as a view of the typed profile, else what else was recognised.
    let list = |slot: Slot| {
        if let Some(v) = views.get(&slot) {
            return match &v.source {
                super::state::Source::Message => echo(&v.value),
                src => format!("{} _({src})_", echo(&v.value)),
            };
        }
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
    let pain = if eng.knows(Slot::TopPain) || views.contains_key(&Slot::TopPain) {
        format!(
            "\n- **{}**: {}",
            slot_name(k, Slot::TopPain),
            list(Slot::TopPain)
        )
    } else {
        String::new()
    };
    // A choice that already clashes with a constraint is named here, with what would resolve it.
    let clash = conflict_lines(k, &plan.conflicts);
    let clash = if clash.is_empty() {
        String::new()
    } else {
        format!("\n\n{}", clash.trim_end())
    };
    format!("{body}{pain}{clash}\n\n{}", decision(k, "phase1"))
}

/// The one decision a gate needs.
pub fn decision(k: &Knowledge, which: &str) -> String {
    fill(
        k.ui("gate.decision"),
        &[("decision", k.ui(&format!("decision.{which}")))],
    )
}

/// A plan word (replies/architecture.toml `[words]`), filled.
fn w(k: &Knowledge, key: &str, vars: &[(&str, &str)]) -> String {
    fill(
        k.arch.words.get(key).map(String::as_str).unwrap_or(key),
        vars,
    )
}

/// Why a row holds its tool, in a phrase: kept, replaced, overridden by a fact, or the default.
fn why(k: &Knowledge, d: &Decision, teams: &str) -> String {
    if d.kept {
        w(k, "line.kept", &[])
    } else if d.replaced {
        w(k, "line.replaced", &[])
    } else if d.reason == "default" {
        w(k, "line.default", &[("teams", teams)])
    } else {
        w(k, "line.override", &[("fact", &echo(&d.because))])
    }
}

/// One line per Defaults row: tool, why, the trade-off in a phrase, the alternative in a phrase.
fn row_line(k: &Knowledge, plan: &Plan, d: &Decision) -> String {
    let o = k.option(&d.option);
    w(
        k,
        "line.row",
        &[
            ("label", &d.label),
            ("tool", &d.tool),
            ("why", &why(k, d, &plan.var("teams"))),
            ("brief", o.map(|o| o.brief.as_str()).unwrap_or_default()),
            ("alt_label", k.ui("label.alternative")),
            ("instead", o.map(|o| o.instead.as_str()).unwrap_or_default()),
        ],
    )
}

fn conflicts_block(k: &Knowledge, plan: &Plan) -> String {
    let filled: Vec<String> = plan.conflicts.iter().map(|c| plan.fill(c)).collect();
    conflict_lines(k, &filled)
}

/// The conflicts block from conflict lines already filled in (empty when there are none).
fn conflict_lines(k: &Knowledge, conflicts: &[String]) -> String {
    if conflicts.is_empty() {
        return String::new();
    }
    let mut s = format!("**{}**\n", k.ui("heading.conflicts"));
    for c in conflicts {
        let _ = writeln!(s, "{}", w(k, "line.conflict", &[("text", c)]));
    }
    s.push('\n');
    s
}

fn support_line(k: &Knowledge, plan: &Plan) -> String {
    let items: Vec<String> = plan
        .support
        .iter()
        .map(|d| {
            if d.kept || d.replaced {
                format!(
                    "{}: {} ({})",
                    d.label,
                    d.tool,
                    why(k, d, &plan.var("teams"))
                )
            } else {
                format!("{}: {}", d.label, d.tool)
            }
        })
        .collect();
    w(
        k,
        "line.support",
        &[
            ("items", &items.join(" · ")),
            ("environments", &plan.var("environments")),
        ],
    )
}

fn full_scope(spec: &ModeSpec) -> bool {
    matches!(
        spec.mode,
        super::state::Mode::FullBuild | super::state::Mode::GoldenPaths
    )
}

/// Phase 2: conflicts first, the golden paths in scope, then one line per Defaults row (and one line
/// for the supporting components). Fits in two Discord messages; the full detail is [`details`].
pub fn phase2(k: &Knowledge, plan: &Plan, spec: &ModeSpec) -> String {
    let mut s = format!("## {}\n\n", k.ui("heading.phase2"));
    s.push_str(&conflicts_block(k, plan));
    let portal_focus = spec.rows.len() <= 2;
    if !portal_focus {
        let _ = writeln!(s, "**{}**", k.ui("heading.paths"));
        for p in &plan.paths {
            let line = if p.serves.is_empty() {
                w(k, "line.path_default", &[("name", &p.spec.name)])
            } else {
                w(
                    k,
                    "line.path",
                    &[
                        ("name", &p.spec.name),
                        ("serves", &echo(&p.serves.join(", "))),
                    ],
                )
            };
            let _ = writeln!(s, "{line}");
        }
        for p in &plan.ml_paths {
            let _ = writeln!(s, "{}", w(k, "line.path_default", &[("name", &p.name)]));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "**{}**", k.ui("heading.choices"));
    for row in &spec.rows {
        if let Some(d) = plan.decision(row) {
            let _ = writeln!(s, "{}", row_line(k, plan, d));
        }
    }
    if spec.rows.iter().any(|r| r == "developer_portal") {
        let _ = writeln!(
            s,
            "\n{}",
            w(
                k,
                "line.staffing",
                &[("staff", &plan.staffing), ("teams", &plan.var("teams"))],
            )
        );
    }
    if full_scope(spec) {
        let _ = writeln!(s, "\n{}", support_line(k, plan));
    }
    let _ = writeln!(s, "\n{}", w(k, "details.more", &[]));
    s
}

/// The rows whose tool changed between two plans, one line each (a correction posts only these).
pub fn changed_rows(k: &Knowledge, before: &Plan, after: &Plan, spec: &ModeSpec) -> String {
    let mut lines = Vec::new();
    for d in after.decisions.iter().chain(&after.support) {
        let shown = spec.rows.contains(&d.row) || after.support.iter().any(|x| x.row == d.row);
        let was = before.decision(&d.row).map(|b| b.option.as_str());
        if shown && was != Some(d.option.as_str()) {
            lines.push(row_line(k, after, d));
        }
    }
    let gone: Vec<&String> = before
        .conflicts
        .iter()
        .filter(|c| !after.conflicts.contains(c))
        .collect();
    let new: Vec<&String> = after
        .conflicts
        .iter()
        .filter(|c| !before.conflicts.contains(c))
        .collect();
    if lines.is_empty() && gone.is_empty() && new.is_empty() {
        return String::new();
    }
    let mut s = format!("**{}**\n", w(k, "heading.changed", &[]));
    for c in new {
        let _ = writeln!(s, "{}", w(k, "line.conflict", &[("text", c)]));
    }
    for l in lines {
        let _ = writeln!(s, "{l}");
    }
    s
}

/// What a correction posts at a gate or at the final reaction of Phase 2, 3 or 4: the phase heading,
/// then only what changed in it. Phase 2: the conflicts that appeared and the rows whose tool changed.
/// Phase 3: those rows, then the Phase 3 lines that changed (topology, placement, tenancy, wiring,
/// promotion, onboarding, shaping), each under its section heading. Phase 4: the roadmap stages,
/// milestone, metrics lines and checklist items that changed. At the final reaction (`last`) the
/// closing next steps are compared too. When nothing the phase shows changed, one line says so. The
/// caller adds the gate's decision line (or the reaction's closing line). Empty for Phase 1.
pub fn correction(
    k: &Knowledge,
    before: &Engagement,
    after: &Engagement,
    spec: &ModeSpec,
    phase: u8,
    last: bool,
) -> String {
    if !(2..=4).contains(&phase) {
        return String::new();
    }
    let mut b = Plan::build(k, before, spec);
    let mut a = Plan::build(k, after, spec);
    let more = w(k, "details.more", &[]);
    let (heading, body) = match phase {
        2 => {
            let changed = changed_rows(k, &b, &a, spec);
            let body = if changed.is_empty() {
                w(k, "changed.none", &[])
            } else {
                changed.trim_end().to_string()
            };
            (k.ui("heading.phase2"), body)
        }
        _ => {
            let (old, new, heading) = if phase == 3 {
                (
                    phase3(k, &b, spec),
                    phase3(k, &a, spec),
                    k.ui("heading.phase3"),
                )
            } else if spec.checklist {
                let (cb, ca) = (b.grade(k, before), a.grade(k, after));
                (
                    phase4(k, &b, &cb),
                    phase4(k, &a, &ca),
                    k.ui("heading.phase4"),
                )
            } else {
                (metrics(k, &b), metrics(k, &a), k.ui("heading.measure"))
            };
            // The pointer to `details` closes the message once; it is no change.
            let (old, new) = (old.replace(&more, ""), new.replace(&more, ""));
            let (old, new) = if last {
                (
                    format!("{old}\n{}", next_steps(k, &b, spec, before)),
                    format!("{new}\n{}", next_steps(k, &a, spec, after)),
                )
            } else {
                (old, new)
            };
            let mut parts = Vec::new();
            // At Phase 3 a changed tool is a changed row, as at Phase 2.
            if phase == 3 {
                let rows = changed_rows(k, &b, &a, spec);
                if !rows.is_empty() {
                    parts.push(rows.trim_end().to_string());
                }
            }
            let lines = changed_lines(&old, &new);
            if !lines.is_empty() {
                parts.push(lines);
            }
            let body = if parts.is_empty() {
                fill(
                    k.ui("gate.unchanged_phase"),
                    &[("phase", &phase.to_string())],
                )
            } else {
                parts.join("\n\n")
            };
            (heading, body)
        }
    };
    format!("## {heading}\n\n{body}\n\n{more}")
}

/// One section of a rendered phase: its heading line (a line that starts in bold) and the lines
/// under it, until the next heading.
struct Section<'a> {
    heading: &'a str,
    lines: Vec<&'a str>,
}

fn sections(text: &str) -> Vec<Section<'_>> {
    let mut out = vec![Section {
        heading: "",
        lines: vec![],
    }];
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("**") {
            out.push(Section {
                heading: line,
                lines: vec![],
            });
        } else if let Some(s) = out.last_mut() {
            s.lines.push(line);
        }
    }
    out
}

/// What a heading is called, without what follows its bold part ("**Topology: Hub-and-spoke** —
/// ..." is "Topology: Hub-and-spoke"; "**Tenancy: ...**" keeps its tool so a new tool is new).
fn section_key(heading: &str) -> &str {
    let inner = heading.strip_prefix("**").unwrap_or(heading);
    match inner.find("**") {
        Some(i) => {
            let key = &inner[..i];
            // "Topology: Hub-and-spoke" and "Success metrics: DORA" are one section whatever the tool.
            key.split(':').next().unwrap_or(key)
        }
        None => inner,
    }
}

/// A line as compared: without its list number, so a step that moved is not a change by itself.
fn line_key(line: &str) -> &str {
    let t = line.trim_start();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        if let Some(rest) = t[digits..].strip_prefix(". ") {
            return rest;
        }
    }
    t
}

/// Which item a line is, whatever its text says now: a numbered step or stage by its number, a
/// bullet by the part before its first " — " or ": " (without a checklist mark).
fn line_id(line: &str) -> &str {
    let n = line.trim_start();
    let digits = n.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && n[digits..].starts_with(". ") {
        return &n[..digits];
    }
    let t = line_key(line);
    let t = t.strip_prefix("- ").unwrap_or(t);
    let t = t
        .strip_prefix("✅ ")
        .or_else(|| t.strip_prefix("❌ "))
        .unwrap_or(t);
    let cut = [" — ", ": "]
        .iter()
        .filter_map(|sep| t.find(sep))
        .min()
        .unwrap_or(t.len());
    &t[..cut]
}

/// The lines of `after` that `before` does not have, each under its section heading, and the lines
/// `before` had that are gone, struck through. Headings whose own line changed show as changed.
pub fn changed_lines(before: &str, after: &str) -> String {
    let old = sections(before);
    let new = sections(after);
    let mut used = vec![false; old.len()];
    let mut blocks: Vec<String> = Vec::new();
    for s in &new {
        let matched = old
            .iter()
            .enumerate()
            .find(|(i, o)| !used[*i] && section_key(o.heading) == section_key(s.heading))
            .map(|(i, o)| {
                used[i] = true;
                o
            });
        let (heading_changed, added, gone) = match matched {
            Some(o) => (
                o.heading != s.heading,
                s.lines
                    .iter()
                    .filter(|l| !o.lines.iter().any(|x| line_key(x) == line_key(l)))
                    .copied()
                    .collect::<Vec<_>>(),
                o.lines
                    .iter()
                    .filter(|l| !s.lines.iter().any(|x| line_key(x) == line_key(l)))
                    .copied()
                    .collect::<Vec<_>>(),
            ),
            None => (true, s.lines.clone(), vec![]),
        };
        if !heading_changed && added.is_empty() && gone.is_empty() {
            continue;
        }
        let mut b: Vec<String> = Vec::new();
        if !s.heading.is_empty() {
            b.push(s.heading.to_string());
        }
        b.extend(added.iter().map(|l| l.to_string()));
        // A line replaced by a new version of itself (same item, new text) shows only the new one.
        b.extend(
            gone.iter()
                .filter(|g| !added.iter().any(|l| line_id(l) == line_id(g)))
                .map(|l| strike(l)),
        );
        blocks.push(b.join("\n"));
    }
    for (i, o) in old.iter().enumerate() {
        if !used[i] && !o.heading.is_empty() {
            blocks.push(strike(o.heading));
        }
    }
    blocks.join("\n\n")
}

/// A line struck through, its list marker kept outside the strike.
fn strike(line: &str) -> String {
    let t = line.trim_start();
    let indent = &line[..line.len() - t.len()];
    let marker = if t.starts_with("- ") {
        "- "
    } else {
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && t[digits..].starts_with(". ") {
            &t[..digits + 2]
        } else {
            ""
        }
    };
    format!("{indent}{marker}~~{}~~", &t[marker.len()..])
}

/// The body of Phase 3 (without the heading): topology, placement, tenancy, account wiring,
/// promotion, onboarding, ML paths and constraint shaping.
pub fn phase3_body(k: &Knowledge, plan: &Plan) -> String {
    let mut s = String::new();
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
        let _ = writeln!(s, "- {}: {}\n", k.ui("label.spokes"), plan.fill(&t.spokes));
    }
    // Placement, grouped by where things run: one line per place.
    let mut places: Vec<(String, Vec<String>)> = Vec::new();
    for row in [
        "developer_portal",
        "gitops_delivery",
        "progressive_delivery",
        "promotion",
        "self_service_infra",
        "application_model",
        "compute",
        "registry",
        "ci",
    ] {
        if let Some(d) = plan.decision(row) {
            if d.option != "no_promotion" {
                let at = plan.fill(&d.runs_on);
                match places.iter_mut().find(|(p, _)| *p == at) {
                    Some((_, tools)) => tools.push(d.tool.clone()),
                    None => places.push((at, vec![d.tool.clone()])),
                }
            }
        }
    }
    let _ = writeln!(s, "**{}**", k.ui("heading.placement"));
    for (at, tools) in places {
        let _ = writeln!(s, "- {}: {at}", tools.join(", "));
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
    let _ = writeln!(s, "\n**{}**", w(k, "heading.wiring", &[]));
    for l in &plan.wiring {
        let _ = writeln!(s, "- {l}");
    }
    let _ = writeln!(
        s,
        "\n**{}** {}",
        w(k, "heading.promotion", &[]),
        plan.promotion
    );
    let _ = writeln!(s, "\n**{}**", k.ui("heading.onboarding"));
    for (i, (step, _)) in plan.onboarding.iter().enumerate() {
        let _ = writeln!(s, "{}. {}", i + 1, step);
    }
    if !plan.ml_paths.is_empty() {
        let names: Vec<&str> = plan.ml_paths.iter().map(|p| p.name.as_str()).collect();
        let _ = writeln!(s, "\n**{}:** {}", k.ui("heading.ml"), names.join(" · "));
    }
    s
}

fn shaping_text(plan: &Plan) -> String {
    let mut s = String::new();
    for sh in &plan.shaping {
        let _ = writeln!(s, "\n**{}**", sh.title);
        for i in &sh.items {
            let _ = writeln!(s, "- {}", plan.fill(i));
        }
    }
    s
}

/// Phase 3: topology, placement, tenancy, account wiring, promotion, onboarding, ML paths and
/// constraint shaping. Fits in three Discord messages: shaping moves to [`details`] when it would not.
pub fn phase3(k: &Knowledge, plan: &Plan, spec: &ModeSpec) -> String {
    let mut s = format!("## {}\n\n", k.ui("heading.phase3"));
    if spec.phases.last() == Some(&3) {
        s.push_str(&conflicts_block(k, plan));
    }
    s.push_str(&phase3_body(k, plan));
    let shaping = shaping_text(plan);
    let room = 3 * DISCORD_LIMIT - 700;
    let more = w(k, "details.more", &[]);
    if fits(&format!("{s}{shaping}\n\n{more}"), 3, room) {
        s.push_str(&shaping);
    } else {
        for sh in &plan.shaping {
            if let Some(first) = sh.items.first() {
                let _ = writeln!(s, "\n**{}**\n- {}", sh.title, plan.fill(first));
            }
        }
    }
    let _ = writeln!(s, "\n{more}");
    s
}

/// True when `text` packs into at most `n` messages and stays under `room` characters.
fn fits(text: &str, n: usize, room: usize) -> bool {
    text.chars().count() <= room && pack(text, DISCORD_LIMIT).len() <= n
}

/// The metrics section (the measuring-success summary): every DORA metric with its tiers and every
/// adoption signal.
pub fn metrics(k: &Knowledge, plan: &Plan) -> String {
    let mut s = String::new();
    if let Some(d) = plan.decision("success_metrics") {
        let why = why(k, d, &plan.var("teams"));
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

/// The roadmap and first milestone, sized for the team.
pub fn roadmap_text(k: &Knowledge, plan: &Plan) -> String {
    let mut s = format!("**{}**\n", k.ui("heading.roadmap"));
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
    let m = &plan.milestone;
    let _ = writeln!(
        s,
        "\n**{}: {}** — {}\n- {}: {}",
        k.ui("heading.milestone"),
        m.name,
        plan.fill(&m.text),
        k.ui("label.exit"),
        plan.fill(&m.exit)
    );
    s
}

/// Phase 4: roadmap, first milestone, metrics (names; the tiers are in [`details`]), checklist.
pub fn phase4(k: &Knowledge, plan: &Plan, checklist: &Checklist) -> String {
    let mut s = format!("## {}\n\n", k.ui("heading.phase4"));
    s.push_str(&roadmap_text(k, plan));
    s.push('\n');
    let dora: Vec<&str> = k.arch.dora.iter().map(|m| m.name.as_str()).collect();
    let adoption: Vec<&str> = k.arch.adoption.iter().map(|m| m.name.as_str()).collect();
    let _ = writeln!(
        s,
        "- **{}**: {}\n- **{}**: {}\n",
        k.ui("heading.dora"),
        dora.join(" · "),
        k.ui("heading.adoption"),
        adoption.join(" · ")
    );
    s.push_str(&checklist_text(k, checklist));
    s
}

/// The full detail of a plan, for the `details` command and the export: every Defaults and
/// supporting row with its whole trade-off, alternative, placement and how it is used; every golden
/// path step by step; the rest of the stack; the constraint shaping; DORA tiers.
pub fn details(k: &Knowledge, plan: &Plan, spec: &ModeSpec) -> String {
    let mut s = format!("## {}\n\n", w(k, "heading.details", &[]));
    s.push_str(&conflicts_block(k, plan));
    let _ = writeln!(s, "**{}**", k.ui("heading.choices"));
    let rows: Vec<&Decision> = spec
        .rows
        .iter()
        .filter_map(|r| plan.decisions.iter().find(|d| d.row == *r))
        .chain(if full_scope(spec) {
            plan.support.iter().collect::<Vec<_>>()
        } else {
            vec![]
        })
        .collect();
    for d in rows {
        let _ = writeln!(
            s,
            "- **{}: {}** ({}) — {} {}: {} {}: {}",
            d.label,
            d.tool,
            why(k, d, &plan.var("teams")),
            plan.fill(&d.detail),
            k.ui("label.tradeoff"),
            plan.fill(&d.tradeoff),
            k.ui("label.alternative"),
            plan.fill(&d.alternative)
        );
    }
    if spec.rows.iter().any(|r| r == "developer_portal") {
        let _ = writeln!(
            s,
            "\n{}",
            w(
                k,
                "line.staffing",
                &[("staff", &plan.staffing), ("teams", &plan.var("teams"))],
            )
        );
    }
    if !spec.rows.len() <= 2 || spec.rows.len() > 2 {
        let _ = writeln!(s, "\n**{}**", k.ui("heading.paths"));
        for p in &plan.paths {
            let _ = writeln!(
                s,
                "- **{}** — {}: {} {}: {}",
                p.spec.name,
                k.ui("label.you_provide"),
                plan.fill(&p.spec.developer_provides),
                k.ui("label.platform_does"),
                plan.fill(&p.spec.platform_does)
            );
            for (i, step) in p.spec.steps.iter().enumerate() {
                let _ = writeln!(s, "  {}. {}", i + 1, plan.fill(step));
            }
        }
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
            for (i, step) in p.steps.iter().enumerate() {
                let _ = writeln!(s, "  {}. {}", i + 1, plan.fill(step));
            }
        }
    }
    if full_scope(spec) {
        let _ = writeln!(s, "\n**{}**", k.ui("heading.stack"));
        for c in &plan.stack {
            let _ = writeln!(
                s,
                "- **{}: {}** ({}) — {}: {} {}: {}",
                c.layer,
                c.tool,
                plan.fill(&c.runs_on),
                k.ui("label.tradeoff"),
                plan.fill(&c.tradeoff),
                k.ui("label.alternative"),
                plan.fill(&c.alternative)
            );
        }
    }
    if let Some(t) = plan
        .decision("topology")
        .and_then(|d| k.arch.topology.get(&d.option))
    {
        let _ = writeln!(
            s,
            "\n**{}**: {}",
            k.ui("label.bridge"),
            plan.fill(&t.bridge)
        );
    }
    s.push_str(&shaping_text(plan));
    s.push('\n');
    s.push_str(&metrics(k, plan));
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

/// At most this many next steps close an engagement (the rest of the detail is in `details`).
const NEXT_STEPS: usize = 2;

/// The closing "next steps" of an engagement, from its knowledge topics, with what each topic says
/// about the constraints the team named. The facts are the plan's own (`_eng` is the engagement the
/// plan was built from; it is kept in the signature for its callers).
pub fn next_steps(k: &Knowledge, plan: &Plan, spec: &ModeSpec, _eng: &Engagement) -> String {
    let mut s = format!("**{}**\n", k.ui("heading.next_steps"));
    let facts = &plan.facts;
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
            if n == NEXT_STEPS {
                break;
            }
            n += 1;
            let _ = writeln!(s, "{n}. {}", plan.fill(step));
        }
    }
    // A mode with Phase 3 already shaped the plan for its constraints there.
    let keys: Vec<&str> = if spec.phases.contains(&3) {
        Vec::new()
    } else {
        facts.0.keys().map(String::as_str).collect()
    };
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
