//! Document verification: the applicant's data as on the documents (with the NIK checked
//! against it) and the checklist that applies to this applicant.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::domain::case::Identity;
use crate::domain::checklist::{DocKind, DocStatus};
use crate::domain::{Action, Case, Sex, format};
use crate::ui::form::{Field, Form, FormEvent};
use crate::ui::{Strings, fill, theme};

// Returned once per key and used at once, never stored: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum DocsOut {
    Apply(Action),
    /// Open the note of this document for editing (the screen shows a dialog).
    EditNote(DocKind, DocStatus),
    /// The identity typed is refused; [`DocsPanel::identity_change`] says why.
    IdentityRefused,
}

pub struct DocsPanel {
    form: Form,
    /// The checklist row in focus; `None` while focus is in the identity form.
    item: Option<usize>,
}

const SEXES: [Sex; 2] = [Sex::Male, Sex::Female];

impl DocsPanel {
    pub fn new(case: &Case) -> DocsPanel {
        let id = &case.identity;
        let sex = SEXES.iter().position(|s| *s == id.sex);
        let form = Form::new(vec![
            Field::text("name", |s| s.id_name, &id.name),
            Field::text("nik", |s| s.id_nik, &id.nik),
            Field::text("birth", |s| s.id_birth, &format::date_short(id.birth_date)),
            Field::choice("sex", |s| s.id_sex, 2, |s, i| s.sex(SEXES[i % 2]), sex),
        ]);
        DocsPanel { form, item: None }
    }

    pub fn typing(&self) -> bool {
        self.item.is_none()
    }

    pub fn draft(&self) -> serde_json::Value {
        self.form.snapshot()
    }

    pub fn restore(&mut self, draft: &serde_json::Value) {
        self.form.restore(draft);
    }

    pub fn paste(&mut self, text: &str) {
        if self.item.is_none() {
            self.form.paste(text);
        }
    }

    /// The identity as typed, when it differs from the case's and is well-formed.
    pub fn identity_change(&self, case: &Case, s: &Strings) -> Option<Result<Identity, String>> {
        let birth_text = self.form.text("birth");
        let Some(birth_date) = format::parse_date(&birth_text) else {
            return Some(Err(fill!(s.bad_date, typed = birth_text)));
        };
        let name = self.form.text("name");
        // The passport's name rule, as at the border and in the walk-in form: letters, space,
        // apostrophe, hyphen and dot, and a limit that is said, not silently applied.
        if let Some(rule) = crate::domain::intake::name_problem(name.trim()) {
            let lang = crate::text::Lang::parse(s.lang_name);
            return Some(Err(fill!(
                s.bad_name,
                problem = crate::text::rule_text(&rule, lang)
            )));
        }
        let identity = Identity {
            name,
            nik: self
                .form
                .text("nik")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect(),
            birth_date,
            sex: self
                .form
                .choice("sex")
                .map(|i| SEXES[i % 2])
                .unwrap_or(case.identity.sex),
        };
        (identity != case.identity).then_some(Ok(identity))
    }

    fn commit(&self, case: &Case, s: &Strings) -> Option<DocsOut> {
        match self.identity_change(case, s)? {
            Ok(identity) => Some(DocsOut::Apply(Action::SetIdentity { identity })),
            Err(_) => Some(DocsOut::IdentityRefused),
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent, case: &Case, s: &Strings) -> Option<DocsOut> {
        let count = case.documents.len();
        let Some(i) = self.item else {
            return match self.form.on_key(key) {
                FormEvent::Moved { .. } | FormEvent::Changed(_) => self.commit(case, s),
                FormEvent::LeftBottom | FormEvent::Submit if count > 0 => {
                    self.item = Some(0);
                    self.commit(case, s)
                }
                _ => None,
            };
        };
        // The checklist may have become shorter (the age changed the documents asked for).
        let i = i.min(count.saturating_sub(1));
        self.item = Some(i);
        let doc = case.documents.get(i)?;
        let set = |status: DocStatus| Action::SetDocument {
            kind: doc.kind,
            status,
            note: doc.note.clone(),
        };
        match key.code {
            KeyCode::Up | KeyCode::BackTab if i == 0 => {
                self.item = None;
                self.form.focus = self.form.fields.len().saturating_sub(1);
            }
            KeyCode::Up | KeyCode::BackTab => self.item = Some(i - 1),
            KeyCode::Down | KeyCode::Tab => self.item = Some((i + 1).min(count.saturating_sub(1))),
            KeyCode::Char('1') => {
                self.item = Some((i + 1).min(count.saturating_sub(1)));
                return Some(DocsOut::Apply(set(DocStatus::Valid)));
            }
            KeyCode::Char('2') => {
                self.item = Some((i + 1).min(count.saturating_sub(1)));
                return Some(DocsOut::Apply(set(DocStatus::Missing)));
            }
            // An invalid document is recorded with a note saying why.
            KeyCode::Char('3') => return Some(DocsOut::EditNote(doc.kind, DocStatus::Invalid)),
            KeyCode::Enter => return Some(DocsOut::EditNote(doc.kind, doc.status)),
            _ => {}
        }
        None
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, case: &Case, s: &Strings, editable: bool) {
        let [h1, form, nik, h2, list] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(4),
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Min(1),
        ]));
        Paragraph::new(Line::styled(s.identity_heading, theme::title())).render(h1, buf);
        self.form
            .render(form, buf, s, editable && self.item.is_none(), 14);
        // The verdict follows what is typed: a NIK being corrected is judged as it stands
        // in the field, not as it was stored.
        let typed = self.form.text("nik");
        let check = if typed.trim() == case.identity.nik {
            case.identity.nik_check()
        } else {
            let mut identity = case.identity.clone();
            identity.nik = typed.trim().to_owned();
            identity.nik_check()
        };
        let (mark, style) = if check.is_valid() {
            ("✓ ", theme::ok())
        } else {
            ("✗ ", theme::error())
        };
        Paragraph::new(Line::from(vec![
            Span::styled(mark, style),
            Span::styled(crate::text::nik_text(&check, s), style),
        ]))
        .wrap(Wrap { trim: true })
        .render(nik, buf);
        Paragraph::new(Line::styled(s.docs_heading, theme::title())).render(h2, buf);
        let name_width = (list.width as usize).saturating_sub(4 + 2 + 16).max(10);
        let mut lines: Vec<Line> = Vec::new();
        for (i, d) in case.documents.iter().enumerate() {
            {
                let (mark, style) = match d.status {
                    DocStatus::Unchecked => ("[ ]", theme::label()),
                    DocStatus::Valid => ("[✓]", theme::ok()),
                    DocStatus::Missing => ("[✗]", theme::error()),
                    DocStatus::Invalid => ("[!]", theme::warn()),
                };
                let here = editable && self.item == Some(i);
                // A long name goes on over more lines rather than being cut.
                let mut parts = crate::text::wrap_words(s.doc(d.kind), name_width).into_iter();
                let first = parts.next().unwrap_or_default();
                let name = format!(" {first:<name_width$} ");
                let mut spans = vec![
                    Span::raw(if here { "▸" } else { " " }),
                    Span::styled(mark, style),
                    Span::styled(
                        name,
                        if here {
                            theme::focus()
                        } else {
                            ratatui::style::Style::new()
                        },
                    ),
                    Span::styled(s.doc_status(d.status), style),
                ];
                if !d.note.is_empty() {
                    spans.push(Span::styled(format!(" — {}", d.note), theme::dim()));
                }
                lines.push(Line::from(spans));
                for more in parts {
                    lines.push(Line::raw(format!("     {more}")));
                }
            }
        }
        Paragraph::new(lines).render(list, buf);
    }
}

#[cfg(test)]
mod tests {
    use crate::text::wrap_words;

    #[test]
    fn a_long_document_name_wraps_between_words_and_loses_nothing() {
        let name = "Akta lahir/nikah, buku nikah, ijazah, atau surat baptis";
        let lines = wrap_words(name, 39);
        assert!(lines.iter().all(|l| l.chars().count() <= 39), "{lines:?}");
        assert_eq!(lines.join(" "), name);
        assert_eq!(
            lines,
            vec!["Akta lahir/nikah, buku nikah, ijazah,", "atau surat baptis"]
        );
        assert_eq!(wrap_words("e-KTP", 39), vec!["e-KTP"]);
        assert_eq!(wrap_words("abcdef", 4), vec!["abcd", "ef"]);
    }
}
