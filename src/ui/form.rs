//! A vertical form of labelled fields: text, choice (←→) and tick box (Space). Enter, Tab
//! and ↑↓ move between fields; the screen that owns the form commits a field's value when
//! focus leaves it or a choice changes, so each commit is one officer action.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::input::TextInput;
use super::theme;
use crate::text::Strings;

pub type Label = fn(&Strings) -> &'static str;
pub type OptionLabel = fn(&Strings, usize) -> &'static str;

pub enum Value {
    Text(TextInput),
    Choice {
        selected: Option<usize>,
        count: usize,
        label: OptionLabel,
    },
    Toggle(bool),
}

pub struct Field {
    pub key: &'static str,
    pub label: Label,
    pub value: Value,
    pub hidden: bool,
}

impl Field {
    pub fn text(key: &'static str, label: Label, value: &str) -> Field {
        Field {
            key,
            label,
            value: Value::Text(TextInput::with_value(value)),
            hidden: false,
        }
    }
    pub fn secret(key: &'static str, label: Label, max: usize) -> Field {
        Field {
            key,
            label,
            value: Value::Text(TextInput::secret(max)),
            hidden: false,
        }
    }
    pub fn choice(
        key: &'static str,
        label: Label,
        count: usize,
        option: OptionLabel,
        selected: Option<usize>,
    ) -> Field {
        Field {
            key,
            label,
            value: Value::Choice {
                selected,
                count,
                label: option,
            },
            hidden: false,
        }
    }
    pub fn toggle(key: &'static str, label: Label, on: bool) -> Field {
        Field {
            key,
            label,
            value: Value::Toggle(on),
            hidden: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormEvent {
    Ignored,
    Edited,
    /// Focus left the field at this index.
    Moved {
        from: usize,
    },
    /// A choice or tick box at this index changed.
    Changed(usize),
    /// Enter on the last field.
    Submit,
    /// ↑ on the first field or ↓ on the last: the owner may move focus elsewhere.
    LeftTop,
    LeftBottom,
}

pub struct Form {
    pub fields: Vec<Field>,
    pub focus: usize,
}

impl Form {
    pub fn new(fields: Vec<Field>) -> Form {
        Form { fields, focus: 0 }
    }

    /// Whether the focused field is a PIN's: what is typed there is never a scan.
    pub fn secret_focused(&self) -> bool {
        matches!(self.fields.get(self.focus).map(|f| &f.value), Some(Value::Text(t)) if t.is_secret())
    }

    fn find(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }
    pub fn index(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.key == key)
    }
    pub fn key_at(&self, index: usize) -> &'static str {
        self.fields.get(index).map(|f| f.key).unwrap_or("")
    }
    pub fn text(&self, key: &str) -> String {
        match self.find(key).map(|f| &f.value) {
            Some(Value::Text(t)) => t.value().trim().to_owned(),
            _ => String::new(),
        }
    }
    pub fn choice(&self, key: &str) -> Option<usize> {
        match self.find(key).map(|f| &f.value) {
            Some(Value::Choice { selected, .. }) => *selected,
            _ => None,
        }
    }
    pub fn toggle(&self, key: &str) -> bool {
        matches!(self.find(key).map(|f| &f.value), Some(Value::Toggle(true)))
    }
    pub fn set_hidden(&mut self, key: &str, hidden: bool) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.key == key) {
            f.hidden = hidden;
        }
    }
    pub fn clear_text(&mut self, key: &str) {
        if let Some(Field {
            value: Value::Text(t),
            ..
        }) = self.fields.iter_mut().find(|f| f.key == key)
        {
            t.clear();
        }
    }

    /// Every field's value as typed: what a draft keeps.
    pub fn snapshot(&self) -> serde_json::Value {
        let map = self
            .fields
            .iter()
            .map(|f| {
                let v = match &f.value {
                    Value::Text(t) => serde_json::Value::from(t.value()),
                    Value::Choice { selected, .. } => serde_json::Value::from(*selected),
                    Value::Toggle(on) => serde_json::Value::from(*on),
                };
                (f.key.to_owned(), v)
            })
            .collect();
        serde_json::Value::Object(map)
    }

    /// Puts back values from [`Form::snapshot`]; keys it does not know are ignored.
    pub fn restore(&mut self, snapshot: &serde_json::Value) {
        for f in &mut self.fields {
            let Some(v) = snapshot.get(f.key) else {
                continue;
            };
            match &mut f.value {
                Value::Text(t) => t.set(v.as_str().unwrap_or_default()),
                Value::Choice {
                    selected, count, ..
                } => {
                    *selected = v.as_u64().map(|i| i as usize).filter(|i| i < count);
                }
                Value::Toggle(on) => *on = v.as_bool().unwrap_or(*on),
            }
        }
    }

    fn step(&mut self, forward: bool) -> Option<usize> {
        let mut i = self.focus;
        loop {
            i = if forward { i + 1 } else { i.checked_sub(1)? };
            let field = self.fields.get(i)?;
            if !field.hidden {
                return Some(i);
            }
        }
    }

    fn move_focus(&mut self, forward: bool) -> FormEvent {
        let from = self.focus;
        match self.step(forward) {
            Some(to) => {
                self.focus = to;
                FormEvent::Moved { from }
            }
            None if forward => FormEvent::LeftBottom,
            None => FormEvent::LeftTop,
        }
    }

    pub fn paste(&mut self, text: &str) -> FormEvent {
        match self.fields.get_mut(self.focus).map(|f| &mut f.value) {
            Some(Value::Text(t)) => {
                t.insert_str(text);
                FormEvent::Edited
            }
            _ => FormEvent::Ignored,
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> FormEvent {
        match key.code {
            KeyCode::Up | KeyCode::BackTab => return self.move_focus(false),
            KeyCode::Down | KeyCode::Tab => return self.move_focus(true),
            KeyCode::Enter => {
                return match self.move_focus(true) {
                    FormEvent::LeftBottom => FormEvent::Submit,
                    other => other,
                };
            }
            _ => {}
        }
        let index = self.focus;
        let Some(field) = self.fields.get_mut(index) else {
            return FormEvent::Ignored;
        };
        match &mut field.value {
            Value::Text(t) => {
                if t.handle(key) {
                    FormEvent::Edited
                } else {
                    FormEvent::Ignored
                }
            }
            Value::Choice {
                selected, count, ..
            } => {
                let n = *count;
                let next = match (key.code, *selected) {
                    (KeyCode::Right | KeyCode::Char(' '), None) => 0,
                    (KeyCode::Left, None) => n.saturating_sub(1),
                    (KeyCode::Right | KeyCode::Char(' '), Some(i)) => (i + 1) % n.max(1),
                    (KeyCode::Left, Some(i)) => (i + n.max(1) - 1) % n.max(1),
                    _ => return FormEvent::Ignored,
                };
                *selected = Some(next);
                FormEvent::Changed(index)
            }
            Value::Toggle(on) => match key.code {
                KeyCode::Char(' ') | KeyCode::Char('x') | KeyCode::Left | KeyCode::Right => {
                    *on = !*on;
                    FormEvent::Changed(index)
                }
                _ => FormEvent::Ignored,
            },
        }
    }

    /// Draws one field a line; `focused` is false while focus is outside the form.
    pub fn render(
        &self,
        area: Rect,
        buf: &mut Buffer,
        s: &Strings,
        focused: bool,
        label_width: u16,
    ) {
        let visible: Vec<(usize, &Field)> = self
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.hidden)
            .collect();
        let pos = visible
            .iter()
            .position(|(i, _)| *i == self.focus)
            .unwrap_or(0);
        let skip = (pos + 1).saturating_sub(area.height as usize);
        let value_width = area.width.saturating_sub(label_width + 3) as usize;
        let lines: Vec<Line> = visible
            .iter()
            .skip(skip)
            .map(|(i, f)| {
                let here = focused && *i == self.focus;
                let marker = if here { "▸ " } else { "  " };
                let label_style = if here { theme::focus() } else { theme::label() };
                if let Value::Toggle(on) = &f.value {
                    // A box, then its whole label: a long label (English's are) never
                    // pushes the box out of line.
                    let mark = if *on { "[x] " } else { "[ ] " };
                    return Line::from(vec![
                        Span::styled(marker, label_style),
                        Span::raw(mark),
                        Span::styled((f.label)(s), label_style),
                    ]);
                }
                let text = (f.label)(s);
                let w = label_width as usize;
                // A label longer than its column is cut, so the values stay in line.
                let text: String = if text.chars().count() > w {
                    text.chars()
                        .take(w.saturating_sub(1))
                        .chain(['…'])
                        .collect()
                } else {
                    text.to_owned()
                };
                let label = format!("{marker}{text:<w$} ");
                let value: Line = match &f.value {
                    Value::Text(t) => t.line(here, value_width),
                    Value::Choice {
                        selected, label, ..
                    } => {
                        let text = selected.map(|i| label(s, i)).unwrap_or(s.pu_none);
                        Line::from(if here {
                            format!("◂ {text} ▸")
                        } else {
                            text.to_owned()
                        })
                    }
                    Value::Toggle(on) => Line::from(if *on { "[x]" } else { "[ ]" }),
                };
                let mut spans = vec![Span::styled(label, label_style)];
                spans.extend(value.spans);
                Line::from(spans)
            })
            .collect();
        Paragraph::new(lines).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn form() -> Form {
        let mut f = Form::new(vec![
            Field::text("a", |s| s.id_name, ""),
            Field::toggle("hidden", |s| s.iv_force, false),
            Field::choice(
                "c",
                |s| s.id_sex,
                2,
                |s, i| if i == 0 { s.sex_m } else { s.sex_f },
                None,
            ),
        ]);
        f.set_hidden("hidden", true);
        f
    }

    #[test]
    fn a_long_label_never_pushes_its_value_out_of_line() {
        let s = crate::text::Lang::En.strings();
        let mut f = Form::new(vec![
            Field::text("a", |s| s.id_name, "Dewi"),
            Field::toggle("t", |s| s.rf_pmi, false),
            Field::text("b", |_| "A label far longer than its column", "x"),
        ]);
        f.set_hidden("none", true);
        let area = Rect::new(0, 0, 80, 3);
        let mut buf = Buffer::empty(area);
        f.render(area, &mut buf, s, false, 14);
        let row = |y: u16| -> String { (0..80).map(|x| buf[(x, y)].symbol().to_owned()).collect() };
        // The box first, then the whole label.
        assert!(
            row(1).starts_with(&format!("  [ ] {}", s.rf_pmi)),
            "{}",
            row(1)
        );
        // A long text label is cut with an ellipsis; its value starts where the others do.
        let column = |line: String, c: char| line.chars().position(|x| x == c);
        assert_eq!(column(row(2), 'x'), column(row(0), 'D'), "{}", row(2));
        assert!(row(2).contains('…'), "{}", row(2));
    }

    #[test]
    fn moves_skipping_hidden_fields_and_submits_at_the_end() {
        let mut f = form();
        f.paste("Dewi");
        assert_eq!(f.on_key(&k(KeyCode::Enter)), FormEvent::Moved { from: 0 });
        assert_eq!(f.focus, 2);
        assert_eq!(f.on_key(&k(KeyCode::Right)), FormEvent::Changed(2));
        assert_eq!(f.choice("c"), Some(0));
        assert_eq!(f.on_key(&k(KeyCode::Left)), FormEvent::Changed(2));
        assert_eq!(f.choice("c"), Some(1));
        assert_eq!(f.on_key(&k(KeyCode::Enter)), FormEvent::Submit);
        assert_eq!(f.on_key(&k(KeyCode::Up)), FormEvent::Moved { from: 2 });
        assert_eq!(f.on_key(&k(KeyCode::Up)), FormEvent::LeftTop);
        assert_eq!(f.text("a"), "Dewi");
        let mut other = form();
        other.restore(&f.snapshot());
        assert_eq!(
            (other.text("a"), other.choice("c")),
            ("Dewi".to_owned(), Some(1))
        );
    }
}
