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

/// `loket report day`: the queue's day report, written where asked, or a summary.
pub(super) fn day_report(o: &Opened, args: &DayReportArgs) -> Result<(), CliError> {
    let day = day_or_today(o, args.day);
    let now = o.office.zone.local(SystemClock.now());
    let report = crate::counter::day_report(&o.store, day, now).map_err(|e| match e {
        crate::counter::CounterError::Store(e) => store_err(&o.dir)(e),
        other => CliError::Device(other.to_string()),
    })?;
    let write = |path: &Path, text: String| {
        crate::counter::write_whole(path, text.as_bytes()).map_err(|e| {
            CliError::Device(format!(
                "tidak dapat menulis {}: {e} / cannot write the report",
                path.display()
            ))
        })
    };
    if let Some(path) = &args.html {
        write(path, report.html())?;
    }
    if let Some(path) = &args.csv {
        write(path, report.csv())?;
    }
    let f = &report.figures;
    let mut out = Output::new();
    out.line(&report.summary())?;
    for l in &f.lines {
        out.line(&format!(
            "  {} {:<24} {:>4} nomor {:>4} selesai {:>4} tidak hadir",
            l.prefix, l.name, l.issued, l.done, l.no_show
        ))?;
    }
    Ok(())
}
