//! The frame around every screen: header, the screen or the sign-in, the notice, the status
//! line, the key hints, and the overlays (a scan question, help) on top.

use super::*;

impl App {
    pub fn draw(&self, frame: &mut Frame<'_>) {
        self.render(frame.area(), frame.buffer_mut());
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        let s = self.lang.strings();
        self.hidden.set(too_small(area.width, area.height));
        if too_small(area.width, area.height) {
            let text = fill!(s.too_small, width = area.width, height = area.height);
            Paragraph::new(Line::styled(text, theme::error()))
                .wrap(Wrap { trim: true })
                .render(area, buf);
            return;
        }
        let [header, body, notice, status, keys] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Length(1),
        ]));
        self.render_header(header, buf);
        let view = View {
            s,
            lang: self.lang,
            today: self.setup.office.zone.today(self.setup.clock.now()),
            office: &self.setup.office,
            data_dir: &self.setup.data_dir,
            counter: self.setup.config.counter.number,
            now: self.setup.office.zone.local(self.setup.clock.now()),
        };
        let (hints, help) = match (&self.session, self.stack.last()) {
            (
                Some(Session {
                    mode: Mode::Locked(lock),
                    ..
                }),
                _,
            ) => {
                lock.render(body, buf, s, None);
                (vec![s.key_help, s.key_lang, s.key_logout], vec![])
            }
            (Some(_), Some(top)) => {
                top.render(body, buf, &view);
                let (screen_hints, help) = top.keys(s);
                // The help and language keys first after the screen's own: always in view.
                let mut hints = screen_hints;
                hints.extend([s.key_help, s.key_lang, s.key_lock, s.key_logout]);
                (hints, help)
            }
            _ => {
                self.login.render(body, buf, s, self.roster_hint());
                if let Some(hint) = &self.setup.demo_hint {
                    let y = body.bottom().saturating_sub(1);
                    buf.set_string(body.x + 1, y, hint, theme::dim());
                }
                (
                    vec![s.key_next, s.key_help, s.key_lang, s.key_quit],
                    vec![("Enter", s.h_login_enter), ("F10", s.h_f10_quit)],
                )
            }
        };
        self.render_notice(notice, buf);
        let (zone, now) = (self.setup.office.zone, self.setup.clock.now());
        self.status.render(status, buf, s, zone, now);
        // Help (F1) and log out or quit (F10) always show; the screen's keys fill the rest in
        // order, and F1 lists every key of the screen.
        let essential = [s.key_help, s.key_logout, s.key_quit];
        let width = |h: &str| unicode_width::UnicodeWidthStr::width(h) + 1;
        let mut reserved: usize = hints
            .iter()
            .filter(|h| essential.contains(h))
            .map(|h| width(h))
            .sum();
        let mut spans = Vec::new();
        let mut used = 0;
        for h in hints {
            let w = width(h);
            if essential.contains(&h) {
                reserved -= w;
            } else if used + w + reserved > keys.width as usize {
                continue;
            }
            if used + w > keys.width as usize {
                break;
            }
            used += w;
            spans.extend([Span::styled(h, theme::keys()), Span::raw(" ")]);
        }
        let line = Line::from(spans);
        Paragraph::new(line).render(keys, buf);
        if let Some(Session {
            mode: Mode::Asking(dialog, _),
            ..
        }) = &self.session
        {
            dialog.render(body, buf, s);
        }
        if self.help {
            render_help(body, buf, s, &help);
        }
    }

    fn render_header(&self, area: Rect, buf: &mut Buffer) {
        let s = self.lang.strings();
        let now = self.setup.office.zone.local(self.setup.clock.now());
        let mut right = format!(
            "{} {} · {} {} {} ",
            s.counter,
            self.setup.config.counter.number,
            crate::domain::format::date_short(now.date_naive()),
            now.format("%H:%M"),
            self.setup.office.zone.label(),
        );
        if let Some(session) = &self.session {
            right.push_str(&format!("· {} ", session.officer.username));
        }
        right.push_str(&format!("· {} ", s.lang_name));
        Block::new().style(theme::header()).render(area, buf);
        let right_w = unicode_width::UnicodeWidthStr::width(right.as_str());
        let room = (area.width as usize).saturating_sub(right_w + 1);
        let mut left = format!(" {} · {}", s.app_title, self.setup.office.name);
        if left.chars().count() > room {
            left = left
                .chars()
                .take(room.saturating_sub(1))
                .collect::<String>()
                + "…";
        }
        buf.set_string(
            area.x,
            area.y,
            left,
            theme::header().add_modifier(ratatui::style::Modifier::BOLD),
        );
        buf.set_string(
            area.right().saturating_sub(right_w as u16),
            area.y,
            right,
            theme::header(),
        );
    }

    /// The answer to the officer's last action, or the last device event.
    fn render_notice(&self, area: Rect, buf: &mut Buffer) {
        let Some(n) = &self.notice else { return };
        let style = match n.level {
            Level::Info => theme::label(),
            Level::Ok => theme::ok(),
            Level::Warn => theme::warn(),
            Level::Error => theme::error(),
        };
        Paragraph::new(Line::styled(n.text_in(self.lang).to_owned(), style))
            .wrap(Wrap { trim: true })
            .render(area, buf);
    }
}

fn render_help(
    area: Rect,
    buf: &mut Buffer,
    s: &'static crate::ui::Strings,
    keys: &[(&str, &str)],
) {
    let mut rows: Vec<(&str, &str)> = keys.to_vec();
    rows.extend([
        ("F1 ?", s.h_f1),
        ("F2", s.h_f2),
        ("F9", s.h_f9),
        ("F10", s.h_f10),
        ("Ctrl+C", s.h_ctrl_c),
    ]);
    let width = area.width.min(76);
    // A description longer than its column goes on over more lines, under itself.
    let room = (width as usize).saturating_sub(2 + 12).max(10);
    let mut lines: Vec<Line> = Vec::new();
    for (k, d) in &rows {
        for (i, part) in crate::text::wrap_words(d, room).into_iter().enumerate() {
            let key = if i == 0 { *k } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{key:<12}"), theme::focus()),
                Span::raw(part),
            ]));
        }
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    Clear.render(popup, buf);
    let block =
        Block::bordered().title(Line::styled(format!(" {} ", s.help_title), theme::title()));
    let inner = block.inner(popup);
    block.render(popup, buf);
    Paragraph::new(lines).render(inner, buf);
}
