//! The interview: structured answers, the examination record (BAP) for lost and damaged
//! passports, free notes and red flags. Each answer is saved when focus leaves it.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::domain::case::{Interview, Purpose, RedFlag};
use crate::domain::{ApplicationType, Case};
use crate::ui::Strings;
use crate::ui::form::{Field, Form, FormEvent, Label};

const FLAG_KEYS: [&str; 4] = ["flag0", "flag1", "flag2", "flag3"];
const FLAG_LABELS: [Label; 4] = [
    |s| s.rf_pmi,
    |s| s.rf_inconsistent,
    |s| s.rf_docs,
    |s| s.rf_agent,
];

pub struct InterviewPanel {
    form: Form,
}

impl InterviewPanel {
    pub fn new(case: &Case) -> InterviewPanel {
        let iv = &case.interview;
        let purpose = iv
            .purpose
            .and_then(|p| Purpose::ALL.iter().position(|x| *x == p));
        let mut fields = vec![
            Field::choice(
                "purpose",
                |s| s.iv_purpose,
                Purpose::ALL.len(),
                |s, i| s.purpose(Purpose::ALL[i % 8]),
                purpose,
            ),
            Field::text("destination", |s| s.iv_destination, &iv.destination),
            Field::text("occupation", |s| s.iv_occupation, &iv.occupation),
            Field::text("stay", |s| s.iv_stay, &iv.length_of_stay),
            Field::text("contact", |s| s.iv_contact, &iv.emergency_contact),
            Field::text("chronology", |s| s.iv_chronology, &iv.chronology),
            Field::text("police", |s| s.iv_police, &iv.police_report_no),
            Field::toggle("force", |s| s.iv_force, iv.force_majeure),
            Field::text("notes", |s| s.iv_notes, &iv.notes),
        ];
        for (i, flag) in RedFlag::ALL.iter().enumerate() {
            fields.push(Field::toggle(
                FLAG_KEYS[i],
                FLAG_LABELS[i],
                iv.red_flags.contains(flag),
            ));
        }
        let mut form = Form::new(fields);
        let examined = case.application.needs_examination();
        form.set_hidden("chronology", !examined);
        form.set_hidden("force", !examined);
        form.set_hidden("police", case.application != ApplicationType::Lost);
        form.set_hidden("occupation", case.is_child());
        InterviewPanel { form }
    }

    pub fn interview(&self) -> Interview {
        let f = &self.form;
        Interview {
            purpose: f.choice("purpose").map(|i| Purpose::ALL[i % 8]),
            destination: f.text("destination"),
            occupation: f.text("occupation"),
            length_of_stay: f.text("stay"),
            emergency_contact: f.text("contact"),
            chronology: f.text("chronology"),
            police_report_no: f.text("police"),
            force_majeure: f.toggle("force"),
            notes: f.text("notes"),
            red_flags: RedFlag::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| f.toggle(FLAG_KEYS[*i]))
                .map(|(_, r)| *r)
                .collect(),
        }
    }

    /// Whether the focused field takes typed text.
    pub fn typing(&self) -> bool {
        !matches!(
            self.form.key_at(self.form.focus),
            "purpose" | "force" | "flag0" | "flag1" | "flag2" | "flag3"
        )
    }

    pub fn draft(&self) -> serde_json::Value {
        self.form.snapshot()
    }

    pub fn restore(&mut self, draft: &serde_json::Value) {
        self.form.restore(draft);
    }

    pub fn paste(&mut self, text: &str) {
        self.form.paste(text);
    }

    /// Returns the answers to save when a field was left or a choice changed.
    pub fn on_key(&mut self, key: &KeyEvent, saved: &Interview) -> Option<Interview> {
        match self.form.on_key(key) {
            FormEvent::Moved { .. }
            | FormEvent::Changed(_)
            | FormEvent::Submit
            | FormEvent::LeftBottom => {
                let now = self.interview();
                (now != *saved).then_some(now)
            }
            _ => None,
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, s: &Strings, editable: bool) {
        self.form.render(area, buf, s, editable, 26);
    }
}
