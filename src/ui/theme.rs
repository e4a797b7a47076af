//! The few styles the terminal uses, in one place.

use ratatui::style::{Color, Modifier, Style};

pub fn header() -> Style {
    Style::new().fg(Color::Black).bg(Color::Cyan)
}
pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}
pub fn label() -> Style {
    Style::new().fg(Color::Gray)
}
pub fn focus() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}
pub fn selected() -> Style {
    Style::new().bg(Color::Blue).fg(Color::White)
}
pub fn ok() -> Style {
    Style::new().fg(Color::Green)
}
pub fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}
pub fn error() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}
pub fn keys() -> Style {
    Style::new().fg(Color::Black).bg(Color::Gray)
}
