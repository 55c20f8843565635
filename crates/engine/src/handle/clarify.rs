//! The answer to a clarifying question (two modes tied): a number, a mode's name or title, or a
//! message that scores one candidate higher picks it, and the engagement starts with both messages;
//! it belongs to whoever asked, even when someone else picked. Anything else is routed afresh.

use super::Cx;
use crate::knowledge::fill;
use crate::router::Reason;
use crate::state::{Mode, Pending};
use crate::Attachment;

impl Cx<'_> {
    pub(crate) fn clarifying_answer(&mut self, text: &str, attachments: &[Attachment]) {
        let Some(p) = self.st.pending().cloned() else {
            self.new_message(text, attachments);
            return;
        };
        let Some(mode) = self.pick(&p, text) else {
            self.new_message(text, attachments);
            return;
        };
        let mut route = self.e.classify(&p.text);
        route.mode = mode;
        let say = fill(self.k().ui("route.clarified"), &[("mode", mode.id())]);
        route
            .fired
            .push(Reason::new(format!("clarified/{}", mode.id()), say));
        let joined = format!("{}\n{}", p.text, text);
        // The engagement belongs to whoever asked for it, even when someone else picked.
        self.user = p.user.clone();
        self.start(mode, route, &joined, attachments);
    }

    /// Which of the clarification candidates the answer picks, if any.
    fn pick(&self, p: &Pending, text: &str) -> Option<Mode> {
        let t = text.trim().trim_end_matches(['.', '!']).to_lowercase();
        if let Ok(n) = t.parse::<usize>() {
            return p.candidates.get(n.checked_sub(1)?).copied();
        }
        for m in &p.candidates {
            let title = self.e.spec(*m).title.to_lowercase();
            if t == m.id() || title.contains(&t) && t.len() >= 4 || t.contains(&title) {
                return Some(*m);
            }
        }
        let r = self.e.classify(text);
        let score = |m: Mode| {
            r.scores
                .iter()
                .find(|(id, _)| id == m.id())
                .map(|s| s.1)
                .unwrap_or(0.0)
        };
        let (a, b) = (p.candidates.first()?, p.candidates.get(1)?);
        match score(*a).partial_cmp(&score(*b)) {
            Some(std::cmp::Ordering::Greater) => Some(*a),
            Some(std::cmp::Ordering::Less) => Some(*b),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::state::{Mode, Pending, Thread, ThreadState};

    fn clarifying() -> ThreadState {
        let route = engine().classify("help with our platform");
        ThreadState {
            thread: Thread::Clarifying {
                question: Pending {
                    candidates: vec![Mode::GoldenPaths, Mode::Portal],
                    text: "help with our platform".into(),
                    user: "alice".into(),
                },
                last_route: Some(route),
            },
            ..ThreadState::default()
        }
    }

    #[test]
    fn a_number_picks_and_the_asker_owns_the_engagement() {
        let s = say(&clarifying(), "bob", "2");
        let eng = s.state.engaged().expect("engaged");
        assert_eq!(eng.mode, Mode::Portal);
        assert_eq!(eng.owner, "alice");
        assert!(eng.route.fired.iter().any(|f| f == "clarified/portal"));
    }

    #[test]
    fn a_title_picks() {
        let s = say(&clarifying(), "alice", "golden paths");
        assert_eq!(s.state.engaged().map(|e| e.mode), Some(Mode::GoldenPaths));
    }

    #[test]
    fn an_out_of_range_number_does_not_pick() {
        let s = say(&clarifying(), "alice", "7");
        assert!(s.state.engaged().is_none_or(|e| e
            .route
            .fired
            .iter()
            .all(|f| !f.starts_with("clarified/"))));
    }
}
