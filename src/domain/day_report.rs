//! The day report: the board's figures for a whole office day, per line, per counter, per
//! officer and per hour, as one self-contained HTML file (charts as inline SVG, laid out
//! for A4) and as CSV, one row per ticket with every timestamp. The counter writes it from
//! the tickets it holds (`loket report day`, and when a supervisor closes the day), pusat
//! from its own (`pusat report day`): the same tickets give the same report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::queue::{self, DayFigures, QueueRules, Ticket, TicketState};

/// A case's milestone: the event kinds that end a step, with when.
pub type Milestone = (uuid::Uuid, String, DateTime<FixedOffset>);

/// Median and 90th percentile minutes of each step of the cases in `milestones` (the
/// `case.*` events that open and close the steps): documents from check-in to documents
/// complete, the interview from there to interview complete, the photo from there to the
/// photo (or "pending"), the decision from there to the decision.
pub fn step_times(
    milestones: &[Milestone],
) -> Vec<(crate::domain::Step, Option<i64>, Option<i64>)> {
    use crate::domain::Step;
    let mut by_case: BTreeMap<uuid::Uuid, BTreeMap<&str, DateTime<FixedOffset>>> = BTreeMap::new();
    for (case, kind, at) in milestones {
        by_case
            .entry(*case)
            .or_default()
            .entry(kind.as_str())
            .and_modify(|t| *t = (*t).min(*at))
            .or_insert(*at);
    }
    let spans: [(Step, &[&str], &[&str]); 4] = [
        (
            Step::Documents,
            &["case.check_in"],
            &["case.complete_documents"],
        ),
        (
            Step::Interview,
            &["case.complete_documents"],
            &["case.complete_interview"],
        ),
        (
            Step::Photo,
            &["case.complete_interview"],
            &["case.photo", "case.photo_pending"],
        ),
        (
            Step::Decision,
            &["case.photo", "case.photo_pending"],
            &["case.decide"],
        ),
    ];
    spans
        .iter()
        .map(|(step, from, to)| {
            let mut minutes: Vec<i64> = by_case
                .values()
                .filter_map(|m| {
                    let start = from.iter().filter_map(|k| m.get(k)).min()?;
                    let end = to.iter().filter_map(|k| m.get(k)).min()?;
                    Some((*end - *start).num_minutes().max(0))
                })
                .collect();
            minutes.sort_unstable();
            (
                *step,
                queue::percentile(&minutes, 50),
                queue::percentile(&minutes, 90),
            )
        })
        .collect()
}

/// One officer's day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfficerFigures {
    pub officer: String,
    pub called: usize,
    pub served: usize,
    pub no_show: usize,
    pub median_service: Option<i64>,
}

/// Everything the report shows, computed once.
#[derive(Debug, Clone)]
pub struct DayReport {
    pub office: String,
    pub day: NaiveDate,
    /// The moment the figures stand at (the end of the day, or now for today).
    pub at: DateTime<FixedOffset>,
    pub figures: DayFigures,
    pub officers: Vec<OfficerFigures>,
    /// Tickets closed with the day (no-shows by the close, not by a counter).
    pub closed_with_day: usize,
    pub cancelled: usize,
    pub tickets: Vec<Ticket>,
    /// Minutes per step of the day's cases (median, p90), when the source knows them.
    pub steps: Vec<(crate::domain::Step, Option<i64>, Option<i64>)>,
}

impl DayReport {
    /// The report of `tickets` (one office's, of `day`) at `at`.
    pub fn new(
        office: &str,
        day: NaiveDate,
        mut tickets: Vec<Ticket>,
        rules: &QueueRules,
        at: DateTime<FixedOffset>,
    ) -> DayReport {
        tickets.retain(|t| t.day == day);
        tickets.sort_by_key(|t| (t.issued_at, t.line.clone(), t.number));
        let figures = queue::figures(&tickets, rules, at);
        let mut officers: BTreeMap<&str, (OfficerFigures, Vec<i64>)> = BTreeMap::new();
        for t in &tickets {
            let Some(officer) = t.officer.as_deref() else {
                continue;
            };
            let (o, times) = officers.entry(officer).or_default();
            o.called += 1;
            match t.state {
                TicketState::Done => {
                    o.served += 1;
                    if let Some(m) = service_minutes(t) {
                        times.push(m);
                    }
                }
                TicketState::NoShow => o.no_show += 1,
                _ => {}
            }
        }
        let officers = officers
            .into_iter()
            .map(|(name, (mut o, mut times))| {
                times.sort_unstable();
                o.officer = name.to_owned();
                o.median_service = queue::percentile(&times, 50);
                o
            })
            .collect();
        DayReport {
            office: office.to_owned(),
            day,
            at,
            closed_with_day: tickets
                .iter()
                .filter(|t| t.reason.as_deref() == Some(queue::DAY_CLOSED))
                .count(),
            cancelled: tickets
                .iter()
                .filter(|t| t.state == TicketState::Cancelled)
                .count(),
            figures,
            officers,
            tickets,
            steps: Vec::new(),
        }
    }

    /// The report with the step times of the day's cases.
    pub fn with_steps(mut self, milestones: &[Milestone]) -> DayReport {
        self.steps = step_times(milestones);
        self
    }

    /// One line for a terminal: the day's counts.
    pub fn summary(&self) -> String {
        let f = &self.figures;
        format!(
            "{} {}: {} nomor, {} selesai, {} tidak hadir ({} ditutup bersama hari), {} batal, {} menunggu",
            self.office,
            self.day,
            f.issued,
            f.done,
            f.no_show,
            self.closed_with_day,
            self.cancelled,
            f.waiting
        )
    }

    /// One row per ticket, every timestamp in RFC 3339 with the office's offset.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "ticket,number,line,transferred_from,booking,state,reason,issued_by,issued_at,\
             called_at,calls,counter,officer,serving_at,closed_at,wait_minutes,service_minutes\n",
        );
        let time = |t: Option<DateTime<FixedOffset>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
        for t in &self.tickets {
            let fields = [
                t.id.to_string(),
                t.label(),
                t.line.clone(),
                t.transferred_from.clone().unwrap_or_default(),
                t.booking.clone().unwrap_or_default(),
                t.state.label().to_owned(),
                t.reason.clone().unwrap_or_default(),
                t.issued_by.to_string(),
                t.issued_at.to_rfc3339(),
                time(t.called_at),
                t.calls.to_string(),
                t.counter.map(|c| c.to_string()).unwrap_or_default(),
                t.officer.clone().unwrap_or_default(),
                time(t.serving_at),
                time(t.closed_at),
                t.called_at
                    .map(|_| t.wait_minutes(self.at).to_string())
                    .unwrap_or_default(),
                service_minutes(t)
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            ];
            let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }

    /// The report as one HTML page with its style and charts inside, for screen and A4.
    pub fn html(&self) -> String {
        let f = &self.figures;
        let mut h = String::new();
        let title = format!(
            "Laporan harian antrean · {} · {}",
            esc(&self.office),
            self.day.format("%d-%m-%Y")
        );
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
             <p class=\"sub\">Daily queue report · per {} · {} tiket</p>\n",
            self.at.format("%H:%M %:z"),
            self.tickets.len()
        );
        let total = |n: usize| match (n * 100).checked_div(f.issued) {
            Some(share) => format!("{n} ({share}%)"),
            None => "–".to_owned(),
        };
        h.push_str("<section><h2>Ringkasan <small>Summary</small></h2>\n<table class=\"kv\">");
        for (k, v) in [
            ("Nomor diberikan / issued", f.issued.to_string()),
            ("Selesai dilayani / served", total(f.done)),
            ("Tidak hadir / no-show", total(f.no_show)),
            (
                "… di antaranya ditutup bersama hari / closed with the day",
                self.closed_with_day.to_string(),
            ),
            ("Dibatalkan / cancelled", self.cancelled.to_string()),
            ("Masih menunggu / still waiting", f.waiting.to_string()),
            (
                "Waktu layanan median · p90 / service time",
                format!("{} · {}", minutes(f.median_service), minutes(f.p90_service)),
            ),
        ] {
            let _ = write!(h, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
        }
        h.push_str("</table></section>\n");

        h.push_str(
            "<section><h2>Per jalur <small>Per line</small></h2>\n<table><tr><th>Jalur</th>\
             <th>Diberikan</th><th>Selesai</th><th>Tidak hadir</th><th>Batal</th>\
             <th>Menunggu</th><th>Tunggu median</th><th>p90</th><th>Dalam target</th></tr>",
        );
        for l in &f.lines {
            let _ = write!(
                h,
                "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&l.prefix),
                esc(&l.name),
                l.issued,
                l.done,
                l.no_show,
                l.cancelled,
                l.waiting,
                minutes(l.median_wait),
                minutes(l.p90_wait),
                l.within_target.map_or("–".into(), |p| format!("{p}%")),
            );
        }
        h.push_str("</table>\n");
        let waits: Vec<(String, u64)> = f
            .lines
            .iter()
            .map(|l| (l.prefix.clone(), l.median_wait.unwrap_or(0).max(0) as u64))
            .collect();
        h.push_str(&bar_chart(&waits, "Tunggu median per jalur (menit)"));
        h.push_str("</section>\n");

        h.push_str(
            "<section><h2>Per loket <small>Per counter</small></h2>\n<table><tr><th>Loket</th>\
             <th>Petugas terakhir</th><th>Selesai</th><th>Layanan median</th></tr>",
        );
        for c in &f.counters {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.counter,
                esc(c.officer.as_deref().unwrap_or("–")),
                c.served,
                minutes(c.median_service)
            );
        }
        h.push_str("</table></section>\n");

        h.push_str(
            "<section><h2>Per petugas <small>Per officer</small></h2>\n<table><tr>\
             <th>Petugas</th><th>Dipanggil</th><th>Selesai</th><th>Tidak hadir</th>\
             <th>Layanan median</th></tr>",
        );
        for o in &self.officers {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&o.officer),
                o.called,
                o.served,
                o.no_show,
                minutes(o.median_service)
            );
        }
        h.push_str("</table></section>\n");

        if !self.steps.is_empty() {
            h.push_str(
                "<section><h2>Waktu per langkah <small>Time per step</small></h2>\n<table>\
                 <tr><th>Langkah</th><th>Median</th><th>p90</th></tr>",
            );
            for (step, median, p90) in &self.steps {
                let name = match step {
                    crate::domain::Step::CheckIn => "Check-in",
                    crate::domain::Step::Documents => "Verifikasi berkas",
                    crate::domain::Step::Interview => "Wawancara",
                    crate::domain::Step::Photo => "Foto",
                    crate::domain::Step::Decision => "Keputusan",
                };
                let _ = write!(
                    h,
                    "<tr><td>{name}</td><td>{}</td><td>{}</td></tr>",
                    minutes(*median),
                    minutes(*p90)
                );
            }
            h.push_str("</table></section>\n");
        }
        h.push_str("<section><h2>Per jam <small>Served per hour</small></h2>\n");
        let hours: Vec<(String, u64)> = f
            .per_hour
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("{:02}", queue::FIRST_HOUR as usize + i), *n))
            .collect();
        h.push_str(&bar_chart(&hours, "Selesai dilayani per jam"));
        h.push_str("</section>\n");
        let _ = write!(
            h,
            "<footer>Loket {} · dibuat {} · jumlah dari peristiwa tiket yang diketahui \
             sumber laporan</footer>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION"),
            self.at.format("%Y-%m-%d %H:%M %:z")
        );
        h
    }
}

/// Minutes from serving to done, for a served ticket.
fn service_minutes(t: &Ticket) -> Option<i64> {
    match (t.state, t.serving_at, t.closed_at) {
        (TicketState::Done, Some(from), Some(to)) => Some((to - from).num_minutes().max(0)),
        _ => None,
    }
}

fn minutes(m: Option<i64>) -> String {
    m.map_or("–".to_owned(), |m| format!("{m} mnt"))
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10pt;\
margin:1.5cm;color:#111}h1{font-size:15pt;margin:0}h2{font-size:12pt;margin:1em 0 .3em;\
border-bottom:1px solid #888}h2 small,.sub{color:#555;font-weight:normal}table{\
border-collapse:collapse;margin:.3em 0}th,td{border:1px solid #bbb;padding:2px 6px;\
text-align:right}th:first-child,td:first-child{text-align:left}table.kv th{text-align:left;\
font-weight:normal}section{break-inside:avoid}svg{display:block;margin:.4em 0}\
footer{margin-top:2em;color:#555;font-size:8pt}@page{size:A4;margin:1.5cm}\
@media print{body{margin:0}}";

/// A bar chart as inline SVG: one bar a label, the value over it.
fn bar_chart(bars: &[(String, u64)], title: &str) -> String {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let (w, h, bw) = (560u64, 140u64, 560 / (bars.len().max(1) as u64));
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" role=\"img\" \
         aria-label=\"{}\"><title>{}</title>",
        h + 34,
        esc(title),
        esc(title)
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let x = i as u64 * bw;
        let bh = value * h / max;
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{bh}\" fill=\"#3b6ea5\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{value}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x + 4,
            h - bh + 14,
            bw.saturating_sub(8),
            x + bw / 2,
            h - bh + 10,
            x + bw / 2,
            h + 28,
            esc(label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Text made safe inside HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A CSV field, quoted when it holds a comma, quote or line end (RFC 4180); a field a
/// spreadsheet would take as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return; OWASP's list) is kept as text by a leading quote, unless it is a plain
/// number (a negative count stays a number).
pub fn csv_field(text: &str) -> String {
    let number = text.parse::<f64>().is_ok_and(f64::is_finite)
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.');
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::queue::{TicketAction, TicketEvent};
    use uuid::Uuid;

    fn at(hm: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("2026-11-26T{hm}:00+07:00")).unwrap()
    }

    fn ticket(line: &str, number: u32, issued: &str) -> Ticket {
        let event = TicketEvent {
            ticket: Uuid::now_v7(),
            counter: 1,
            action: TicketAction::Issue {
                day: at("08:00").date_naive(),
                line: line.into(),
                number,
                booking: None,
            },
        };
        Ticket::issue(&event, at(issued)).unwrap()
    }

    fn act(t: &mut Ticket, counter: u32, action: TicketAction, officer: &str, when: &str) {
        let event = TicketEvent {
            ticket: t.id,
            counter,
            action,
        };
        t.apply(&event, officer, at(when)).unwrap();
    }

    fn day() -> Vec<Ticket> {
        let mut served = ticket("A", 1001, "08:00");
        act(&mut served, 1, TicketAction::Call, "budi", "08:10");
        act(&mut served, 1, TicketAction::Serve, "budi", "08:11");
        act(&mut served, 1, TicketAction::Finish, "budi", "08:31");
        let mut absent = ticket("A", 1002, "08:05");
        act(&mut absent, 2, TicketAction::Call, "sari", "08:20");
        act(&mut absent, 2, TicketAction::NoShow, "sari", "08:25");
        let mut left = ticket("P", 1001, "09:00");
        act(&mut left, 9, TicketAction::CloseDay, "kepala", "16:00");
        vec![served, absent, left]
    }

    #[test]
    fn counts_agree_with_the_tickets() {
        let rules = QueueRules::default();
        let r = DayReport::new("JKS", at("08:00").date_naive(), day(), &rules, at("16:05"));
        assert_eq!(r.figures.issued, 3);
        assert_eq!(r.figures.done, 1);
        assert_eq!(r.figures.no_show, 2);
        assert_eq!(r.closed_with_day, 1);
        assert_eq!(r.figures.waiting, 0);
        let budi = r.officers.iter().find(|o| o.officer == "budi").unwrap();
        assert_eq!(
            (budi.called, budi.served, budi.median_service),
            (1, 1, Some(20))
        );
        assert_eq!(
            r.figures.per_hour[1], 1,
            "done at 08:31 counts in the 08 hour"
        );
    }

    #[test]
    fn csv_has_a_row_per_ticket_with_its_times() {
        let rules = QueueRules::default();
        let r = DayReport::new("JKS", at("08:00").date_naive(), day(), &rules, at("16:05"));
        let csv = r.csv();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 4, "{csv}");
        assert!(rows[1].contains(",A-1001,"), "{}", rows[1]);
        assert!(rows[1].contains("2026-11-26T08:31:00+07:00"), "{}", rows[1]);
        assert!(rows[3].contains(",no_show,day closed,"), "{}", rows[3]);
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        // Each of OWASP's formula starts, as a counter's cancel reason once came out.
        for cell in ["-2+3+cmd|' /C calc'!A0", "+1", "@SUM(A1)", "\tx", "\r=1"] {
            assert!(
                csv_field(cell).trim_start_matches('"').starts_with('\''),
                "{cell:?}"
            );
        }
        assert_eq!(csv_field("-5"), "-5", "a negative number stays a number");
    }

    #[test]
    fn html_stands_alone_and_escapes() {
        let rules = QueueRules::default();
        let r = DayReport::new(
            "<JKS>",
            at("08:00").date_naive(),
            day(),
            &rules,
            at("16:05"),
        );
        let html = r.html();
        assert!(html.contains("&lt;JKS&gt;") && !html.contains("<JKS>"));
        assert!(html.contains("<svg") && html.contains("@page{size:A4"));
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
        assert!(html.contains("<td>budi</td><td>1</td><td>1</td><td>0</td><td>20 mnt</td>"));
    }
}

#[cfg(test)]
mod step_tests {
    use super::*;

    #[test]
    fn each_step_runs_from_the_end_of_the_one_before() {
        let at =
            |hm: &str| DateTime::parse_from_rfc3339(&format!("2026-11-26T{hm}:00+07:00")).unwrap();
        let a = uuid::Uuid::now_v7();
        let b = uuid::Uuid::now_v7();
        let m = |case, kind: &str, hm| (case, kind.to_owned(), at(hm));
        let milestones = vec![
            m(a, "case.check_in", "08:00"),
            m(a, "case.complete_documents", "08:06"),
            m(a, "case.complete_interview", "08:10"),
            m(a, "case.photo", "08:12"),
            m(a, "case.decide", "08:13"),
            m(b, "case.check_in", "09:00"),
            m(b, "case.complete_documents", "09:10"),
            // b is still in its interview: no interview time yet.
        ];
        let times = step_times(&milestones);
        use crate::domain::Step;
        assert_eq!(times[0], (Step::Documents, Some(6), Some(10)));
        assert_eq!(times[1], (Step::Interview, Some(4), Some(4)));
        assert_eq!(times[2], (Step::Photo, Some(2), Some(2)));
        assert_eq!(times[3], (Step::Decision, Some(1), Some(1)));
    }
}
