//! How the case screen draws: the steps down the left, the step shown on the right, the
//! fingerprints line at the photo step.

use super::*;

impl CaseScreen {
    pub fn render(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let s = view.s;
        let [title, main] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
        ]));
        let age = self.case.identity.birth_date;
        let header = fill!(
            s.case_header,
            name = self.case.identity.name,
            code = self.booking.code,
            applicant = (self.case.applicant + 1),
            applicants = self.booking.applicants.len(),
            age = crate::domain::booking::age_on(age, view.today),
            stage = s.application(self.booking.application)
        );
        Paragraph::new(Line::styled(header, theme::title())).render(title, buf);
        let [steps, body] = main.layout(&Layout::horizontal([
            Constraint::Length(22),
            Constraint::Min(1),
        ]));
        self.render_steps(steps, buf, s);
        let body = Rect {
            x: body.x + 1,
            width: body.width.saturating_sub(1),
            ..body
        };
        let editable = self.editing().is_some();
        let body = if self.viewing == Step::Photo {
            let [main, bio] = body.layout(&Layout::vertical([
                Constraint::Min(1),
                Constraint::Length(2),
            ]));
            self.render_fingerprints(bio, buf, view);
            main
        } else {
            body
        };
        match self.viewing {
            Step::Documents
                if self
                    .case
                    .current_step()
                    .is_none_or(|c| c >= Step::Documents) =>
            {
                self.docs.render(body, buf, &self.case, s, editable)
            }
            Step::Interview
                if self
                    .case
                    .current_step()
                    .is_none_or(|c| c >= Step::Interview) =>
            {
                self.interview.render(body, buf, s, editable)
            }
            Step::Photo if self.taking_photo() => self.photo.render(body, buf, s),
            step => views::render_step(step, body, buf, &self.case, &self.fee, view),
        }
        if let Some((d, _)) = &self.dialog {
            d.render(area, buf, s);
        }
    }

    /// The fingerprints' line under the photo step.
    fn render_fingerprints(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let s = view.s;
        let reached = self.case.current_step().is_none_or(|c| c >= Step::Photo);
        let line = match &self.case.biometrics {
            _ if !reached => return,
            Biometrics::Captured { .. } if self.case.status.is_open() => {
                Line::styled(s.bio_marked, theme::ok())
            }
            Biometrics::Captured { by, at } => Line::styled(
                fill!(s.bio_captured, officer = by, time = at.format("%H:%M")),
                theme::ok(),
            ),
            Biometrics::NotRecorded if !self.photo_open() => {
                Line::styled(s.bio_legacy, theme::dim())
            }
            _ => Line::styled(s.bio_pending, theme::warn()),
        };
        Paragraph::new(line)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .render(area, buf);
    }

    fn render_steps(&self, area: Rect, buf: &mut Buffer, s: &Strings) {
        let current = self.case.current_step();
        let mut lines = vec![Line::styled(s.steps_heading, theme::title())];
        for step in Step::ALL {
            let outstanding =
                step == Step::Photo && !self.case.status.is_open() && self.case.photo_outstanding();
            let (mark, style) = match current {
                Some(c) if step == c => ("▶", theme::focus()),
                _ if outstanding => ("!", theme::warn()),
                _ if self.case.step_done(step) => ("✓", theme::ok()),
                _ => ("·", theme::dim()),
            };
            let mut name = Span::styled(format!(" {}", s.step(step)), style);
            if step == self.viewing {
                name = name.style(theme::selected());
            }
            lines.push(Line::from(vec![Span::styled(mark, style), name]));
        }
        lines.push(Line::raw(""));
        let status = crate::text::case_label(s, Some(&self.case));
        lines.push(Line::styled(
            status,
            match self.case.status {
                CaseStatus::Open(_) | CaseStatus::AwaitingPhoto | CaseStatus::Deferred => {
                    theme::warn()
                }
                CaseStatus::Rejected => theme::error(),
                CaseStatus::Continued => theme::ok(),
            },
        ));
        if let Some(ask) = &self.case.awaiting {
            lines.push(Line::styled(s.awaiting_short, theme::warn()));
            lines.push(Line::styled(
                fill!(s.awaiting_since, time = ask.at.format("%H:%M")),
                theme::dim(),
            ));
        }
        Paragraph::new(lines)
            .block(Block::new().borders(Borders::RIGHT))
            .render(area, buf);
    }
}
