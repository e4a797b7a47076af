//! `loket photo check` and `loket photo capture`: the photo step's checks on a file.

use super::*;

pub(super) fn check(file: &Path) -> u8 {
    use crate::photo::Outcome;
    let s = crate::text::Lang::Id.strings();
    let img = match image::open(file) {
        Ok(img) => img.to_rgb8(),
        Err(e) => {
            eprintln!(
                "{}: tidak dapat dibaca / cannot be read: {e}",
                file.display()
            );
            return 2;
        }
    };
    let results = crate::photo::check_image(&img);
    let mut failed = false;
    for r in &results {
        let name = crate::text::scan::photo_check_name(r.check, s);
        match &r.outcome {
            Outcome::Pass => println!("LULUS  {name}"),
            Outcome::Fail(why) => {
                failed = true;
                println!(
                    "GAGAL  {name}: {} — {}",
                    crate::text::scan::photo_measure(why, s),
                    crate::text::scan::photo_check_advice(r.check, s)
                );
            }
        }
    }
    u8::from(failed)
}

pub(super) fn capture(device: &str, out: &Path) -> u8 {
    use crate::devices::camera::{CameraConfig, FrameSource, Nokhwa};
    let config = CameraConfig {
        device: device.to_owned(),
        ..CameraConfig::default()
    };
    let frame = Nokhwa::open(&config).and_then(|(_, mut camera)| camera.frame());
    match frame.map(|f| f.save(out).map_err(|e| e.to_string())) {
        Ok(Ok(())) => {
            println!("{}", out.display());
            0
        }
        Ok(Err(e)) | Err(e) => {
            eprintln!("kamera {device}: {e} / camera {device}: {e}");
            2
        }
    }
}

/// What `loket photo import` was asked.
pub(super) struct Import<'a> {
    pub booking: &'a str,
    pub applicant: usize,
    pub officer: &'a str,
    pub reason: Option<String>,
    pub file: &'a Path,
}

/// `loket photo import`: 0 recorded, 1 refused (said why), 2 the file cannot be read.
pub(super) fn import(o: &mut Opened, args: Import<'_>) -> Result<u8, CliError> {
    use crate::counter::CounterError;
    let s = Lang::Id.strings();
    let en = Lang::En.strings();
    let refuse = |id: String, en: String| {
        eprintln!("{id} / {en}");
        Ok(1)
    };
    let img = match image::open(args.file) {
        Ok(img) => img.to_rgb8(),
        Err(e) => {
            eprintln!(
                "{}: tidak dapat dibaca / cannot be read: {e}",
                args.file.display()
            );
            return Ok(2);
        }
    };
    let Ok(code) = crate::domain::BookingCode::parse(args.booking) else {
        return refuse(
            format!("kode booking {:?} tidak sah", args.booking),
            format!("{:?} is not a booking code", args.booking),
        );
    };
    let cases = o
        .store
        .cases_for_booking(code.as_str())
        .map_err(store_err(&o.dir))?;
    let Some(case) = cases
        .into_iter()
        .find(|c| c.applicant + 1 == args.applicant)
    else {
        return refuse(
            format!(
                "booking {code} tidak punya kasus pemohon ke-{} di loket ini",
                args.applicant
            ),
            format!(
                "booking {code} has no case of applicant {} at this counter",
                args.applicant
            ),
        );
    };
    // The officer proves who records the photo, as at sign-in.
    let now = o.office.zone.local(SystemClock.now());
    let pin = read_pin()?;
    let mut attempt = match o.store.pin_attempt(args.officer, &pin, now) {
        Ok(attempt) => attempt,
        Err(e) => {
            return refuse(
                crate::text::auth_text(&e, args.officer, s),
                crate::text::auth_text(&e, args.officer, en),
            );
        }
    };
    // And the key the photo's event is proven with, made from the PIN.
    let matched = attempt.check(&pin);
    let key = attempt.key().cloned();
    let officer = match o.store.pin_outcome(attempt, matched, now) {
        Ok(officer) => officer,
        Err(e) => {
            return refuse(
                crate::text::auth_text(&e, args.officer, s),
                crate::text::auth_text(&e, args.officer, en),
            );
        }
    };
    let actor = crate::store::Actor {
        key,
        username: officer.username,
        now,
    };
    let dir = o.dir.clone();
    match crate::counter::import_photo(&mut o.store, &dir, &actor, &case, &img, args.reason) {
        Ok(case) => {
            let label = crate::text::case_label(s, Some(&case));
            let label_en = crate::text::case_label(en, Some(&case));
            println!(
                "Foto dicatat untuk {code} pemohon {}: {label} / Photo recorded: {label_en}",
                args.applicant
            );
            Ok(0)
        }
        Err(CounterError::PhotoFailed(codes)) => {
            let names = |s: &'static crate::text::Strings| {
                codes
                    .iter()
                    .map(|c| {
                        crate::photo::Check::from_code(c)
                            .map_or(c.as_str(), |c| crate::text::scan::photo_check_name(c, s))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            refuse(
                format!(
                    "foto gagal pemeriksaan ({}): ambil ulang, atau beri --reason bila tetap dipakai",
                    names(s)
                ),
                format!(
                    "the photo failed checks ({}): retake it, or give --reason to keep it",
                    names(en)
                ),
            )
        }
        Err(e) => refuse(
            crate::text::counter_text(&e, s, Lang::Id),
            crate::text::counter_text(&e, en, Lang::En),
        ),
    }
}

/// The officer's PIN: asked without echo at a terminal, else the first line of standard
/// input (scripts).
fn read_pin() -> Result<String, CliError> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim().to_owned());
    }
    use crossterm::event::{Event, KeyCode, KeyEventKind, read};
    eprint!("PIN: ");
    std::io::stderr().flush()?;
    crossterm::terminal::enable_raw_mode()?;
    let mut pin = String::new();
    let result = loop {
        match read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Backspace => {
                    pin.pop();
                }
                KeyCode::Esc => {
                    pin.clear();
                    break Ok(());
                }
                KeyCode::Char('c')
                    if k.modifiers
                        .contains(crossterm::event::KeyModifiers::CONTROL) =>
                {
                    pin.clear();
                    break Ok(());
                }
                KeyCode::Char(c) => pin.push(c),
                _ => {}
            },
            Ok(_) => {}
            Err(e) => break Err(e),
        }
    };
    crossterm::terminal::disable_raw_mode()?;
    eprintln!();
    result?;
    Ok(pin)
}
