//! A health report: findings, each ✓ / ! / ✗ with its fix, and the exit status they add up
//! to (0 fine, 1 warnings, 2 cannot serve). `loket doctor` and `pusat doctor` both write
//! one.

use chrono::{DateTime, Utc};
use serde::Serialize;

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
    pub fn ok(check: &'static str, message: String) -> Finding {
        Finding {
            check,
            level: Level::Ok,
            message,
            fix: None,
        }
    }
    pub fn warn(check: &'static str, message: String, fix: String) -> Finding {
        Finding {
            check,
            level: Level::Warn,
            message,
            fix: Some(fix),
        }
    }
    pub fn fail(check: &'static str, message: String, fix: String) -> Finding {
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
    /// What was examined: the kiosk (office and counter) or the server.
    pub subject: String,
    pub at: DateTime<Utc>,
    pub exit: u8,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn new(subject: String, at: DateTime<Utc>, findings: Vec<Finding>) -> Report {
        let exit = match findings.iter().map(|f| f.level).max() {
            Some(Level::Fail) => 2,
            Some(Level::Warn) => 1,
            _ => 0,
        };
        Report {
            subject,
            at,
            exit,
            findings,
        }
    }

    /// The report as a person reads it: `title`, a line per finding with its fix after
    /// `fix`, and the verdict for exit 0, 1 and 2.
    pub fn render_with(&self, title: &str, fix_word: &str, verdicts: [&str; 3]) -> String {
        let mut out = title.to_owned();
        out.push('\n');
        for f in &self.findings {
            out.push_str(&format!("{} {}\n", f.level.mark(), f.message));
            if let Some(fix) = &f.fix {
                out.push_str(&format!("    → {fix_word}: {fix}\n"));
            }
        }
        out.push_str(verdicts[usize::from(self.exit.min(2))]);
        out.push('\n');
        out
    }

    pub fn find(&self, check: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.check == check).collect()
    }
}
