//! A one-line text input: what login, search and forms type into. Holds characters, not
//! bytes, so Indonesian names with any letters edit correctly.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    chars: Vec<char>,
    cursor: usize,
    max: usize,
    secret: bool,
}

/// Longest line any field takes: more is a scanner gone wrong or a paste of the wrong thing.
pub const DEFAULT_MAX: usize = 400;

impl TextInput {
    pub fn new() -> Self {
        Self {
            max: DEFAULT_MAX,
            ..Self::default()
        }
    }
    pub fn secret(max: usize) -> Self {
        Self {
            max,
            secret: true,
            ..Self::default()
        }
    }
    /// Whether it hides what is typed (a PIN).
    pub fn is_secret(&self) -> bool {
        self.secret
    }
    pub fn with_value(value: &str) -> Self {
        let mut input = Self::new();
        input.set(value);
        input
    }
    pub fn value(&self) -> String {
        self.chars.iter().collect()
    }
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }
    pub fn set(&mut self, value: &str) {
        self.chars = value
            .chars()
            .filter(|c| !c.is_control())
            .take(self.max.max(1))
            .collect();
        self.cursor = self.chars.len();
    }
    pub fn clear(&mut self) {
        self.chars.clear();
        self.cursor = 0;
    }

    /// Inserts pasted or scanned text; control characters (a scanner's CR, TAB) are dropped.
    pub fn insert_str(&mut self, text: &str) {
        for c in text.chars().filter(|c| !c.is_control()) {
            self.insert(c);
        }
    }

    fn insert(&mut self, c: char) {
        if self.chars.len() < self.max.max(1) {
            self.chars.insert(self.cursor, c);
            self.cursor += 1;
        }
    }

    /// Edits on a key; returns whether the key was an editing key.
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => self.clear(),
            KeyCode::Char(c) if !ctrl => self.insert(c),
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.chars.remove(self.cursor);
            }
            KeyCode::Delete if self.cursor < self.chars.len() => {
                self.chars.remove(self.cursor);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.chars.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.chars.len(),
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }

    /// The value as spans, the cursor shown as a reversed cell when focused, fitted into
    /// `width` columns by scrolling so the cursor stays in view.
    pub fn line(&self, focused: bool, width: usize) -> Line<'static> {
        let shown: Vec<char> = if self.secret {
            vec!['•'; self.chars.len()]
        } else {
            self.chars.clone()
        };
        let width = width.max(2);
        let start = (self.cursor + 1).saturating_sub(width);
        let end = (start + width).min(shown.len());
        let mut spans = Vec::new();
        let before: String = shown[start..self.cursor.min(end)].iter().collect();
        spans.push(Span::raw(before));
        if focused {
            let at = shown.get(self.cursor).copied().unwrap_or(' ');
            spans.push(Span::styled(
                at.to_string(),
                Style::new().add_modifier(Modifier::REVERSED),
            ));
            if self.cursor < end {
                spans.push(Span::raw(
                    shown[self.cursor + 1..end].iter().collect::<String>(),
                ));
            }
        } else if self.cursor < end {
            spans.push(Span::raw(
                shown[self.cursor..end].iter().collect::<String>(),
            ));
        }
        Line::from(spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_by_character() {
        let mut t = TextInput::new();
        t.insert_str("Dewi Ñ\r\n");
        assert_eq!(t.value(), "Dewi Ñ");
        t.handle(&key(KeyCode::Left));
        t.handle(&key(KeyCode::Backspace));
        assert_eq!(t.value(), "DewiÑ");
        t.handle(&key(KeyCode::Home));
        t.handle(&key(KeyCode::Delete));
        assert_eq!(t.value(), "ewiÑ");
        t.handle(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert!(t.is_empty());
    }

    #[test]
    fn refuses_overlong_input() {
        let mut t = TextInput::secret(6);
        t.insert_str("12345678");
        assert_eq!(t.value(), "123456");
        assert_eq!(t.line(false, 10).to_string(), "••••••");
    }

    #[test]
    fn scrolls_to_keep_cursor_visible() {
        let t = TextInput::with_value("abcdefghij");
        assert_eq!(t.line(true, 5).to_string(), "ghij ");
    }
}
