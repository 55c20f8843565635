//! Reading what a message brings: its attachments (recon reports and architecture documents, within
//! the configured limits) and its text, applied to the engagement's Phase 1 inputs. Shared by the
//! Phase 1 answer, the correction and the start of an engagement.

use super::Cx;
use crate::extract::{apply, Change, Hit};
use crate::knowledge::{fill, Knowledge};
use crate::recon;
use crate::render;
use crate::state::{Slot, Source};
use crate::text::{clean, echo};
use crate::Attachment;

/// The longest attachment name shown, in characters.
const NAME_KEEP: usize = 80;

/// True when an attachment is a recon report (by its name).
pub(crate) fn is_recon(a: &Attachment) -> bool {
    let f = a.filename.to_lowercase();
    f.ends_with(".yaml") || f.ends_with(".yml") || f.contains("eks-recon")
}

/// "- existing stack: Argo CD → Flux", one line per change.
pub(crate) fn diff(k: &Knowledge, changes: &[Change]) -> String {
    let side = |v: &[String]| {
        if v.is_empty() {
            "—".to_string()
        } else {
            echo(&v.join(", "))
        }
    };
    changes
        .iter()
        .map(|c| {
            format!(
                "- {}: {} → {}",
                render::slot_name(k, c.slot),
                side(&c.before),
                side(&c.after)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Cx<'_> {
    /// Reads attachments: recon reports and architecture documents. Returns hits per source and notes.
    fn read_attachments(
        &self,
        attachments: &[Attachment],
        asked: &[Slot],
    ) -> (Vec<(Source, Vec<Hit>)>, Vec<String>) {
        let k = self.k();
        let limits = &self.e.limits;
        let mut found = Vec::new();
        let mut notes = Vec::new();
        let mut accounts = Vec::new();
        if attachments.len() > limits.max_attachments {
            notes.push(fill(
                k.ui("attachment.too_many"),
                &[
                    ("n", &attachments.len().to_string()),
                    ("limit", &limits.max_attachments.to_string()),
                ],
            ));
        }
        for a in attachments.iter().take(limits.max_attachments) {
            let name: String = echo(&clean(&a.filename)).chars().take(NAME_KEEP).collect();
            let name = if name.trim().is_empty() {
                k.ui("attachment.unnamed").to_string()
            } else {
                name
            };
            if a.content.len() > limits.max_attachment_bytes {
                notes.push(fill(
                    k.ui("attachment.too_big"),
                    &[
                        ("file", &name),
                        ("limit", &(limits.max_attachment_bytes / 1024).to_string()),
                    ],
                ));
                continue;
            }
            if a.content.contains('\0') {
                notes.push(fill(k.ui("attachment.binary"), &[("file", &name)]));
                continue;
            }
            let source = Source::Attachment(name.clone());
            if !is_recon(a) {
                let hits = self.e.extractor.extract(&clean(&a.content), asked);
                notes.push(fill(
                    k.ui("attachment.read"),
                    &[("file", &name), ("n", &hits.len().to_string())],
                ));
                found.push((source, hits));
                continue;
            }
            match recon::parse(&a.content, k) {
                Ok(r) => {
                    let mut hits = r.hits;
                    if let Some(c) = r.cluster {
                        hits.push(Hit {
                            slot: Slot::ExistingStack,
                            key: "cluster:eks".into(),
                            label: fill(k.ui("attachment.cluster"), &[("cluster", &c)]),
                            negated: false,
                        });
                    }
                    if let Some(acct) = r.account {
                        if !accounts.contains(&acct) {
                            accounts.push(acct);
                        }
                    }
                    if accounts.len() >= 2 {
                        hits.push(Hit {
                            slot: Slot::Constraints,
                            key: "constraint:multi_account".into(),
                            label: fill(
                                k.ui("attachment.multi_account"),
                                &[("n", &accounts.len().to_string())],
                            ),
                            negated: false,
                        });
                    }
                    notes.push(fill(
                        k.ui("attachment.read"),
                        &[("file", &name), ("n", &hits.len().to_string())],
                    ));
                    found.push((source, hits));
                }
                Err(reason) => notes.push(fill(
                    k.ui("attachment.recon_broken"),
                    &[("file", &name), ("reason", &echo(&reason))],
                )),
            }
        }
        (found, notes)
    }

    /// Applies a message's text and attachments to the inputs: the changes, the notes about the
    /// attachments, and how many facts were recognised.
    pub(crate) fn take_inputs(
        &mut self,
        text: &str,
        attachments: &[Attachment],
    ) -> (Vec<Change>, Vec<String>, usize) {
        let asked = self.eng().map(|e| e.asked.clone()).unwrap_or_default();
        let (found, notes) = self.read_attachments(attachments, &asked);
        let text_hits = self.e.extractor.extract(text, &asked);
        let Some(eng) = self.eng_mut() else {
            return (vec![], notes, 0);
        };
        let mut changes = Vec::new();
        let mut n = text_hits.len();
        for (source, hits) in &found {
            n += hits.len();
            changes.extend(apply(&mut eng.inputs, hits, source));
        }
        // The message text wins over attachments when both speak.
        changes.extend(apply(&mut eng.inputs, &text_hits, &Source::Message));
        (changes, notes, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handle::testkit::*;
    use crate::state::{Slot, ThreadState};
    use crate::Event;

    #[test]
    fn recon_reports_are_known_by_name() {
        let a = |f: &str| Attachment {
            filename: f.into(),
            content: String::new(),
        };
        assert!(is_recon(&a("prod.eks-recon-report.txt")));
        assert!(is_recon(&a("report.YAML")));
        assert!(!is_recon(&a("architecture.md")));
    }

    #[test]
    fn a_binary_or_huge_attachment_is_refused_with_a_note() {
        let ev = Event {
            user: "alice".into(),
            text: Some("Plan our internal developer platform on EKS".into()),
            attachments: vec![Attachment {
                filename: "notes.md".into(),
                content: "a\0b".into(),
            }],
            ..Event::default()
        };
        let s = engine().step(&ThreadState::default(), &ev);
        let note = fill(
            engine().knowledge().ui("attachment.binary"),
            &[("file", "notes.md")],
        );
        assert!(text(&s).contains(&note), "{}", text(&s));
    }

    #[test]
    fn an_architecture_document_fills_inputs_with_its_source() {
        let ev = Event {
            user: "alice".into(),
            text: Some("Plan our internal developer platform on EKS".into()),
            attachments: vec![Attachment {
                filename: "arch.md".into(),
                content: "We run Argo CD for deploys and Terraform for infrastructure.".into(),
            }],
            ..Event::default()
        };
        let s = engine().step(&ThreadState::default(), &ev);
        let eng = s.state.engaged().expect("engaged");
        let stack = eng.items(Slot::ExistingStack);
        assert!(
            stack
                .iter()
                .any(|i| i.source == Source::Attachment("arch.md".into())),
            "{stack:?}"
        );
    }
}
