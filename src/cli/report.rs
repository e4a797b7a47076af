//! Lists for scripts and supervisors: `loket bookings list`, `loket cases export`.

use super::*;

#[derive(Serialize)]
struct BookingLine {
    code: String,
    office: String,
    day: NaiveDate,
    slot: String,
    applicants: usize,
    decided: usize,
    status: QueueStatus,
    walk_in: bool,
}

pub(super) fn list_bookings(o: &Opened, args: &DayArgs) -> Result<(), CliError> {
    let day = day_or_today(o, args.day);
    let rows = o.store.bookings_on(day).map_err(store_err(&o.dir))?;
    let lines: Vec<BookingLine> = rows
        .iter()
        .map(|(r, b)| BookingLine {
            code: r.code.to_string(),
            office: b.office.clone(),
            day: r.day,
            slot: r.slot.format("%H:%M").to_string(),
            applicants: r.applicants,
            decided: r.decided,
            status: r.status(),
            walk_in: r.walk_in,
        })
        .collect();
    let mut out = Output::new();
    if args.json {
        return out.line(&serde_json::to_string_pretty(&lines)?);
    }
    let s = Lang::parse(&o.config.ui.language).strings();
    out.line(&format!(
        "{:<11}  {:<6}  {:<5}  {:>10}  STATUS",
        "KODE", "KANTOR", "JAM", "PEMOHON"
    ))?;
    for l in &lines {
        out.line(&format!(
            "{:<11}  {:<6}  {:<5}  {:>10}  {}",
            l.code,
            l.office,
            l.slot,
            format!("{}/{}", l.decided, l.applicants),
            crate::text::queue_status(s, l.status)
        ))?;
    }
    Ok(())
}

/// Standard output that ends quietly when its reader goes away (`loket … | head`).
struct Output(std::io::StdoutLock<'static>);

impl Output {
    fn new() -> Output {
        Output(std::io::stdout().lock())
    }

    fn line(&mut self, text: &str) -> Result<(), CliError> {
        use std::io::Write;
        writeln!(self.0, "{text}").map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => CliError::Closed,
            _ => CliError::Terminal(e),
        })
    }
}

pub(super) fn export_cases(o: &Opened, args: &DayArgs) -> Result<(), CliError> {
    let day = day_or_today(o, args.day);
    let cases = o.store.export_cases(day).map_err(store_err(&o.dir))?;
    let mut out = Output::new();
    if args.json {
        return out.line(&serde_json::to_string_pretty(&cases)?);
    }
    let s = Lang::parse(&o.config.ui.language).strings();
    out.line(&format!(
        "{:<11}  {:<10}  {:>7}  {:<16}  {:>9}  STATUS",
        "KODE", "DIPESAN", "PEMOHON", "CHECK-IN", "PERISTIWA"
    ))?;
    for c in &cases {
        out.line(&format!(
            "{:<11}  {:<10}  {:>7}  {:<16}  {:>9}  {}",
            c.case.booking.to_string(),
            c.booked.format("%d/%m/%Y"),
            c.case.applicant + 1,
            c.case.checked_in_at.format("%d/%m/%Y %H:%M"),
            c.history.len(),
            crate::text::case_label(s, Some(&c.case))
        ))?;
    }
    Ok(())
}
