//! `details`: the full detail of the plan so far (every Defaults and supporting row with its whole
//! trade-off and alternative, every golden path step by step, the rest of the stack, the constraint
//! shaping, the DORA tiers), the part the phase messages leave out. Never changes state.

use super::Cx;
use crate::plan::Plan;
use crate::render;

impl Cx<'_> {
    pub(crate) fn details(&mut self) {
        let Some(eng) = self.eng() else {
            self.no_engagement();
            return;
        };
        // Phase 1 decides nothing yet: the plan exists from the mode's first planning phase on.
        if eng.phase() < 2 {
            self.say_ui("details.none");
            return;
        }
        let k = self.k();
        let spec = self.e.spec(eng.mode);
        let plan = Plan::build(k, eng, spec);
        let text = render::details(k, &plan, spec);
        self.say(text);
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::ThreadState;
    use crate::text::DISCORD_LIMIT;

    #[test]
    fn details_without_an_engagement_says_so() {
        let s = cmd(&ThreadState::default(), "bob", Command::Details);
        assert_eq!(text(&s), engine().knowledge().ui("status.none"));
        assert!(!s.changed);
    }

    #[test]
    fn details_before_a_plan_exists_says_so_briefly() {
        let st = at_phase1_gate();
        let s = cmd(&st, "bob", Command::Details);
        assert_eq!(text(&s), engine().knowledge().ui("details.none"));
        assert!(!s.changed);
        assert_eq!(s.state, st);
    }

    #[test]
    fn details_posts_every_row_and_path_step_in_discord_sized_messages_and_changes_nothing() {
        let st = cmd(&at_phase1_gate(), "alice", Command::Confirm).state;
        assert_eq!(st.open_gate(), Some(2));
        let s = cmd(&st, "bob", Command::Details);
        assert!(!s.changed);
        assert_eq!(s.state, st);
        let replies = s.replies();
        let k = engine().knowledge();
        let eng = st.engaged().expect("engaged");
        let spec = engine().spec(eng.mode);
        let whole = crate::render::details(k, &crate::plan::Plan::build(k, eng, spec), spec);
        // The export carries the same detail section.
        let doc = engine().document(&st).expect("a plan");
        assert!(doc.contains(whole.trim_end()), "{doc}");
        assert!(replies.len() >= 2, "the detail is long: {}", replies.len());
        assert!(whole.contains(k.ui("label.tradeoff")), "{whole}");
        assert!(whole.contains("\n  1. "), "path steps are listed: {whole}");
        for r in &replies {
            assert!(r.chars().count() <= DISCORD_LIMIT, "{}", r.len());
        }
        // No bullet (or numbered step) is cut across two messages: every line of the detail is whole
        // in one message, and together the messages say all of it.
        for line in whole.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                replies.iter().any(|r| r.lines().any(|l| l == line)),
                "a line was split: {line}"
            );
        }
        let said: usize = replies.iter().map(|r| r.lines().count()).sum();
        let lines = whole.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(said >= lines, "{said} < {lines}");
        // Typed as chat, too.
        assert_eq!(say(&st, "bob", "details").replies(), replies);
    }
}
