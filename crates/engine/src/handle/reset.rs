//! `reset` (or "start over" typed inside an engagement): drops the engagement or the open
//! clarifying question. Only the owner or an approver may drop an engagement.

use super::Cx;
use crate::state::Thread;

impl Cx<'_> {
    pub(crate) fn reset(&mut self) {
        if matches!(self.st.thread, Thread::Idle { .. }) {
            self.say_ui("reset.none");
            return;
        }
        if !self.authorised() {
            self.deny("reset");
            return;
        }
        self.st.thread = Thread::Idle { last_route: None };
        self.changed = true;
        self.say_ui("reset.done");
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::ThreadState;

    #[test]
    fn reset_drops_the_engagement() {
        let s = cmd(&at_phase1_gate(), "alice", Command::Reset);
        assert!(s.changed);
        assert!(s.state.engaged().is_none());
        assert!(s.state.route().is_none());
        assert_eq!(text(&s), engine().knowledge().ui("reset.done"));
        let typed = say(&at_phase1_gate(), "alice", "start over");
        assert!(typed.state.engaged().is_none());
    }

    #[test]
    fn reset_with_nothing_running_changes_nothing() {
        let s = cmd(&ThreadState::default(), "alice", Command::Reset);
        assert!(!s.changed);
        assert_eq!(text(&s), engine().knowledge().ui("reset.none"));
    }

    #[test]
    fn only_the_owner_resets() {
        let st = at_phase1_gate();
        let s = cmd(&st, "mallory", Command::Reset);
        assert!(denied(&s));
        assert_eq!(s.state, st);
    }
}
