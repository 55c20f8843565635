//! `revise` (the gate's Revise button): explains how to change something at a gate. Never changes
//! state: the change itself comes as a message (a [`correction`](super::correction)).

use super::Cx;
use crate::state::Stage;

impl Cx<'_> {
    pub(crate) fn revise(&mut self) {
        match self.eng().map(|e| e.stage) {
            Some(Stage::Inputs) => self.say_ui("revise.nothing"),
            Some(Stage::Gate { .. } | Stage::Reaction { .. }) => self.say_ui("gate.revise"),
            None => self.no_engagement(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::ThreadState;

    #[test]
    fn revise_depends_on_the_stage() {
        let ui = |k| engine().knowledge().ui(k).to_string();
        let s = cmd(&ThreadState::default(), "bob", Command::Revise);
        assert_eq!(text(&s), ui("status.none"));
        let s = cmd(&in_phase1(), "alice", Command::Revise);
        assert_eq!(text(&s), ui("revise.nothing"));
        let st = at_phase1_gate();
        let s = cmd(&st, "alice", Command::Revise);
        assert_eq!(text(&s), ui("gate.revise"));
        assert_eq!(s.state, st);
    }
}
