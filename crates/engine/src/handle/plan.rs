//! `plan TEXT`: always opens an engagement, in the best engagement mode for the text (or the full
//! build). Over a running engagement only its owner or an approver may start a new one.

use super::Cx;
use crate::knowledge::fill;
use crate::router::Reason;
use crate::state::{Mode, Thread};
use crate::Attachment;

impl Cx<'_> {
    pub(crate) fn plan(&mut self, text: &str, attachments: &[Attachment]) {
        if self.eng().is_some() {
            if !self.authorised() {
                self.deny("plan");
                return;
            }
            if text.is_empty() {
                self.say_ui("plan.exists");
                return;
            }
            self.st.thread = Thread::default();
        }
        if text.is_empty() && attachments.is_empty() {
            self.say_ui("input.empty");
            return;
        }
        let mut route = self.e.classify(text);
        if !route.mode.is_engagement() {
            // `plan` always opens an engagement: take the best engagement mode, or the full build.
            let best = route
                .scores
                .iter()
                .filter_map(|(m, _)| Mode::from_id(m))
                .find(|m| m.is_engagement())
                .unwrap_or(Mode::FullBuild);
            let say = fill(self.k().ui("route.plan_command"), &[("mode", best.id())]);
            route
                .fired
                .push(Reason::new(format!("command/plan→{}", best.id()), say));
            route.mode = best;
        }
        let mode = route.mode;
        self.start(mode, route, text, attachments);
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::{Mode, ThreadState};
    use crate::{Effect, Event, Step};

    fn plan(st: &ThreadState, user: &str, t: &str) -> Step {
        engine().step(
            st,
            &Event {
                user: user.into(),
                text: Some(t.into()),
                command: Some(Command::Plan),
                ..Event::default()
            },
        )
    }

    #[test]
    fn plan_opens_an_engagement_even_for_a_concept_question() {
        let s = plan(&ThreadState::default(), "bob", "what is kro?");
        let eng = s.state.engaged().expect("an engagement");
        assert!(eng.mode.is_engagement());
        assert!(eng
            .route
            .fired
            .iter()
            .any(|f| f.starts_with("command/plan→")));
        assert!(s
            .effects
            .iter()
            .any(|e| matches!(e, Effect::OpenThread { .. })));
        assert_eq!(eng.owner, "bob");
    }

    #[test]
    fn plan_over_an_engagement_needs_the_owner_and_text() {
        let st = at_phase1_gate();
        assert!(denied(&plan(&st, "mallory", "a portal please")));
        let s = plan(&st, "alice", "");
        assert_eq!(text(&s), engine().knowledge().ui("plan.exists"));
        assert_eq!(s.state, st);
        let s = plan(&st, "alice", "design our developer portal with Backstage");
        assert_eq!(s.state.engaged().map(|e| e.mode), Some(Mode::Portal));
    }
}
