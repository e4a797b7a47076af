use super::*;
use crate::text::Lang;

const GIB: u64 = 1024 * 1024 * 1024;

#[test]
fn disk_space_is_judged_by_what_is_left() {
    let s = Lang::Id.strings();
    assert_eq!(disk_finding(50 * GIB, 100 * GIB, s).level, Level::Ok);
    let low = disk_finding(GIB, 100 * GIB, s);
    assert_eq!(low.level, Level::Warn);
    assert!(low.message.contains("1024 MB"), "{}", low.message);
    let full = disk_finding(100 * 1024 * 1024, 100 * GIB, s);
    assert_eq!(full.level, Level::Fail);
    assert!(full.fix.as_deref().unwrap_or("").contains("journalctl"));
}

#[test]
fn clock_skew_warns_at_thirty_seconds_and_fails_at_two_minutes() {
    let s = Lang::Id.strings();
    let at = |secs| clock_finding(Some(chrono::TimeDelta::seconds(secs)), s).level;
    assert_eq!(at(3), Level::Ok);
    assert_eq!(at(-29), Level::Ok);
    assert_eq!(at(30), Level::Warn);
    assert_eq!(at(-90), Level::Warn);
    assert_eq!(at(120), Level::Fail);
    assert_eq!(at(-3600), Level::Fail);
    let unknown = clock_finding(None, s);
    assert_eq!(unknown.level, Level::Warn);
    assert!(
        clock_finding(Some(chrono::TimeDelta::seconds(300)), s)
            .fix
            .is_some_and(|f| f.contains("timedatectl"))
    );
}

#[test]
fn configuration_values_out_of_range_are_each_named() {
    let mut c = crate::config::Config::defaults();
    assert_eq!(checks::out_of_range(&c), Vec::<String>::new());
    c.counter.number = 0;
    c.scanner.baud = 1234;
    c.camera.fps = 0;
    c.scanner.usb = "05e0-1200".into();
    let bad = checks::out_of_range(&c);
    assert_eq!(bad.len(), 4, "{bad:?}");
    assert!(bad[0].starts_with("counter.number = 0"));
    assert!(bad.iter().any(|b| b.starts_with("scanner.baud = 1234")));
    assert!(bad.iter().any(|b| b.starts_with("scanner.usb")));
}

#[test]
fn the_exit_status_is_the_worst_finding() {
    let ok = Finding::ok("a", "fine".into());
    let warn = Finding::warn("b", "hm".into(), "do x".into());
    let fail = Finding::fail("c", "no".into(), "do y".into());
    let at = chrono::Utc::now();
    assert_eq!(Report::new("k".into(), at, vec![ok.clone()]).exit, 0);
    assert_eq!(
        Report::new("k".into(), at, vec![ok.clone(), warn.clone()]).exit,
        1
    );
    let worst = Report::new("k".into(), at, vec![warn, fail, ok]);
    assert_eq!(worst.exit, 2);
    let text = worst.render(Lang::En);
    assert!(text.contains("✗ no\n    → Fix: do y"), "{text}");
    assert!(text.ends_with("The kiosk CANNOT serve yet: fix what is marked ✗.\n"));
}

#[test]
fn the_printer_is_checked_when_there_is_one() {
    use crate::devices::printer::PrinterConfig;
    let s = Lang::Id.strings();
    let none = checks::printer(&PrinterConfig::default(), s);
    assert_eq!(none.level, Level::Ok);
    assert!(
        none.message.contains("ditampilkan besar"),
        "{}",
        none.message
    );
    let writable = PrinterConfig {
        port: "/dev/null".into(),
        ..PrinterConfig::default()
    };
    assert_eq!(checks::printer(&writable, s).level, Level::Ok);
    let missing = PrinterConfig {
        port: "/dev/loket-no-printer".into(),
        ..PrinterConfig::default()
    };
    let f = checks::printer(&missing, s);
    assert_eq!(f.level, Level::Fail);
    assert!(f.fix.as_deref().unwrap_or("").contains("grup lp"), "{f:?}");
}

#[test]
fn the_retention_and_its_last_purge_are_shown_and_a_late_purge_warns() {
    let s = Lang::Id.strings();
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let fresh = retention_finding(30, Some(day(26)), 40, day(27), s);
    assert_eq!(fresh.level, Level::Ok);
    assert!(fresh.message.contains("30 hari"), "{}", fresh.message);
    assert!(fresh.message.contains("2026-11-26"), "{}", fresh.message);
    let late = retention_finding(30, Some(day(10)), 40, day(27), s);
    assert_eq!(late.level, Level::Warn);
    assert!(late.message.contains("17 hari lalu"), "{}", late.message);
    assert_eq!(retention_finding(30, None, 0, day(27), s).level, Level::Ok);
    assert_eq!(
        retention_finding(30, None, 5, day(27), s).level,
        Level::Warn
    );
}

#[test]
fn the_kiosk_secret_is_apart_private_and_the_one_that_sealed_the_key() {
    use std::os::unix::fs::PermissionsExt;
    let s = Lang::Id.strings();
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let folder = root.path().join("secret");
    std::fs::create_dir(&data).unwrap();
    // Not made yet, nothing sealed: made on first use.
    assert_eq!(secret_in(&data, &folder, s).level, Level::Ok);
    let kiosk = crate::secret::KioskSecret::in_dir(&folder).unwrap();
    crate::sync::DeviceKey::generate()
        .save_sealed(&data, &kiosk)
        .unwrap();
    let fine = secret_in(&data, &folder, s);
    assert_eq!(fine.level, Level::Ok, "{}", fine.message);
    // Readable by others.
    std::fs::set_permissions(
        folder.join(crate::secret::FILE),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let open = secret_in(&data, &folder, s);
    assert_eq!(open.level, Level::Fail);
    assert!(open.fix.as_deref().unwrap_or("").contains("chmod 600"));
    // Another kiosk's secret (the data folder was copied here).
    let elsewhere = root.path().join("elsewhere");
    crate::secret::KioskSecret::in_dir(&elsewhere).unwrap();
    let other = secret_in(&data, &elsewhere, s);
    assert_eq!(other.level, Level::Fail);
    assert!(other.message.contains("another kiosk"), "{}", other.message);
    // Lost, while the key was sealed with it.
    std::fs::remove_file(elsewhere.join(crate::secret::FILE)).unwrap();
    assert_eq!(secret_in(&data, &elsewhere, s).level, Level::Fail);
    // Kept inside the data folder: a copy of the data carries it.
    let inside = secret_in(&data, &data.join("secret"), s);
    assert_eq!(inside.level, Level::Warn);
}
