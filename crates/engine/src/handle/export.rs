//! `export`: the whole plan so far as one Markdown document (an attachment), with a short note.
//! Never changes state.

use super::Cx;
use crate::knowledge::fill;
use crate::Effect;

impl Cx<'_> {
    pub(crate) fn export(&mut self) {
        let Some(markdown) = self.e.document(&self.st) else {
            self.say_ui("export.none");
            return;
        };
        let filename = format!(
            "pavebot-plan-{}.md",
            self.eng().map(|e| e.mode.id()).unwrap_or("plan")
        );
        let t = fill(
            self.k().ui("export.done"),
            &[
                ("filename", &filename),
                ("n", &markdown.chars().count().to_string()),
            ],
        );
        self.say(t);
        self.out.push(Effect::Document { filename, markdown });
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::ThreadState;
    use crate::Effect;

    #[test]
    fn export_without_an_engagement_says_so() {
        let s = cmd(&ThreadState::default(), "bob", Command::Export);
        assert_eq!(text(&s), engine().knowledge().ui("export.none"));
        assert!(!s
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Document { .. })));
    }

    #[test]
    fn export_attaches_the_plan_document() {
        let st = at_phase1_gate();
        let s = cmd(&st, "bob", Command::Export);
        let doc = s.effects.iter().find_map(|e| match e {
            Effect::Document { filename, markdown } => Some((filename.clone(), markdown.clone())),
            _ => None,
        });
        let (filename, markdown) = doc.expect("a document");
        assert_eq!(filename, "pavebot-plan-full_build.md");
        assert!(markdown.starts_with("# "), "{markdown}");
        assert!(!s.changed);
    }
}
