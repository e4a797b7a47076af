//! An office and its time zone. Indonesia has three zones and no daylight saving
//! (Keppres 41/1987): WIB UTC+7, WITA UTC+8, WIT UTC+9. "Today" at a counter is the
//! office's local day, whatever the machine's clock zone is.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

const fn hours(h: i32) -> FixedOffset {
    match FixedOffset::east_opt(h * 3600) {
        Some(offset) => offset,
        None => panic!("offset out of range"), // evaluated at compile time
    }
}
const WIB: FixedOffset = hours(7);
const WITA: FixedOffset = hours(8);
const WIT: FixedOffset = hours(9);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Zone {
    Wib,
    Wita,
    Wit,
}

impl Zone {
    /// Accepts WIB/WITA/WIT or the IANA names Indonesia uses.
    pub fn parse(s: &str) -> Option<Zone> {
        match s.trim() {
            "WIB" | "Asia/Jakarta" | "Asia/Pontianak" => Some(Zone::Wib),
            "WITA" | "Asia/Makassar" => Some(Zone::Wita),
            "WIT" | "Asia/Jayapura" => Some(Zone::Wit),
            _ => None,
        }
    }
    pub fn offset(self) -> FixedOffset {
        match self {
            Zone::Wib => WIB,
            Zone::Wita => WITA,
            Zone::Wit => WIT,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }
    pub fn local(self, now: DateTime<Utc>) -> DateTime<FixedOffset> {
        now.with_timezone(&self.offset())
    }
    pub fn today(self, now: DateTime<Utc>) -> NaiveDate {
        self.local(now).date_naive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub code: String,
    pub name: String,
    pub zone: Zone,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_day_differs_by_zone() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T16:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(Zone::Wib.today(now).to_string(), "2026-11-25");
        assert_eq!(Zone::Wita.today(now).to_string(), "2026-11-26");
        assert_eq!(Zone::Wit.today(now).to_string(), "2026-11-26");
        assert_eq!(Zone::parse("Asia/Makassar"), Some(Zone::Wita));
        assert_eq!(Zone::parse("Europe/Paris"), None);
    }
}
