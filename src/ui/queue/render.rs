//! How the queue screen draws: today's list (or the search), this counter's call, the
//! table of bookings, a number given in big letters.

use super::*;

impl QueueScreen {
    pub fn render(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        self.render_list(area, buf, view);
        if let Some(d) = &self.transfer {
            d.render(area, buf, view.s);
        }
        if let Some(label) = &self.big {
            render_big(area, buf, view.s, label);
        }
    }

    fn render_list(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let s = view.s;
        let [title, calls, search, table] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Min(1),
        ]));
        self.render_calls(calls, buf, view);
        let count = |st: QueueStatus| {
            self.today
                .iter()
                .filter(|r| match r.status() {
                    QueueStatus::Rescheduled => st == QueueStatus::Waiting,
                    other if other.is_finished() => st == QueueStatus::Done,
                    other => other == st,
                })
                .count()
        };
        let heading = match &self.results {
            None => format!(
                "{} {} · {}",
                s.queue_title,
                format::date_short(view.today),
                fill!(
                    s.queue_summary,
                    bookings = self.today.len(),
                    waiting = count(QueueStatus::Waiting),
                    in_service = count(QueueStatus::InProgress),
                    done = count(QueueStatus::Done)
                )
            ),
            Some(r) if r.len() >= SEARCH_LIMIT => {
                fill!(
                    s.search_capped,
                    query = self.search.value().trim(),
                    shown = r.len()
                )
            }
            Some(r) => fill!(
                s.search_results,
                query = self.search.value().trim(),
                count = r.len()
            ),
        };
        Paragraph::new(Line::styled(heading, theme::title())).render(title, buf);
        let label = format!("{}: ", s.search_label);
        let width = search
            .width
            .saturating_sub(label.chars().count() as u16 + 1) as usize;
        let mut spans = vec![Span::styled(label, theme::focus())];
        spans.extend(self.search.line(true, width).spans);
        Paragraph::new(Line::from(spans)).render(search, buf);
        if self.rows().is_empty() {
            let text = if self.results.is_some() {
                fill!(s.no_match, typed = self.search.value().trim())
            } else {
                s.queue_empty.to_owned()
            };
            Paragraph::new(Line::styled(text, theme::dim())).render(table, buf);
            return;
        }
        self.render_table(table, buf, view);
    }

    /// One line: what this counter called or serves, and how many wait.
    fn render_calls(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let s = view.s;
        let (text, style) = match &self.current {
            Some(t) if t.state == TicketState::Called => (
                fill!(
                    s.q_called,
                    ticket = t.label(),
                    counter = view.counter,
                    calls = t.calls,
                    name = self
                        .today
                        .iter()
                        .find(|r| Some(r.code.as_str()) == t.booking.as_deref())
                        .map_or("–", |r| r.first_name.as_str()),
                    waiting = self.waiting
                ),
                theme::warn(),
            ),
            Some(t) => (
                fill!(s.q_serving, ticket = t.label(), waiting = self.waiting),
                theme::ok(),
            ),
            None => (fill!(s.q_idle, waiting = self.waiting), theme::dim()),
        };
        Paragraph::new(Line::styled(text, style)).render(area, buf);
    }

    fn render_table(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let s = view.s;
        let searching = self.results.is_some();
        let visible = area.height.saturating_sub(1) as usize;
        let offset = (self.selected + 1).saturating_sub(visible);
        // The status column is as wide as the longest status shown, in the language shown,
        // so "Menunggu foto" is never cut to "Menunggu" (which means something else).
        let status_width = self
            .rows()
            .iter()
            .skip(offset)
            .take(visible)
            .map(|r| super::super::queue_status(s, r.status()))
            .chain([s.col_status])
            .map(unicode_width::UnicodeWidthStr::width)
            .max()
            .unwrap_or(10) as u16;
        let rows = self
            .rows()
            .iter()
            .enumerate()
            .skip(offset)
            .take(visible)
            .map(|(i, r)| {
                let style = match r.status() {
                    QueueStatus::Waiting | QueueStatus::Rescheduled => theme::label(),
                    QueueStatus::InProgress => theme::warn(),
                    QueueStatus::Done | QueueStatus::Approved => theme::ok(),
                    QueueStatus::Deferred | QueueStatus::AwaitingPhoto => theme::warn(),
                    QueueStatus::Rejected => theme::error(),
                    QueueStatus::Cancelled => theme::dim(),
                };
                let status = super::super::queue_status(s, r.status());
                let when = if searching {
                    format::date_short(r.day)
                } else {
                    r.slot.format("%H:%M").to_string()
                };
                let mut service = s
                    .service(if r.express {
                        crate::domain::Service::Express
                    } else {
                        crate::domain::Service::Regular
                    })
                    .to_owned();
                if r.walk_in {
                    service = format!("{service}*");
                }
                let number = self.numbers.get(r.code.as_str()).cloned();
                let row = Row::new(vec![
                    Cell::from(when),
                    Cell::from(number.unwrap_or_default()),
                    Cell::from(r.code.to_string()),
                    Cell::from(r.first_name.clone()),
                    Cell::from(format!("{}/{}", r.decided, r.applicants)),
                    Cell::from(service),
                    Cell::from(status).style(style),
                ]);
                if i == self.selected {
                    row.style(theme::selected())
                } else {
                    row
                }
            });
        let widths = [
            Constraint::Length(if searching { 10 } else { 5 }),
            Constraint::Length(6),
            Constraint::Length(11),
            Constraint::Min(16),
            Constraint::Length(5),
            Constraint::Length(11),
            // Room for "Dijadwalkan ulang" only when a row shows it.
            Constraint::Length(status_width),
        ];
        let header = Row::new(vec![
            if searching { s.col_date } else { s.col_time },
            s.col_number,
            s.col_code,
            s.col_applicant,
            s.col_count,
            s.col_service,
            s.col_status,
        ])
        .style(theme::title());
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .render(area, buf);
    }
}

/// A number in block digits over the screen, for the applicant across the counter.
fn render_big(area: Rect, buf: &mut Buffer, s: &Strings, label: &str) {
    use ratatui::widgets::{Block, Clear};
    let big = area.width >= 70 && area.height >= 16;
    let (w, h) = if big { (64, 12) } else { (40, 8) };
    let popup = area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    );
    Clear.render(popup, buf);
    let block = Block::bordered()
        .title(Line::styled(
            format!(" {} ", s.ticket_big_title),
            theme::title(),
        ))
        .title_bottom(Line::styled(
            format!(" {} ", s.ticket_big_hint),
            theme::dim(),
        ));
    let inner = block.inner(popup);
    block.render(popup, buf);
    let [digits, text] = inner.layout(&Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
    ]));
    tui_big_text::BigText::builder()
        .pixel_size(if big {
            tui_big_text::PixelSize::Full
        } else {
            tui_big_text::PixelSize::Quadrant
        })
        .style(theme::ok())
        .lines(vec![Line::from(label.to_owned())])
        .centered()
        .build()
        .render(digits, buf);
    Paragraph::new(Line::styled(label.to_owned(), theme::title()))
        .centered()
        .render(text, buf);
}
