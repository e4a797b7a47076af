//! `loket doctor`: every check a technician would make on a kiosk, one finding a line, each
//! with what to do in the officer's language. The exit status says whether the kiosk can
//! serve: 0 yes, 1 yes with warnings, 2 no. Checks read and never write: the database is
//! opened read-only, the camera and scanner only opened and closed.

mod checks;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::text::Lang;

pub use checks::{clock_finding, disk_finding};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    pub fn mark(self) -> &'static str {
        match self {
            Level::Ok => "✓",
            Level::Warn => "!",
            Level::Fail => "✗",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable name for fleet tools: `config`, `database`, `camera`, …
    pub check: &'static str,
    pub level: Level,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: &'static str, message: String) -> Finding {
        Finding {
            check,
            level: Level::Ok,
            message,
            fix: None,
        }
    }
    fn warn(check: &'static str, message: String, fix: String) -> Finding {
        Finding {
            check,
            level: Level::Warn,
            message,
            fix: Some(fix),
        }
    }
    fn fail(check: &'static str, message: String, fix: String) -> Finding {
        Finding {
            check,
            level: Level::Fail,
            message,
            fix: Some(fix),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kiosk: String,
    pub at: DateTime<Utc>,
    pub exit: u8,
    pub findings: Vec<Finding>,
}

impl Report {
    fn new(kiosk: String, at: DateTime<Utc>, findings: Vec<Finding>) -> Report {
        let exit = match findings.iter().map(|f| f.level).max() {
            Some(Level::Fail) => 2,
            Some(Level::Warn) => 1,
            _ => 0,
        };
        Report {
            kiosk,
            at,
            exit,
            findings,
        }
    }

    /// The report as a technician reads it on the console.
    pub fn render(&self, lang: Lang) -> String {
        let s = lang.strings();
        let mut out = crate::text::fill(s.dr_title, &[&self.kiosk]);
        out.push('\n');
        for f in &self.findings {
            out.push_str(&format!("{} {}\n", f.level.mark(), f.message));
            if let Some(fix) = &f.fix {
                out.push_str(&format!("    → {}: {fix}\n", s.dr_fix));
            }
        }
        out.push_str(match self.exit {
            0 => s.dr_serve_ok,
            1 => s.dr_serve_warn,
            _ => s.dr_serve_fail,
        });
        out.push('\n');
        out
    }

    pub fn find(&self, check: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.check == check).collect()
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

/// Runs every check.
pub fn examine(options: &Options) -> Report {
    let s = options.lang.strings();
    let now = Utc::now();
    let dir = &options.data_dir;
    let mut findings = Vec::new();
    let config = checks::config(dir, s, &mut findings);
    let credential = checks::credential(dir, now, s, &mut findings);
    let kiosk = match (&credential, &config) {
        (Some(c), _) => format!("{} · {} {}", c.office.code, s.counter, c.counter),
        (None, Some(c)) => format!("{} · {} {}", c.office.code, s.counter, c.counter.number),
        (None, None) => dir.display().to_string(),
    };
    checks::database(dir, now, s, &mut findings);
    checks::permissions(dir, s, &mut findings);
    findings.push(checks::disk(dir, s));
    if let Some(config) = &config {
        findings.push(checks::scanner(&config.scanner, s));
        if options.camera {
            findings.push(checks::camera(&config.camera, s));
        }
    }
    if let Some(credential) = &credential {
        checks::pusat(dir, credential, s, &mut findings);
    }
    findings.push(checks::backup(dir, now, s));
    if options.service {
        findings.push(checks::service(s));
    }
    Report::new(kiosk, now, findings)
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

fn fill(template: &str, values: &[&dyn std::fmt::Display]) -> String {
    crate::text::fill(template, values)
}

#[cfg(test)]
mod tests;
