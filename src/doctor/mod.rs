//! `loket doctor`: every check a technician would make on a kiosk, one finding a line, each
//! with what to do in the officer's language. The exit status says whether the kiosk can
//! serve: 0 yes, 1 yes with warnings, 2 no. Checks read and never write: the database is
//! opened read-only, the camera and scanner only opened and closed.

mod checks;

use std::path::{Path, PathBuf};

use chrono::Utc;

use crate::text::Lang;

pub use checks::{clock_finding, disk_finding, retention_finding, secret_in};

pub use crate::checkup::{Finding, Level, Report};

impl Report {
    /// The report as a technician reads it on the console, in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let s = lang.strings();
        self.render_with(
            &crate::text::fill!(s.dr_title, subject = self.subject),
            s.dr_fix,
            [s.dr_serve_ok, s.dr_serve_warn, s.dr_serve_fail],
        )
    }
}

/// What the checks look at.
#[derive(Debug, Clone)]
pub struct Options {
    pub data_dir: PathBuf,
    pub lang: Lang,
    /// Open the camera and take a frame (off in tests of other checks: it takes seconds).
    pub camera: bool,
    /// Ask systemd about loket.service.
    pub service: bool,
}

/// Runs every check, the report in `options.lang`.
pub fn examine(options: &Options) -> Report {
    let mut reports = examine_in(options, &[options.lang]);
    reports.remove(0)
}

/// Runs every check once and writes the report in each of `langs` (the technician's screen
/// keeps both, for F2). pusat is asked once, whatever the number of languages.
pub fn examine_in(options: &Options, langs: &[Lang]) -> Vec<Report> {
    let now = Utc::now();
    let dir = &options.data_dir;
    let probe = crate::sync::Credential::load(dir)
        .ok()
        .flatten()
        .map(|c| checks::probe(dir, &c));
    langs
        .iter()
        .map(|lang| {
            let s = lang.strings();
            let mut findings = Vec::new();
            let config = checks::config(dir, s, &mut findings);
            let credential = checks::credential(dir, now, s, &mut findings);
            let kiosk = match (&credential, &config) {
                (Some(c), _) => format!("{} · {} {}", c.office.code, s.counter, c.counter),
                (None, Some(c)) => {
                    format!("{} · {} {}", c.office.code, s.counter, c.counter.number)
                }
                (None, None) => dir.display().to_string(),
            };
            checks::database(dir, now, s, &mut findings);
            checks::permissions(dir, s, &mut findings);
            findings.push(checks::secret(dir, s));
            findings.extend(checks::device_key(dir, s));
            findings.push(checks::disk(dir, s));
            if let Some(config) = &config {
                findings.push(checks::scanner(&config.scanner, s));
                findings.push(checks::printer(&config.printer, s));
                if options.camera {
                    findings.push(checks::camera(&config.camera, s));
                }
            }
            if let (Some(credential), Some(probe)) = (&credential, &probe) {
                checks::pusat(credential, probe, s, &mut findings);
            }
            findings.push(checks::backup(dir, now, s));
            if options.service {
                findings.push(checks::service(s));
            }
            Report::new(kiosk, now, findings)
        })
        .collect()
}

/// `loket doctor`'s language: `--lang`, else the configured one.
pub fn language(dir: &Path, flag: Option<&str>) -> Lang {
    match flag {
        Some(l) => Lang::parse(l),
        None => crate::config::Config::load(dir)
            .map(|c| Lang::parse(&c.ui.language))
            .unwrap_or(Lang::Id),
    }
}

fn mb(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

#[cfg(test)]
mod tests;
