//! The steps every engagement goes through, shared by the handlers: start it, fill defaults, ask the
//! Phase 1 questions or open the Phase 1 gate, and enter a phase (render it and open its gate, or
//! await the reaction after the mode's last phase). What a mode does is read from its
//! [`ModeSpec`](crate::router::ModeSpec) (`config/routing.toml`), never special-cased here.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::inputs::diff;
use super::Cx;
use crate::extract::Change;
use crate::knowledge::fill;
use crate::plan::Plan;
use crate::render;
use crate::router::RouteTrace;
use crate::state::{Engagement, Item, Mode, Slot, Source, Stage, Thread};
use crate::text::echo;
use crate::{Attachment, Effect};

/// The slots a mode without Phase 1 fills with defaults when it starts (what the others need).
const NO_PHASE1_DEFAULTS: [Slot; 2] = [Slot::ExistingStack, Slot::Constraints];

impl Cx<'_> {
    /// Starts an engagement in `mode` with the first message (and its attachments).
    pub(crate) fn start(
        &mut self,
        mode: Mode,
        route: RouteTrace,
        text: &str,
        attachments: &[Attachment],
    ) {
        let spec = self.e.spec(mode);
        self.st.thread = Thread::Engaged(Engagement {
            mode,
            owner: self.user.clone(),
            // Where it really enters is set below (Phase 1 questions or the entry phase).
            stage: Stage::Inputs,
            inputs: BTreeMap::new(),
            asked: vec![],
            history: vec![],
            audit: vec![],
            route: route.clone(),
            profile: Default::default(),
        });
        self.changed = true;
        let (_, notes, _) = self.take_inputs(text, attachments);
        let k = self.k();
        let fired: Vec<String> = route
            .fired
            .iter()
            .filter(|f| {
                f.starts_with(mode.id())
                    || f.starts_with("phrasing")
                    || f.starts_with("request")
                    || f.contains('→')
                    || f.starts_with("attachment")
                    || f.starts_with("clarified")
            })
            .map(|f| format!("`{f}`"))
            .collect();
        let mut intro = fill(
            k.ui("route.chose"),
            &[
                ("title", &spec.title),
                ("mode", mode.id()),
                ("focus", &spec.focus),
            ],
        );
        if !fired.is_empty() {
            intro.push(' ');
            intro.push_str(&fill(k.ui("route.fired"), &[("rules", &fired.join(", "))]));
        }
        let title: String = format!(
            "{}: {}",
            spec.title,
            echo(text).chars().take(60).collect::<String>()
        );
        self.out.push(Effect::OpenThread {
            title: title.chars().take(100).collect(),
        });
        let mut first = intro;
        for n in notes {
            first.push_str("\n\n");
            first.push_str(&n);
        }
        if spec.asks_phase1() {
            self.ask_or_gate(first, &[]);
        } else {
            // Modes without Phase 1 take what the first message said and fill the rest.
            self.default_unknowns(&NO_PHASE1_DEFAULTS);
            let heard = self
                .eng()
                .map(|e| render::heard(k, e, &self.e.profile_views(e)))
                .unwrap_or_default();
            first.push_str("\n\n");
            first.push_str(&heard);
            // One reply: the mode, why, what was understood, then the phase itself (packed into
            // Discord-sized messages only where it has to be).
            self.enter(spec.entry(), Some(first));
        }
    }

    /// Fills unknown inputs with an explicit default so the plan can say what it assumed.
    pub(crate) fn default_unknowns(&mut self, slots: &[Slot]) {
        let k = self.k();
        let Some(eng) = self.eng_mut() else {
            return;
        };
        for slot in slots {
            if eng.knows(*slot) {
                continue;
            }
            let key = match slot {
                Slot::ExistingStack => "stack:none",
                Slot::Constraints => "constraint:none",
                Slot::TopPain => "pain:other",
                Slot::ConsumerTeams => "consumers:text",
                Slot::FirstCapabilities => "cap:ship_service",
            };
            eng.inputs.insert(
                *slot,
                vec![Item {
                    key: key.to_string(),
                    label: k.ui(&format!("default.{}", slot.id())).to_string(),
                    source: Source::Default,
                }],
            );
        }
    }

    /// "Just go ahead" during Phase 1: what the message says is taken, every input still missing
    /// becomes an assumption stated at the gate (`assumed.<input>`), and the Phase 1 gate opens.
    /// Only the owner or an approver may.
    pub(crate) fn go_on(&mut self, text: &str, attachments: &[Attachment]) {
        if self.eng().is_none() {
            self.no_engagement();
            return;
        }
        if !self.authorised() {
            self.deny("confirm");
            return;
        }
        let (changes, notes, _) = self.take_inputs(text, attachments);
        let k = self.k();
        let missing = self.eng().map(|e| self.e.missing(e)).unwrap_or_default();
        let mut lines = Vec::new();
        if let Some(eng) = self.eng_mut() {
            for slot in &missing {
                let key = match slot {
                    Slot::ExistingStack => "stack:none",
                    Slot::Constraints => "constraint:none",
                    Slot::TopPain => "pain:other",
                    Slot::ConsumerTeams => "consumers:text",
                    Slot::FirstCapabilities => "cap:ship_service",
                };
                let label = k.ui(&format!("assumed.{}", slot.id())).to_string();
                lines.push(format!("- {}: {}", render::slot_name(k, *slot), label));
                eng.inputs.insert(
                    *slot,
                    vec![Item {
                        key: key.to_string(),
                        label,
                        source: Source::Default,
                    }],
                );
            }
        }
        self.changed = true;
        if !missing.is_empty() {
            let ids: Vec<&str> = missing.iter().map(|s| s.id()).collect();
            let action = fill(k.ui("audit.go_on"), &[("slots", &ids.join(", "))]);
            self.audit(action);
        }
        let mut msg = notes;
        if !lines.is_empty() {
            msg.push(fill(
                k.ui("phase1.assumed"),
                &[("assumed", &lines.join("\n"))],
            ));
        }
        let prefix = msg.join("\n\n");
        self.ask_or_gate(prefix, &changes);
    }

    /// Phase 1: ask all missing inputs in one message, or restate and open the gate.
    pub(crate) fn ask_or_gate(&mut self, prefix: String, changes: &[Change]) {
        let k = self.k();
        let Some(eng) = self.eng() else {
            return;
        };
        let missing = self.e.missing(eng);
        let mut msg = prefix;
        if !changes.is_empty() {
            msg.push_str("\n\n");
            msg.push_str(&diff(k, changes));
        }
        if !msg.is_empty() {
            msg.push_str("\n\n");
        }
        if !missing.is_empty() {
            // At the gate the restatement below says it all; before it, say what is known so far.
            msg.push_str(&render::heard(k, eng, &self.e.profile_views(eng)));
        }
        if missing.is_empty() {
            let spec = self.e.spec(eng.mode);
            // Slots a scoped mode does not ask stay as the user gave them; defaults fill the rest
            // (the engagement is copied only when there is such a slot to take out).
            let drop: Vec<Slot> = Slot::ALL
                .into_iter()
                .filter(|s| !spec.inputs.contains(s) && !eng.knows(*s))
                .filter(|s| eng.inputs.contains_key(s))
                .collect();
            let plan_eng = if drop.is_empty() {
                Cow::Borrowed(eng)
            } else {
                let mut copy = eng.clone();
                for s in &drop {
                    copy.inputs.remove(s);
                }
                Cow::Owned(copy)
            };
            // The gate shows only the paths and the conflicts: not the whole plan.
            let plan = Plan::gate(k, &plan_eng, spec);
            msg.push_str(&render::phase1_gate(
                k,
                &plan,
                eng,
                &self.e.profile_views(eng),
            ));
            self.say(msg);
            self.out.push(Effect::GateButtons { phase: 1 });
            if let Some(eng) = self.eng_mut() {
                eng.stage = Stage::Gate { phase: 1 };
                eng.asked.clear();
            }
        } else {
            msg.push_str("\n\n");
            msg.push_str(&render::questions(k, &missing));
            self.say(msg);
            self.out.push(Effect::FormButton {
                missing: missing.clone(),
            });
            if let Some(eng) = self.eng_mut() {
                eng.stage = Stage::Inputs;
                eng.asked = missing;
            }
        }
    }

    /// Renders a phase and opens its gate (or awaits the reaction after the mode's last phase).
    pub(crate) fn enter(&mut self, phase: u8, note: Option<String>) {
        if phase == 1 {
            // Phase 1 has no rendering of its own: its questions or its gate.
            self.ask_or_gate(note.map(|n| format!("{n}\n\n")).unwrap_or_default(), &[]);
            return;
        }
        let (k, e) = (self.k(), self.e);
        let Some(eng) = self.eng_mut() else {
            return;
        };
        let spec = e.spec(eng.mode);
        let last = spec.last() == phase;
        eng.stage = if last {
            Stage::Reaction { phase }
        } else {
            Stage::Gate { phase }
        };
        let eng = eng.clone();
        let mut plan = Plan::build(k, &eng, spec);
        let mut text = note.map(|n| format!("{n}\n\n")).unwrap_or_default();
        match phase {
            2 => text.push_str(&render::phase2(k, &plan, spec)),
            3 => text.push_str(&render::phase3(k, &plan, spec)),
            _ => {
                if spec.checklist {
                    let c = plan.grade(k, &eng);
                    text.push_str(&render::phase4(k, &plan, &c));
                } else {
                    text.push_str(&format!("## {}\n\n", k.ui("heading.measure")));
                    text.push_str(&render::metrics(k, &plan));
                }
            }
        }
        text.push_str("\n\n");
        if last {
            text.push_str(&render::next_steps(k, &plan, spec, &eng));
            text.push_str("\n\n");
            text.push_str(k.ui("reaction.final"));
        } else {
            text.push_str(&render::decision(k, &format!("phase{phase}")));
        }
        self.say(text);
        if !last {
            self.out.push(Effect::GateButtons { phase });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::state::{Mode, Source, Stage, ThreadState};
    use crate::Effect;

    #[test]
    fn a_mode_without_phase1_enters_at_its_entry_phase_with_defaults() {
        let s = say(
            &ThreadState::default(),
            "alice",
            "Set up GitOps with progressive delivery and promotion across dev, staging and prod",
        );
        let eng = s.state.engaged().expect("engaged");
        assert_eq!(eng.mode, Mode::Delivery);
        assert_eq!(eng.stage, Stage::Gate { phase: 2 });
        assert!(eng
            .items(crate::state::Slot::Constraints)
            .iter()
            .all(|i| i.source == Source::Default || i.source == Source::Message));
        assert!(s.effects.contains(&Effect::GateButtons { phase: 2 }));
    }

    #[test]
    fn a_mode_whose_last_phase_is_its_entry_awaits_the_reaction() {
        let s = engine().step(
            &ThreadState::default(),
            &crate::Event {
                user: "alice".into(),
                text: Some("measure our platform's success with DORA metrics and adoption".into()),
                command: Some(crate::input::Command::Plan),
                ..crate::Event::default()
            },
        );
        let eng = s.state.engaged().expect("engaged");
        assert_eq!(eng.mode, Mode::Measure, "{:?}", eng.route);
        assert_eq!(eng.stage, Stage::Reaction { phase: 4 });
        assert!(!s
            .effects
            .iter()
            .any(|e| matches!(e, Effect::GateButtons { .. })));
    }

    #[test]
    fn phase1_asks_what_is_missing_with_a_form_button() {
        let st = in_phase1();
        let eng = st.engaged().expect("engaged");
        assert_eq!(eng.stage, Stage::Inputs);
        assert!(!eng.asked.is_empty());
    }
}
