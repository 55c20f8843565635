//! `status`: where the engagement stands (mode, phase, what it waits for, owner, what is missing,
//! and what was heard). Never changes state.

use super::Cx;
use crate::knowledge::fill;
use crate::render;
use crate::text::echo;

impl Cx<'_> {
    pub(crate) fn status(&mut self) {
        let Some(eng) = self.eng() else {
            self.no_engagement();
            return;
        };
        let k = self.k();
        let spec = self.e.spec(eng.mode);
        let missing: Vec<String> = self
            .e
            .missing(eng)
            .iter()
            .map(|s| render::slot_name(k, *s))
            .collect();
        let phases: Vec<String> = spec.phases.iter().map(|p| p.to_string()).collect();
        // "Phase 2 of 4: waiting for your confirmation of the tool choices".
        let topic = k.ui(&format!("status.topic.{}", eng.phase())).to_string();
        let waiting = fill(
            k.ui(&format!("status.waiting.{}", eng.awaiting().id())),
            &[("topic", &topic)],
        );
        let last = spec
            .phases
            .last()
            .copied()
            .unwrap_or(eng.phase())
            .to_string();
        let text = fill(
            k.ui("status.engagement"),
            &[
                ("title", &spec.title),
                ("mode", eng.mode.id()),
                ("phase", &eng.phase().to_string()),
                ("last", &last),
                ("waiting", &waiting),
                ("phases", &phases.join(" → ")),
                ("awaiting", eng.awaiting().id()),
                ("owner", &echo(&eng.owner)),
                (
                    "missing",
                    &if missing.is_empty() {
                        "—".to_string()
                    } else {
                        missing.join(", ")
                    },
                ),
            ],
        );
        let heard = render::heard(k, eng, &self.e.profile_views(eng));
        self.say(format!("{text}\n\n{heard}"));
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::ThreadState;

    #[test]
    fn status_outside_an_engagement_says_there_is_none() {
        let s = cmd(&ThreadState::default(), "bob", Command::Status);
        assert_eq!(text(&s), engine().knowledge().ui("status.none"));
        assert!(!s.changed);
    }

    #[test]
    fn status_shows_phase_awaiting_and_owner_and_changes_nothing() {
        let st = at_phase1_gate();
        let s = cmd(&st, "bob", Command::Status);
        let t = text(&s);
        assert!(t.contains("alice") && t.contains("confirmation"), "{t}");
        assert!(!s.changed);
        assert_eq!(s.state, st);
        // Typed as chat, too.
        assert_eq!(say(&st, "bob", "status").replies(), s.replies());
    }
}
