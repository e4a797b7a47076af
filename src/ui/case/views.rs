//! The read-mostly steps: check-in, photo and decision (with the fee summary).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::domain::case::{CheckInException, Decision, PhotoState};
use crate::domain::fees::{FeeError, FeeSummary};
use crate::domain::{Case, Step, format};
use crate::ui::{Lang, Strings, View, fill, theme};

pub fn render_step(
    step: Step,
    area: Rect,
    buf: &mut Buffer,
    case: &Case,
    fee: &Result<FeeSummary, FeeError>,
    view: &View<'_>,
) {
    let s = view.s;
    let reached = case.current_step().is_none_or(|c| c >= step);
    let mut lines = vec![Line::styled(s.step(step), theme::title())];
    if !reached {
        lines.push(Line::styled(s.not_yet, theme::dim()));
    } else {
        match step {
            Step::CheckIn => check_in(&mut lines, case, s, view.lang),
            Step::Photo => photo(&mut lines, case, s),
            Step::Decision => decision(&mut lines, case, fee, s),
            Step::Documents | Step::Interview => {}
        }
        if case.current_step().is_some_and(|c| c > step) {
            lines.push(Line::raw(""));
            lines.push(Line::styled(s.view_only, theme::dim()));
        }
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

fn check_in(lines: &mut Vec<Line<'static>>, case: &Case, s: &Strings, lang: Lang) {
    let at = case.checked_in_at;
    let when = format!(
        "{} {}",
        format::date_long(at.date_naive(), lang == Lang::Id),
        at.format("%H:%M")
    );
    lines.push(Line::raw(fill!(s.checked_in_at, time = when)));
    for e in &case.exceptions {
        let text = match e {
            CheckInException::OtherDay { booked } => {
                fill!(s.exception_other_day, day = format::date_short(*booked))
            }
            CheckInException::OtherOffice { booked } => {
                fill!(s.exception_other_office, office = booked)
            }
        };
        lines.push(Line::styled(text, theme::warn()));
    }
    if let Some(sup) = &case.documents_override {
        lines.push(Line::styled(
            fill!(s.override_by, supervisor = sup),
            theme::warn(),
        ));
    }
}

fn photo(lines: &mut Vec<Line<'static>>, case: &Case, s: &Strings) {
    match &case.photo {
        PhotoState::NotTaken => lines.push(Line::raw(s.photo_no_camera)),
        PhotoState::Pending => lines.push(Line::styled(s.photo_recorded, theme::warn())),
        PhotoState::Taken {
            sha256,
            failed_checks,
            accepted_because,
        } => {
            lines.push(Line::styled(
                fill!(s.photo_taken, hash = &sha256[..12.min(sha256.len())]),
                theme::ok(),
            ));
            if let Some(reason) = accepted_because {
                lines.push(Line::styled(
                    fill!(
                        s.photo_accepted_because,
                        checks = failed_checks
                            .iter()
                            .map(|c| {
                                crate::photo::Check::from_code(c).map_or(c.as_str(), |c| {
                                    crate::text::scan::photo_check_name(c, s)
                                })
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                        reason = reason
                    ),
                    theme::warn(),
                ));
            }
        }
    }
}

fn money_line(label: &str, amount: i64) -> Line<'static> {
    Line::from(vec![
        Span::raw(format!("  {label:<34}")),
        Span::raw(format!("{:>14}", format::rupiah(amount))),
    ])
}

fn decision(
    lines: &mut Vec<Line<'static>>,
    case: &Case,
    fee: &Result<FeeSummary, FeeError>,
    s: &Strings,
) {
    let fee = match (&case.decision, fee) {
        (Some(Decision::Continue { fee, .. }), _) => Ok(fee),
        (_, Ok(fee)) => Ok(fee),
        (_, Err(e)) => Err(e),
    };
    match fee {
        Ok(fee) => {
            for (item, amount) in &fee.lines {
                lines.push(money_line(s.fee(*item), *amount));
            }
            lines.push(Line::styled(
                money_line(s.fee_total, fee.total).to_string(),
                theme::title(),
            ));
            // Nothing received reads as "not paid", not as an amount.
            lines.push(match fee.paid {
                0 => Line::raw(format!("  {:<34}{:>14}", s.fee_paid, s.not_paid)),
                paid => money_line(s.fee_paid, paid),
            });
            let diff = fee.difference();
            lines.push(match diff {
                0 => Line::styled(s.fee_ok, theme::ok()),
                d if d > 0 => {
                    Line::styled(fill!(s.fee_due, amount = format::rupiah(d)), theme::error())
                }
                d => Line::styled(
                    fill!(s.fee_over, amount = format::rupiah(-d)),
                    theme::warn(),
                ),
            });
        }
        Err(e) => lines.push(Line::styled(
            crate::text::fee_error_text(e, s),
            theme::error(),
        )),
    }
    // The billing code to pay with, and the payments proved here.
    if let Some(code) = &case.billing_code {
        lines.push(Line::raw(format!("  {}: {code}", s.f_billing)));
    }
    for p in &case.payments {
        lines.push(Line::styled(
            fill!(
                s.payment_line,
                amount = format::rupiah(p.amount),
                ntpn = p.ntpn,
                officer = p.by,
                time = p.at.format("%H:%M")
            ),
            theme::ok(),
        ));
    }
    // Every red flag of the interview, where the decision is made.
    if !case.interview.red_flags.is_empty() {
        let names: Vec<&str> = case
            .interview
            .red_flags
            .iter()
            .map(|f| s.red_flag(*f))
            .collect();
        lines.push(Line::styled(
            fill!(s.flags_at_decision, flags = names.join(", ")),
            theme::error(),
        ));
    }
    lines.push(Line::raw(""));
    match &case.decision {
        None => lines.push(Line::styled(s.decide_hint, theme::focus())),
        Some(d) => {
            let label = crate::text::case_label(s, Some(case));
            lines.push(Line::styled(
                fill!(s.decision_made, decision = label),
                theme::title(),
            ));
            match d {
                Decision::Continue { .. } => {}
                Decision::Defer { missing, note } => {
                    let list: Vec<&str> = missing.iter().map(|k| s.doc(*k)).collect();
                    let list = if list.is_empty() {
                        s.none.to_owned()
                    } else {
                        list.join(", ")
                    };
                    lines.push(Line::raw(fill!(s.defer_bring, documents = list)));
                    if !note.is_empty() {
                        lines.push(Line::raw(format!("{}: {note}", s.defer_note)));
                    }
                }
                Decision::Reject { reason, supervisor } => {
                    lines.push(Line::raw(format!("{}: {reason}", s.reject_reason)));
                    lines.push(Line::raw(format!("{}: {supervisor}", s.supervisor_title)));
                }
            }
        }
    }
}
