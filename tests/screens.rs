//! Snapshot tests of every screen at 80×24 (and a few at other sizes), driven through the
//! same key events a terminal delivers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot set up must fail loudly

mod common;

use common::*;
use crossterm::event::KeyCode;
use insta::assert_snapshot;
use loket::domain::ApplicationType;

#[test]
fn login_screen() {
    let f = fixture();
    assert_snapshot!(draw(&f.app, 80, 24));
}

#[test]
fn login_wrong_pin_says_how_many_tries_are_left() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "000000");
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Sisa 4 percobaan"), "{screen}");
    assert_snapshot!(screen);
}

#[test]
fn queue_screen() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    assert_snapshot!(draw(&f.app, 80, 24));
    assert_snapshot!("queue_120x40", draw(&f.app, 120, 40));
}

#[test]
fn queue_uses_a_large_terminal() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    let (small, large) = (draw(&f.app, 80, 24), draw(&f.app, 120, 40));
    // 16 more rows of queue, and wider name columns.
    assert_eq!(
        large.matches("Menunggu").count(),
        small.matches("Menunggu").count() + 16,
        "{large}"
    );
}

#[test]
fn queue_in_english() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    press(&mut f.app, KeyCode::F(2));
    assert_snapshot!(draw(&f.app, 80, 24));
}

#[test]
fn search_by_name() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    typ(&mut f.app, "siregar");
    let screen = draw(&f.app, 80, 24);
    // Today's bookings come first: Enter opens today's, not tomorrow's.
    let first = screen.lines().nth(6).unwrap_or_default();
    assert!(first.starts_with("\"25/11/2026"), "{screen}");
    assert_snapshot!(screen);
}

#[test]
fn search_wildcards_match_nothing_and_a_capped_list_says_so() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    typ(&mut f.app, "%%");
    let screen = draw(&f.app, 80, 24);
    assert!(
        screen.contains("Tidak ada booking") || screen.contains(": 0 booking"),
        "{screen}"
    );
    for _ in 0..2 {
        press(&mut f.app, KeyCode::Backspace);
    }
    // 'an' is in more names than the list shows.
    typ(&mut f.app, "an");
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("pertama saja"), "{screen}");
}

#[test]
fn garbled_code_is_refused_with_reason() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    let code = f.today[0].code.to_string();
    // One character changed, as a bad scan or a typo does.
    let garbled: String = code
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 2 {
                if c == 'A' { 'B' } else { 'A' }
            } else {
                c
            }
        })
        .collect();
    typ(&mut f.app, &garbled);
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("rusak atau salah ketik"), "{screen}");
    assert_snapshot!(screen);
}

#[test]
fn unknown_code_is_refused_with_what_to_do() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    typ(
        &mut f.app,
        &loket::domain::BookingCode::from_number(12345).to_string(),
    );
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("tidak ada di data loket ini"), "{screen}");
}

#[test]
fn booking_screen_opened_by_code() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    let b = f
        .today
        .iter()
        .find(|b| b.applicants.len() == 5 && b.office == "JKS")
        .unwrap()
        .clone();
    typ(&mut f.app, b.code.as_str());
    press(&mut f.app, KeyCode::Enter);
    assert_snapshot!(draw(&f.app, 80, 24));
}

#[test]
fn other_day_booking_asks_the_officer() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    let code = f.tomorrow[0].code.to_string();
    typ(&mut f.app, &code);
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("bukan hari ini"), "{screen}");
    assert_snapshot!(screen);
}

/// Opens the case of the first one-applicant booking of this type with no data error.
fn open_clean_case(f: &mut Fixture, app_type: ApplicationType) -> String {
    let code = find(&f.today, |b| clean_single(b, app_type))
        .code
        .to_string();
    open_case(f, &code);
    code
}

/// From the case's first field, down past the identity form to the first document.
fn to_checklist(f: &mut Fixture) {
    for _ in 0..4 {
        press(&mut f.app, KeyCode::Enter);
    }
}

fn open_case(f: &mut Fixture, code: &str) {
    login(&mut f.app, "petugas1", "111111");
    typ(&mut f.app, code);
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
}

#[test]
fn documents_step() {
    let mut f = fixture();
    let code = find(&f.today, |b| {
        clean_single(b, ApplicationType::ReplacementExpired)
    })
    .code
    .to_string();
    open_case(&mut f, &code);
    assert_snapshot!(draw(&f.app, 80, 24));
}

#[test]
fn invalid_nik_is_explained() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    press(&mut f.app, KeyCode::Down);
    typ(&mut f.app, "99");
    // Judged as typed, before it is saved.
    let typing = draw(&f.app, 80, 24);
    assert!(typing.contains("NIK harus 16 digit"), "{typing}");
    assert!(!typing.contains("NIK sah"), "{typing}");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("NIK harus 16 digit"), "{screen}");
    assert_snapshot!(screen);
}

#[test]
fn failed_checks_ask_for_a_supervisor() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    typ(&mut f.app, "12");
    press(&mut f.app, KeyCode::Char('1'));
    press(&mut f.app, KeyCode::F(8));
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Persetujuan supervisor"), "{screen}");
    assert_snapshot!(screen);
    // An officer's own PIN does not approve: another person must (four eyes).
    typ(&mut f.app, "petugas1");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "111111");
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("orang lain"));
    // Nor does someone else who is not a supervisor.
    press(&mut f.app, KeyCode::Esc);
    press(&mut f.app, KeyCode::F(8));
    typ(&mut f.app, "teknisi1");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "333333");
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("bukan supervisor"));
    // A supervisor's wrong PIN here counts toward their approvals at this counter, not
    // their account: the dialog says so.
    press(&mut f.app, KeyCode::Esc);
    press(&mut f.app, KeyCode::F(8));
    typ(&mut f.app, "supervisor1");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "999999");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("sebelum persetujuan oleh supervisor1 di"),
        "{screen}"
    );
    assert!(!screen.contains("sebelum akun dikunci"), "{screen}");
}

/// Serves the first clean one-applicant booking of `app_type` up to `to` through the
/// counter's use cases, signs `petugas1` in and opens the case where it stands.
fn served(f: &mut Fixture, app_type: ApplicationType, to: ServedTo) -> String {
    let booking = find(&f.today, |b| clean_single(b, app_type)).clone();
    serve(&mut f.app, &booking, 0, to);
    let code = booking.code.to_string();
    open_case(f, &code);
    code
}

/// A case at the interview, its documents checked (for a lost passport the examination
/// record fields show).
fn to_interview(f: &mut Fixture, app_type: ApplicationType) {
    served(f, app_type, ServedTo::Documents);
}

#[test]
fn interview_step_for_a_lost_passport() {
    let mut f = fixture();
    to_interview(&mut f, ApplicationType::Lost);
    press(&mut f.app, KeyCode::Right);
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "Jepang");
    press(&mut f.app, KeyCode::F(8));
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Kronologi (BAP)"), "{screen}");
    assert!(screen.contains("Jawaban belum lengkap"), "{screen}");
    assert_snapshot!(screen);
}

fn answer_interview(f: &mut Fixture) {
    press(&mut f.app, KeyCode::Right);
    for answer in ["Jepang", "Guru", "14 hari", "Budi 0812"] {
        press(&mut f.app, KeyCode::Enter);
        typ(&mut f.app, answer);
    }
    press(&mut f.app, KeyCode::F(8));
}

/// One journey walked by keys alone, from the booking through the documents and the
/// interview to the photo step; the tests of later steps start from the use cases.
#[test]
fn a_case_walked_by_keys_reaches_the_photo_step() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    typ(&mut f.app, "1111");
    press(&mut f.app, KeyCode::F(8));
    assert!(draw(&f.app, 80, 24).contains("▶ Wawancara"));
    answer_interview(&mut f);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("▶ Foto"), "{screen}");
    assert!(screen.contains("Langkah Wawancara selesai"), "{screen}");
}

#[test]
fn photo_step() {
    let mut f = fixture();
    to_photo_step(&mut f);
    assert_snapshot!(draw(&f.app, 80, 24));
}

/// Serves an applicant who has paid nothing up to the decision, signs `user` in and opens
/// the case.
fn to_unpaid_decision(f: &mut Fixture, user: &str, pin: &str) {
    let booking = find(&f.today, |b| {
        clean_single(b, ApplicationType::ReplacementFull) && b.applicants[0].paid.is_none()
    })
    .clone();
    serve(&mut f.app, &booking, 0, ServedTo::Photo);
    let code = booking.code.to_string();
    login(&mut f.app, user, pin);
    if user.starts_with("supervisor") {
        // A supervisor starts on the board; the queue is beneath it.
        press(&mut f.app, KeyCode::Esc);
    }
    typ(&mut f.app, &code);
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
}

#[test]
fn unpaid_fees_block_the_decision() {
    let mut f = fixture();
    to_unpaid_decision(&mut f, "petugas1", "111111");
    press(&mut f.app, KeyCode::F(8));
    typ(&mut f.app, "y");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("kurang bayar"), "{screen}");
    assert!(screen.contains("tunda kasus"), "{screen}");
    assert!(!screen.contains("Menunggu foto"), "{screen}");
}

#[test]
fn unpaid_fees_pass_only_with_another_person_who_is_a_supervisor() {
    let mut config = loket::config::Config::defaults();
    config.counter.underpaid = loket::config::UnderpaidRule::Supervisor;
    // A supervisor serving at a counter cannot approve their own request.
    let mut f = fixture_with(config.clone());
    to_unpaid_decision(&mut f, "supervisor1", "222222");
    press(&mut f.app, KeyCode::F(8));
    typ(&mut f.app, "NTPN ada, SIMPONI terlambat");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "supervisor1");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "222222");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("orang lain"), "{screen}");
    assert!(!screen.contains("Menunggu foto"), "{screen}");
    // An officer's request, approved by the supervisor with the reason: continued.
    let mut f = fixture_with(config);
    to_unpaid_decision(&mut f, "petugas1", "111111");
    press(&mut f.app, KeyCode::F(8));
    press(&mut f.app, KeyCode::Enter);
    assert!(
        draw(&f.app, 100, 30).contains("Isi alasannya"),
        "a reason is needed"
    );
    typ(&mut f.app, "NTPN ada, SIMPONI terlambat");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "supervisor1");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "222222");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Menunggu foto"), "{screen}");
}

#[test]
fn a_payment_proved_at_the_counter_settles_the_fees() {
    let mut f = fixture();
    to_unpaid_decision(&mut f, "petugas1", "111111");
    assert!(draw(&f.app, 100, 30).contains("P Bayar"));
    press(&mut f.app, KeyCode::Char('p'));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Pembayaran PNBP"), "{screen}");
    // The booking's billing code and the amount owed are filled in; the NTPN is typed.
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "12345");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("NTPN terdiri dari 16"), "{screen}");
    typ(&mut f.app, "6789ABCDEF0");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("NTPN 123456789ABCDEF0"), "{screen}");
    assert!(!screen.contains("Kurang bayar"), "{screen}");
    // Nothing owed now: the officer decides alone.
    press(&mut f.app, KeyCode::F(8));
    typ(&mut f.app, "y");
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Menunggu foto"), "{screen}");
}

/// An amount typed with a letter O for a zero is refused in place, never read as a
/// smaller sum with the letter dropped (65O000 used to be recorded as Rp65.000).
#[test]
fn a_mistyped_amount_is_refused_in_place() {
    let mut f = fixture();
    to_unpaid_decision(&mut f, "petugas1", "111111");
    press(&mut f.app, KeyCode::Char('p'));
    press(&mut f.app, KeyCode::Enter);
    for _ in 0..20 {
        press(&mut f.app, KeyCode::Backspace);
    }
    typ(&mut f.app, "65O000");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "123456789ABCDEF0");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("bukan angka rupiah"), "{screen}");
    // Nothing was recorded: the fees are still owed in full.
    press(&mut f.app, KeyCode::Esc);
    let screen = draw(&f.app, 100, 30);
    assert!(!screen.contains("NTPN 123456789ABCDEF0"), "{screen}");
    assert!(screen.contains("Kurang bayar"), "{screen}");
}

#[test]
fn decision_shows_fees_against_payment() {
    let mut f = fixture();
    to_unpaid_decision(&mut f, "petugas1", "111111");
    let screen = draw(&f.app, 80, 24);
    assert!(
        screen.contains("Kurang bayar") && screen.contains("Belum bayar"),
        "{screen}"
    );
    assert_snapshot!(screen);
}

#[test]
fn reject_needs_reason_then_supervisor() {
    let mut f = fixture();
    to_interview(&mut f, ApplicationType::New);
    press(&mut f.app, KeyCode::F(7));
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("Isi alasannya"));
    typ(&mut f.app, "Dokumen dipalsukan");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "supervisor1");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "222222");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Ditolak"), "{screen}");
    assert_snapshot!(screen);
}

#[test]
fn defer_lists_what_to_bring() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    typ(&mut f.app, "21");
    press(&mut f.app, KeyCode::F(6));
    typ(&mut f.app, "Kembali Senin");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Ditunda"), "{screen}");
    // Deferred at the documents step: the steps never reached are not shown done.
    for undone in ["· Verifikasi berkas", "· Wawancara", "· Foto"] {
        assert!(screen.contains(undone), "{undone}: {screen}");
    }
    assert_snapshot!(screen);
}

#[test]
fn a_deferred_applicant_who_returns_resumes_where_the_case_stopped() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    typ(&mut f.app, "21");
    press(&mut f.app, KeyCode::F(6));
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("Ditunda"));
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("F8 Lanjutkan"),
        "the key is offered: {screen}"
    );
    press(&mut f.app, KeyCode::F(8));
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("dibuka lagi di langkah Verifikasi berkas"),
        "{screen}"
    );
    assert!(screen.contains("▶ Verifikasi berkas"), "{screen}");
    // The documents brought back, the case goes on from the same step.
    to_checklist(&mut f);
    typ(&mut f.app, "1111");
    press(&mut f.app, KeyCode::F(8));
    assert!(draw(&f.app, 100, 30).contains("▶ Wawancara"));
}

#[test]
fn a_deferral_names_what_to_bring() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    typ(&mut f.app, "1111");
    // Nothing is missing: the note must say what the applicant comes back with.
    press(&mut f.app, KeyCode::F(6));
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Sebutkan di catatan"), "{screen}");
    assert!(!screen.contains("Ditunda"), "{screen}");
    typ(&mut f.app, "Surat sponsor dari perusahaan");
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("Ditunda"));
}

#[test]
fn a_case_without_a_photo_ends_awaiting_it_and_the_queue_says_so() {
    let mut f = fixture();
    to_photo_step(&mut f);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Sidik jari: belum diambil"), "{screen}");
    // The biometric station took the fingerprints; B records it (and again undoes it).
    press(&mut f.app, KeyCode::Char('b'));
    assert!(draw(&f.app, 100, 30).contains("Sidik jari: ✓"));
    press(&mut f.app, KeyCode::Char('b'));
    assert!(draw(&f.app, 100, 30).contains("Sidik jari: belum diambil"));
    press(&mut f.app, KeyCode::Char('b'));
    press(&mut f.app, KeyCode::F(8));
    press(&mut f.app, KeyCode::F(8));
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("menunggu foto"),
        "the confirmation says so: {screen}"
    );
    // And which is missing: the fingerprints were recorded (B), the photo was not.
    assert!(screen.contains("Foto belum diambil"), "{screen}");
    typ(&mut f.app, "y");
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Menunggu foto"), "{screen}");
    assert!(!screen.contains("Dilanjutkan"), "{screen}");
    assert!(
        screen.contains("! Foto"),
        "the photo step is not shown done: {screen}"
    );
    // Its photo step says how it is finished.
    press(&mut f.app, KeyCode::PageUp);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("loket photo import"), "{screen}");
    assert!(screen.contains("diambil di stasiun biometrik"), "{screen}");
    press(&mut f.app, KeyCode::Esc);
    press(&mut f.app, KeyCode::Esc);
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("Menunggu foto"),
        "the queue tells it apart: {screen}"
    );
    // In the list, in full, at 80 columns too, in either language: cut to "Menunggu" it
    // would read as not yet checked in.
    let awaiting = f
        .app
        .desk()
        .queue(today())
        .unwrap()
        .into_iter()
        .find(|r| r.status() == loket::store::QueueStatus::AwaitingPhoto)
        .expect("the booking awaiting its photo");
    typ(&mut f.app, &awaiting.code.to_string());
    for (key, status) in [
        (None, "Menunggu foto"),
        (Some(KeyCode::F(2)), "Awaiting photo"),
    ] {
        if let Some(key) = key {
            press(&mut f.app, key);
        }
        let small = draw(&f.app, 80, 30);
        assert!(
            small
                .lines()
                .any(|l| l.trim_end_matches('"').trim_end().ends_with(status)),
            "{small}"
        );
    }
}

#[test]
fn walk_in_refuses_who_may_not_walk_in() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    press(&mut f.app, KeyCode::F(5));
    press(&mut f.app, KeyCode::Right); // elderly
    for _ in 0..4 {
        press(&mut f.app, KeyCode::Enter);
    }
    typ(&mut f.app, "Budi Santoso");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "3174050101900001");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "01/01/1990");
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Right);
    press(&mut f.app, KeyCode::F(8));
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("berumur 36 tahun"), "{screen}");
    assert_snapshot!(screen);
}

#[test]
fn help_overlay() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    press(&mut f.app, KeyCode::F(1));
    assert_snapshot!(draw(&f.app, 80, 24));
    // F10 is not dead behind the help: it closes it and logs out.
    press(&mut f.app, KeyCode::F(10));
    let screen = draw(&f.app, 80, 24);
    assert!(
        screen.contains("PIN") && !screen.contains("Bantuan —"),
        "{screen}"
    );
    press(&mut f.app, KeyCode::F(1));
    press(&mut f.app, KeyCode::F(10));
    assert!(
        f.app.quit_requested(),
        "before sign-in, F10 quits even over the help"
    );
}

#[test]
fn idle_screen_locks_and_asks_for_the_pin() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    f.clock.advance(chrono::Duration::minutes(6));
    f.app.handle(loket::ui::Event::Tick);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Layar terkunci"), "{screen}");
    assert_snapshot!(screen);
    typ(&mut f.app, "111111");
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("Antrean"));
}

/// The board is meant to be watched: left in view past the idle time it stays on the
/// wall; looking around (arrows) needs nothing, acting asks for the PIN first. A notice
/// is news for a minute, then clears.
#[test]
fn a_watched_board_stays_in_view_and_asks_for_the_pin_only_to_act() {
    let mut f = fixture();
    login(&mut f.app, "supervisor1", "222222");
    assert!(draw(&f.app, 100, 30).contains("Selamat bertugas"));
    f.clock.advance(chrono::Duration::minutes(6));
    f.app.handle(loket::ui::Event::Tick);
    let screen = draw(&f.app, 100, 30);
    assert!(!screen.contains("Layar terkunci"), "{screen}");
    assert!(screen.contains("Papan"), "{screen}");
    assert!(
        !screen.contains("Selamat bertugas"),
        "the notice cleared: {screen}"
    );
    press(&mut f.app, KeyCode::Down);
    assert!(!draw(&f.app, 100, 30).contains("Layar terkunci"));
    // An act (T closes the day) asks for the PIN, and is not carried out meanwhile.
    press(&mut f.app, KeyCode::Char('t'));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Layar terkunci"), "{screen}");
    assert!(!screen.contains("Tutup antrean"), "{screen}");
    typ(&mut f.app, "222222");
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Char('t'));
    assert!(draw(&f.app, 100, 30).contains("Tutup antrean"));
    // At a counter's queue, the idle lock stays as it was.
    press(&mut f.app, KeyCode::Esc);
    press(&mut f.app, KeyCode::F(10));
    login(&mut f.app, "petugas1", "111111");
    f.clock.advance(chrono::Duration::minutes(6));
    f.app.handle(loket::ui::Event::Tick);
    assert!(draw(&f.app, 100, 30).contains("Layar terkunci"));
}

#[test]
fn technician_screen() {
    let mut f = fixture();
    login(&mut f.app, "teknisi1", "333333");
    // The data folder is a fresh temporary one in each run.
    let screen = draw(&f.app, 80, 24).replace(f.data.path().to_str().unwrap(), "[data dir]");
    assert!(screen.contains("[data dir]"), "{screen}");
    // The facts are the same on every machine; the checks below them read this machine
    // (free disk, systemd), so they are asserted, not snapshotted.
    let (facts, checks) = screen.split_at(screen.find("Pemeriksaan (loket doctor)").unwrap());
    assert_snapshot!(facts);
    // A fixture kiosk is not enrolled: the failure comes first, with its fix.
    assert!(
        checks.contains("✗ Kios belum terdaftar di pusat"),
        "{checks}"
    );
    assert!(checks.contains("→ Minta kode sekali pakai"), "{checks}");
    press(&mut f.app, KeyCode::F(2));
    let english = draw(&f.app, 100, 40);
    assert!(
        english.contains("✗ The kiosk is not enrolled with pusat"),
        "{english}"
    );
    assert!(english.contains("F5 Check again"), "{english}");
    // F5 runs them again (inline here: the answer is back at once).
    press(&mut f.app, KeyCode::F(5));
    assert!(draw(&f.app, 100, 40).contains("✗ The kiosk is not enrolled"));
}

#[test]
fn tiny_terminal_says_what_to_do() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    let screen = draw(&f.app, 40, 10);
    assert!(screen.contains("Layar terlalu kecil (40×10)"), "{screen}");
    assert_snapshot!(screen);
    // Keys typed blind do nothing: the officer cannot see what they would change.
    typ(&mut f.app, "siregar");
    let grown = draw(&f.app, 80, 24);
    assert!(!grown.contains("siregar"), "{grown}");
    assert!(grown.contains("Antrean"), "{grown}");
    // Seen again, the screen takes keys as before.
    typ(&mut f.app, "siregar");
    assert!(draw(&f.app, 80, 24).contains("siregar"));
}

#[test]
fn keys_typed_at_a_hidden_case_change_nothing() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    let before = draw(&f.app, 80, 24);
    draw(&f.app, 40, 10);
    typ(&mut f.app, "111");
    press(&mut f.app, KeyCode::F(8));
    assert_eq!(draw(&f.app, 80, 24), before);
}

#[test]
fn a_scan_on_the_queue_opens_the_booking() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    let code = f.today[3].code.clone();
    scan(
        &mut f.app,
        &format!("https://antrian.imigrasi.go.id/b?kode={code}"),
    );
    assert!(draw(&f.app, 80, 24).contains(&format!("Booking {code}")));
}

#[test]
fn a_scan_mid_case_asks_before_leaving_and_keeps_the_typing() {
    let mut f = fixture();
    let code = find(&f.today, |b| clean_single(b, ApplicationType::New))
        .code
        .to_string();
    open_case(&mut f, &code);
    typ(&mut f.app, " Putri");
    let other = f.today[5].code.clone();
    scan(&mut f.app, other.as_str());
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("dipindai"), "{screen}");
    assert_snapshot!(screen);
    // While the question is open, a paste goes nowhere (not into the form beneath it).
    f.app
        .handle(loket::ui::Event::Term(crossterm::event::Event::Paste(
            "XYZZY".into(),
        )));
    assert_eq!(draw(&f.app, 80, 24), screen);
    press(&mut f.app, KeyCode::Char('y'));
    assert!(draw(&f.app, 80, 24).contains(&format!("Booking {other}")));
    // Back in the first case, the name typed before the scan was committed.
    press(&mut f.app, KeyCode::Esc);
    typ(&mut f.app, &code);
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains(" Putri"));
}

/// A keyboard-wedge scanner types a code and Enter into whatever has the focus, faster than
/// a person. In every kind of field the scan is taken as a scan (the officer is asked
/// before leaving) and nothing of it lands in the field.
#[test]
fn a_wedge_scan_never_lands_in_a_field() {
    let mut f = fixture_with_wedge();
    let code = find(&f.today, |b| clean_single(b, ApplicationType::New))
        .code
        .to_string();
    let other = f.today[5].code.to_string();
    // Signing in and opening a booking are typed as fast: a username, a PIN and a code
    // typed on the queue all arrive as they should.
    open_case(&mut f, &code);
    let scan_at_speed = |f: &mut Fixture, at: &str| {
        let before = draw(&f.app, 100, 30);
        typ(&mut f.app, &other);
        press(&mut f.app, KeyCode::Enter);
        let screen = draw(&f.app, 100, 30);
        assert!(screen.contains("dipindai"), "{at}: {screen}");
        // N, as a person answers: shown once its moment has passed (the fixture's clock,
        // not the machine's: every key above arrived at one instant, as fast as a scanner).
        f.clock.advance(chrono::Duration::seconds(1));
        press(&mut f.app, KeyCode::Char('n'));
        f.clock.advance(chrono::Duration::milliseconds(40));
        f.app.handle(loket::ui::Event::KeysDue);
        let after = draw(&f.app, 100, 30);
        assert!(!after.contains(&other), "{at}: the code landed: {after}");
        assert_eq!(
            after.lines().skip(1).take(25).collect::<Vec<_>>(),
            before.lines().skip(1).take(25).collect::<Vec<_>>(),
            "{at}: the screen changed"
        );
    };
    // The identity form's name field.
    scan_at_speed(&mut f, "identity");
    // The checklist, where 1, 2 and 3 mark documents.
    to_checklist(&mut f);
    scan_at_speed(&mut f, "checklist");
    // A dialog's text field (the deferral note).
    press(&mut f.app, KeyCode::F(6));
    scan_at_speed(&mut f, "dialog");
    press(&mut f.app, KeyCode::Esc);
    // An interview text field.
    // (Fast, but short and not a code: typed as it came, let through by the F8 after it.)
    typ(&mut f.app, "1111");
    press(&mut f.app, KeyCode::F(8));
    assert!(draw(&f.app, 100, 30).contains("▶ Wawancara"));
    press(&mut f.app, KeyCode::Right);
    press(&mut f.app, KeyCode::Enter);
    scan_at_speed(&mut f, "interview");
    // Typed by a person (a pause between keys), the same characters are typing.
    for c in "Osaka".chars() {
        f.clock.advance(chrono::Duration::milliseconds(150));
        press(&mut f.app, KeyCode::Char(c));
    }
    // The last key shows once its moment has passed (the event loop's timer), not before.
    f.app.handle(loket::ui::Event::KeysDue);
    assert!(
        !draw(&f.app, 100, 30).contains("Osaka"),
        "shown before its moment"
    );
    f.clock.advance(chrono::Duration::milliseconds(150));
    f.app.handle(loket::ui::Event::KeysDue);
    assert!(draw(&f.app, 100, 30).contains("Osaka"));
}

/// A supervisor's PIN has ten digits, and a keypad types them as fast as a scanner: typed
/// into a PIN field they are a PIN, never a misread booking code.
#[test]
fn a_long_pin_typed_at_scanner_speed_signs_in() {
    let mut f = fixture_with_wedge_and(|store, _| {
        let kepala = loket::store::Officer {
            username: "kepala2".into(),
            nip: "198001012005011072".into(),
            name: "Kepala Seksi".into(),
            role: loket::store::Role::Supervisor,
        };
        let hash = loket::store::hash_pin("4829137065").unwrap();
        store.put_officer(&kepala, &hash).unwrap();
    });
    // Every key at one instant of the fixture's clock: scanner speed.
    login(&mut f.app, "kepala2", "4829137065");
    f.app.handle(loket::ui::Event::KeysDue);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Selamat bertugas"), "{screen}");
    assert!(!screen.contains("dipindai"), "{screen}");
}

#[test]
fn a_refused_scan_and_an_unplugged_scanner_say_so() {
    use loket::devices::framing::Refusal;
    use loket::devices::serial::ScannerEvent;
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    f.app
        .handle(loket::ui::Event::Scanner(ScannerEvent::Refused(
            Refusal::Binary,
        )));
    assert!(draw(&f.app, 80, 24).contains("biner"));
    f.app
        .handle(loket::ui::Event::Scanner(ScannerEvent::Disconnected(
            "hung up".into(),
        )));
    let screen = draw(&f.app, 80, 24);
    // The program's own words around the reason the driver gave: what happens now.
    assert!(
        screen.contains("Pemindai tidak tersambung (hung up); menyambung ulang otomatis."),
        "{screen}"
    );
    assert_snapshot!(screen);
    scan(&mut f.app, "https://imigrasi.go.id/");
    assert!(draw(&f.app, 80, 24).contains("tidak memuat kode booking"));
}

#[test]
fn signed_tokens_typed_by_a_2d_scanner() {
    use loket::domain::payload::{TokenPayload, sign};
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    let b = &f.today[2];
    let payload = TokenPayload {
        code: b.code.clone(),
        office: "JKS".into(),
        date: today(),
        applicants: b.applicants.len() as u8,
    };
    let token = sign(&payload, &token_signer());
    typ(&mut f.app, &token);
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains(&format!("Booking {}", b.code)));
    press(&mut f.app, KeyCode::Esc);
    let forged = sign(&payload, &ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]));
    typ(&mut f.app, &forged);
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("palsu atau diubah"), "{screen}");
    let mut old = payload.clone();
    old.date = today().pred_opt().unwrap();
    scan(&mut f.app, &sign(&old, &token_signer()));
    assert!(draw(&f.app, 80, 24).contains("sudah lewat"));
}

#[test]
fn a_scan_before_sign_in_is_not_lost_silently() {
    let mut f = fixture();
    scan(&mut f.app, f.today[0].code.as_str());
    assert!(draw(&f.app, 80, 24).contains("Masuk terlebih dahulu"));
}

#[test]
fn the_camera_reads_only_while_the_queue_waits_and_feeds_the_same_path() {
    use loket::devices::camera::CameraEvent;
    let mut f = fixture();
    assert!(!f.app.waiting_for_code(), "nobody is signed in");
    login(&mut f.app, "petugas1", "111111");
    assert!(f.app.waiting_for_code());
    let code = f.today[7].code.clone();
    f.app.handle(loket::ui::Event::Camera(CameraEvent::Scan(
        code.to_string(),
    )));
    assert!(draw(&f.app, 80, 24).contains(&format!("Booking {code}")));
    assert!(
        !f.app.waiting_for_code(),
        "a booking is open: the camera rests"
    );
    f.app.handle(loket::ui::Event::Camera(CameraEvent::Failed(
        "device busy".into(),
    )));
    assert!(draw(&f.app, 80, 24).contains("Kamera tidak dapat dipakai (device busy)"));
}

#[path = "common/faces.rs"]
mod faces;

/// A case at the photo step, served there through the use cases.
fn to_photo_step(f: &mut Fixture) {
    served(f, ApplicationType::New, ServedTo::Interview);
}

fn send_frame(f: &mut Fixture, img: image::RgbImage) {
    use loket::devices::camera::CameraEvent;
    f.app.handle(loket::ui::Event::Camera(CameraEvent::Frame(
        std::sync::Arc::new(img),
    )));
}

fn photos(f: &Fixture) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(f.data.path().join("photos")) {
        Ok(dir) => dir.map(|e| e.unwrap().path()).collect(),
        Err(_) => vec![],
    }
}

#[test]
fn photo_step_previews_checks_and_keeps_the_photo() {
    use sha2::Digest;
    let mut f = fixture_with_camera();
    to_photo_step(&mut f);
    assert!(
        f.app.taking_photo(),
        "the photo step asks the camera for previews"
    );
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Menunggu gambar dari"), "{screen}");
    send_frame(&mut f, faces::compliant());
    let screen = draw(&f.app, 80, 24);
    assert!(
        screen.contains('▀') && screen.contains("Spasi: ambil foto"),
        "{screen}"
    );
    press(&mut f.app, KeyCode::Char(' '));
    let screen = draw(&f.app, 80, 24);
    // 3 steps done, every check passed
    assert_eq!(
        screen.matches('✓').count(),
        3 + loket::photo::Check::ALL.len(),
        "{screen}"
    );
    assert_snapshot!(screen);
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Langkah Foto selesai"), "{screen}");
    let kept = photos(&f);
    assert_eq!(kept.len(), 1);
    // Kept sealed under the hash of the JPEG it holds.
    let name = kept[0].file_name().unwrap().to_str().unwrap().to_owned();
    let named = name.strip_suffix(".sealed").unwrap();
    let bytes = loket::store::read_photo(f.data.path(), named)
        .unwrap()
        .unwrap();
    let hash: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(named, hash);
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "a JPEG");
    assert!(!f.app.taking_photo());
}

#[test]
fn a_failing_photo_is_kept_only_with_a_reason() {
    let mut f = fixture_with_camera();
    to_photo_step(&mut f);
    let mut dark = faces::compliant();
    for p in dark.pixels_mut() {
        p.0 = p.0.map(|c| (f64::from(c) * 0.3) as u8);
    }
    send_frame(&mut f, dark);
    press(&mut f.app, KeyCode::Char(' '));
    assert!(draw(&f.app, 80, 24).contains("✗ Kecerahan"));
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("Terima foto yang gagal"));
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("Isi alasannya"));
    typ(&mut f.app, "Lampu loket rusak, disetujui pemohon");
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("Langkah Foto selesai"));
    assert_eq!(photos(&f).len(), 1);
    // The photo step, looked at again, names the failed check in words.
    press(&mut f.app, KeyCode::PageUp);
    let screen = draw(&f.app, 80, 24);
    assert!(
        screen.contains("Kecerahan") && !screen.contains("brightness"),
        "{screen}"
    );
    // Retake is always possible before accepting; without a camera the step says so.
    let mut g = fixture();
    to_photo_step(&mut g);
    assert!(!g.app.taking_photo());
    assert!(draw(&g.app, 80, 24).contains("Tidak ada kamera di loket ini"));
}

#[test]
fn a_configured_scanner_shows_connecting_until_it_reports() {
    use loket::devices::serial::ScannerEvent;
    let mut config = loket::config::Config::defaults();
    config.scanner.port = "/dev/ttyACM0".into();
    let mut f = fixture_with(config);
    assert!(f.app.scanner_config().is_some());
    login(&mut f.app, "petugas1", "111111");
    let screen = draw(&f.app, 80, 24);
    assert!(
        screen.contains("Pemindai: menyambung…") && !screen.contains("()"),
        "{screen}"
    );
    f.app
        .handle(loket::ui::Event::Scanner(ScannerEvent::Connected(
            "/dev/ttyACM0".into(),
        )));
    assert!(draw(&f.app, 80, 24).contains("Pemindai tersambung: /dev/ttyACM0"));
}

#[test]
fn an_applicant_served_at_another_counter_is_not_checked_in_twice() {
    use loket::protocol::{CaseSummary, Change, FeedEntry};
    let mut served = None;
    let mut f = fixture_prepared(loket::config::Config::defaults(), |store, list| {
        let b = list[0].clone();
        // The last sync reported counter 3 serving this booking's first applicant.
        let entry = FeedEntry {
            pos: 1,
            change: Change::Case(CaseSummary {
                case_id: uuid::Uuid::now_v7(),
                booking: b.code.as_str().to_owned(),
                applicant: 0,
                device: uuid::Uuid::now_v7(),
                counter: 3,
                status: "open".into(),
                lost_to: None,
                awaiting: None,
            }),
        };
        store.apply_changes(&[entry], 1, today()).unwrap();
        served = Some(b);
    });
    let b = served.unwrap();
    login(&mut f.app, "petugas1", "111111");
    typ(&mut f.app, b.code.as_str());
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 24);
    assert!(screen.contains("Dilayani di loket 3"), "{screen}");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 24);
    assert!(
        screen.contains("Pemohon ini dilayani di loket 3"),
        "{screen}"
    );
    assert!(
        !screen.contains("Verifikasi berkas"),
        "no case was opened: {screen}"
    );
}

#[test]
fn the_status_line_shows_sync_state_and_why_it_is_offline() {
    use loket::sync::{SyncError, SyncState, SyncStatus};
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    let at = loket::domain::Zone::Wib.local(now());
    let status = |state| SyncStatus {
        state,
        counts: Default::default(),
        at,
        credential_expires: Some(now().to_utc() + chrono::Duration::days(200)),
        pulled: 0,
    };
    f.app
        .handle(loket::ui::Event::Sync(status(SyncState::Online)));
    let screen = draw(&f.app, 120, 24);
    assert!(screen.contains("Tersambung ke pusat"), "{screen}");
    assert!(screen.contains("belum pernah sinkron"), "{screen}");
    let revoked = SyncState::Offline {
        error: SyncError::Revoked,
        retry_in: std::time::Duration::from_secs(30),
    };
    f.app.handle(loket::ui::Event::Sync(status(revoked)));
    let screen = draw(&f.app, 160, 24);
    assert!(
        screen.contains("Luring: loket ini dicabut di pusat"),
        "{screen}"
    );
    assert!(!screen.contains("kredensial loket berakhir"), "{screen}");
    // A credential that could not be renewed and ends within two weeks is a person's job.
    let soon = SyncStatus {
        credential_expires: Some(now().to_utc() + chrono::Duration::days(9)),
        ..status(SyncState::Online)
    };
    f.app.handle(loket::ui::Event::Sync(soon));
    let screen = draw(&f.app, 80, 24);
    assert!(
        screen.contains("kredensial loket berakhir 04-12-2026"),
        "visible on an 80-column terminal: {screen}"
    );
}

#[test]
fn photo_step_shows_real_pixels_on_terminals_with_an_image_protocol() {
    #![allow(deprecated)] // Picker::from_fontsize: a terminal cannot be queried in a test
    use ratatui_image::picker::{Picker, ProtocolType};
    for (protocol, escape) in [
        (ProtocolType::Kitty, "\x1b_G"),
        (ProtocolType::Sixel, "\x1bP"),
    ] {
        let mut f = fixture_with_camera();
        let mut picker = Picker::from_fontsize((8, 16));
        picker.set_protocol_type(protocol);
        f.app.set_picker(picker);
        to_photo_step(&mut f);
        send_frame(&mut f, faces::compliant());
        // The first frame is drawn in half-blocks while the picture's place is learnt.
        assert!(draw(&f.app, 80, 24).contains('▀'));
        send_frame(&mut f, faces::compliant());
        let live = draw(&f.app, 80, 24);
        assert!(live.contains(escape), "{protocol:?}: no image sequence");
        assert!(!live.contains('▀'), "{protocol:?}: half-blocks drawn too");
        // The captured crop replaces the live picture, in the same protocol.
        press(&mut f.app, KeyCode::Char(' '));
        send_frame(&mut f, faces::compliant());
        let taken = draw(&f.app, 80, 24);
        assert!(taken.contains(escape), "{protocol:?}: crop not sent");
        let image = |screen: &str| {
            screen[screen.find(escape).unwrap()..]
                .chars()
                .take(2000)
                .collect::<String>()
        };
        assert_ne!(
            image(&live),
            image(&taken),
            "{protocol:?}: the crop is a new picture"
        );
    }
}

#[test]
fn many_failed_checks_keep_the_keys_in_view() {
    let mut f = fixture_with_camera();
    to_photo_step(&mut f);
    // A dark picture of a tilted head: five checks fail, each with its advice.
    let img = faces::compliant();
    let face = faces::only_face(&img);
    let mut bad = faces::rotated(&img, 12.0, (face.x + face.w / 2.0, face.y + face.h / 2.0));
    for p in bad.pixels_mut() {
        p.0 = p.0.map(|c| (f64::from(c) * 0.3) as u8);
    }
    send_frame(&mut f, bad);
    press(&mut f.app, KeyCode::Char(' '));
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("✗ Mata sejajar: kepala miring"), "{screen}");
    assert!(screen.contains("✗ Kecerahan"), "{screen}");
    assert!(
        screen.contains("Enter: pakai foto ini"),
        "the keys stay in view: {screen}"
    );
    // Failures come first; the checks that passed share a line below them.
    let mut g = fixture_with_camera();
    to_photo_step(&mut g);
    let mut dark = faces::compliant();
    for p in dark.pixels_mut() {
        p.0 = p.0.map(|c| (f64::from(c) * 0.3) as u8);
    }
    send_frame(&mut g, dark);
    press(&mut g.app, KeyCode::Char(' '));
    let screen = draw(&g.app, 100, 30);
    let (fail, pass) = (
        screen.find("✗ ").unwrap(),
        screen.find("✓ Tepat satu wajah, ").unwrap(),
    );
    assert!(fail < pass, "{screen}");
}

#[test]
fn an_unenrolled_kiosk_says_how_to_enroll_not_unknown_user() {
    let data = tempfile::tempdir().unwrap();
    let config = loket::config::Config::defaults();
    let store = loket::store::Store::open_in_memory("JKS").unwrap();
    let mut app = loket::ui::App::new(loket::ui::AppSetup {
        desk: loket::counter::Desk::new(store).unwrap(),
        clock: Box::new(loket::clock::ManualClock::new(now())),
        office: config.office().unwrap(),
        config,
        fees: fees(),
        data_dir: data.path().to_owned(),
        demo_hint: None,
        token_key: None,
        sync: None,
        board_only: false,
    });
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("belum terdaftar"), "{screen}");
    login(&mut app, "petugas1", "111111");
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("loket enroll"), "{screen}");
    assert!(!screen.contains("tidak dikenal"), "{screen}");
}

#[test]
fn a_walk_in_name_follows_the_passport_characters() {
    for (name, says) in [
        ("X@@##$$%%", "tidak boleh ada di nama paspor"),
        (&"A".repeat(5000)[..], "paling banyak 100"),
    ] {
        let mut f = fixture();
        login(&mut f.app, "petugas1", "111111");
        press(&mut f.app, KeyCode::F(5));
        press(&mut f.app, KeyCode::Right); // elderly
        for _ in 0..4 {
            press(&mut f.app, KeyCode::Enter);
        }
        typ(&mut f.app, name);
        press(&mut f.app, KeyCode::Enter);
        typ(&mut f.app, "3174050101500001");
        press(&mut f.app, KeyCode::Enter);
        typ(&mut f.app, "01/01/1950");
        press(&mut f.app, KeyCode::Enter);
        press(&mut f.app, KeyCode::Right);
        press(&mut f.app, KeyCode::F(8));
        let screen = draw(&f.app, 100, 30);
        assert!(screen.contains(says), "{screen}");
    }
}

#[test]
fn an_invalid_document_needs_a_note() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    press(&mut f.app, KeyCode::Char('3'));
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Tulis apa yang salah"), "{screen}");
    assert!(!screen.contains("[!]"), "not marked invalid yet: {screen}");
    typ(&mut f.app, "Foto buram");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("[!]"), "{screen}");
    assert!(screen.contains("Tidak sah — Foto"), "{screen}");
}

#[test]
fn a_mistyped_code_stays_to_be_fixed_and_enter_opens_nothing_else() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    // Nine characters, one of them wrong: no booking's code holds them.
    let code = f.today[3].code.as_str().to_owned();
    let wrong = if code.starts_with('Z') { "Y" } else { "Z" };
    let typed = format!("{wrong}{}", &code[1..9]);
    typ(&mut f.app, &typed);
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains(&format!("NIK: {typed}")), "kept: {screen}");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(!screen.contains("Booking "), "no booking opened: {screen}");
    assert!(
        screen.contains(&format!("NIK: {typed}")),
        "still kept: {screen}"
    );
    // Corrected by hand: Backspace edits the kept text.
    for _ in 0..9 {
        press(&mut f.app, KeyCode::Backspace);
    }
    typ(&mut f.app, &code);
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains(&format!("Booking {}", f.today[3].code)));
}

#[test]
fn after_a_refused_code_the_next_scan_replaces_it() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    typ(&mut f.app, "ZZZZZ-ZZZZZ");
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains("ZZZZZ-ZZZZZ"));
    // A keyboard-wedge scanner types the next code: it is not appended to the bad one.
    let code = f.today[2].code.to_string();
    typ(&mut f.app, &code);
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 80, 24).contains(&format!("Booking {code}")));
}

/// With the work thread running, as in the real terminal: the screen says it is checking
/// while argon2 and the photo work run elsewhere, and each answer finishes the action.
#[test]
fn slow_work_runs_off_the_event_loop_and_the_screen_says_so() {
    use loket::ui::Event;
    let mut f = fixture_with_camera();
    to_photo_step(&mut f);
    let (tx, rx) = std::sync::mpsc::channel();
    f.app.start_work(move |done| tx.send(done).is_ok()).unwrap();
    let answer = |f: &mut Fixture| {
        let done = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the work thread answers");
        f.app.handle(Event::Work(done));
    };

    send_frame(&mut f, faces::compliant());
    press(&mut f.app, KeyCode::Char(' '));
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Memeriksa foto"), "{screen}");
    answer(&mut f);
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Menyimpan foto"), "{screen}");
    answer(&mut f);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Langkah Foto selesai"), "{screen}");
    assert_eq!(photos(&f).len(), 1);

    press(&mut f.app, KeyCode::F(9));
    typ(&mut f.app, "111111");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Memeriksa PIN"), "{screen}");
    // Keys typed while the PIN is checked start no second check.
    press(&mut f.app, KeyCode::Enter);
    answer(&mut f);
    assert!(rx.try_recv().is_err(), "one unlock, one check");
    let screen = draw(&f.app, 80, 24);
    assert!(!screen.contains("PIN"), "unlocked: {screen}");

    press(&mut f.app, KeyCode::F(10));
    login(&mut f.app, "petugas1", "000000");
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Memeriksa PIN"), "{screen}");
    answer(&mut f);
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("Sisa 4 percobaan"), "{screen}");
}

/// What the sync worker pulls (through its own connection) shows on the open screen at
/// once, and the status line's counts come from the worker's report, not from a query.
#[test]
fn pulled_changes_show_without_navigating() {
    use loket::sync::{SyncState, SyncStatus};
    let mut f = fixture_in_file();
    login(&mut f.app, "petugas1", "111111");
    press(&mut f.app, KeyCode::Down);
    // Which booking the cursor is on: the one Enter opens.
    let opened = |f: &mut Fixture| {
        press(&mut f.app, KeyCode::Enter);
        let screen = draw(&f.app, 100, 30);
        press(&mut f.app, KeyCode::Esc);
        screen.lines().nth(2).unwrap_or_default().to_owned()
    };
    let before = opened(&mut f);
    let mut worker = loket::store::Store::open(&f.data.path().join("loket.db"), "JKS").unwrap();
    let mut arrival = f.today[0].clone();
    arrival.code = loket::domain::BookingCode::from_number(4_242_424);
    arrival.slot = chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap();
    arrival.applicants.truncate(1);
    arrival.applicants[0].name = "ZUBAIDAH PULLED".into();
    worker.put_booking(&arrival).unwrap();
    let status = |pulled| SyncStatus {
        state: SyncState::Online,
        counts: loket::store::SyncCounts {
            events: 7,
            ..Default::default()
        },
        at: loket::domain::Zone::Wib.local(now()),
        credential_expires: None,
        pulled,
    };
    f.app.handle(loket::ui::Event::Sync(status(0)));
    let screen = draw(&f.app, 100, 30);
    assert!(
        !screen.contains("ZUBAIDAH"),
        "nothing pulled, nothing reloaded"
    );
    assert!(screen.contains("7 peristiwa"), "{screen}");
    f.app.handle(loket::ui::Event::Sync(status(1)));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("ZUBAIDAH"), "{screen}");
    // The new booking came in above the cursor, which stayed on its booking.
    assert_eq!(opened(&mut f), before);
}

/// Fills the interview with `answers` (from the destination on), moves `skip` more fields
/// down and ticks the box there, then completes the interview and the photo step (no camera):
/// the case stands at its decision.
fn interview_ticking(f: &mut Fixture, answers: &[&str], skip: usize) {
    press(&mut f.app, KeyCode::Right);
    for answer in answers {
        press(&mut f.app, KeyCode::Enter);
        typ(&mut f.app, answer);
    }
    for _ in 0..skip {
        press(&mut f.app, KeyCode::Enter);
    }
    press(&mut f.app, KeyCode::Char(' '));
    press(&mut f.app, KeyCode::F(8));
    press(&mut f.app, KeyCode::F(8));
}

/// Answers an open reason dialog, then the supervisor dialog that follows it.
fn approve(f: &mut Fixture, reason: &str, user: &str, pin: &str) {
    typ(&mut f.app, reason);
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, user);
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, pin);
    press(&mut f.app, KeyCode::Enter);
}

/// A red flag ticked at the interview is shown where the decision is made, and the case
/// goes on only with a reason and another person's supervisor PIN.
#[test]
fn a_red_flag_reaches_the_decision_and_only_a_supervisor_lets_the_case_go_on() {
    let mut config = loket::config::Config::defaults();
    config.counter.underpaid = loket::config::UnderpaidRule::Supervisor;
    let mut f = fixture_with(config.clone());
    to_interview(&mut f, ApplicationType::New);
    // Past the notes to the first red flag, "Dugaan PMI non-prosedural".
    let answers = ["Malaysia", "Buruh", "2 tahun", "Budi 0812"];
    interview_ticking(&mut f, &answers, 2);
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("Tanda perhatian: Dugaan PMI non-prosedural"),
        "{screen}"
    );
    press(&mut f.app, KeyCode::F(8));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("tanda perhatian"), "{screen}");
    assert!(!screen.contains("Y = ya"), "no plain yes/no: {screen}");
    // The asking officer cannot approve.
    approve(&mut f, "Sponsor resmi, kontrak BP2MI", "petugas1", "111111");
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("orang lain"), "{screen}");
    assert!(!screen.contains("Menunggu foto"), "{screen}");
    // The same case, approved by the supervisor: continued.
    let mut f = fixture_with(config);
    to_interview(&mut f, ApplicationType::New);
    interview_ticking(&mut f, &answers, 2);
    press(&mut f.app, KeyCode::F(8));
    approve(
        &mut f,
        "Sponsor resmi, kontrak BP2MI",
        "supervisor1",
        "222222",
    );
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Menunggu foto"), "{screen}");
}

/// A fine waived for force majeure (keadaan kahar) goes through only with a supervisor, the
/// evidence named as the reason.
#[test]
fn a_waived_fine_needs_a_supervisor_and_the_evidence() {
    let mut config = loket::config::Config::defaults();
    config.counter.underpaid = loket::config::UnderpaidRule::Supervisor;
    let mut f = fixture_with(config);
    to_interview(&mut f, ApplicationType::Lost);
    // "Keadaan kahar" comes right after the police report number.
    let answers = [
        "Jepang",
        "Guru",
        "14 hari",
        "Budi 0812",
        "Hanyut saat banjir",
        "LP/9/XI/2026",
    ];
    interview_ticking(&mut f, &answers, 1);
    press(&mut f.app, KeyCode::F(8));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("keadaan kahar"), "{screen}");
    assert!(!screen.contains("Y = ya"), "no plain yes/no: {screen}");
    approve(&mut f, "Surat BPBD 12/XI/2026", "supervisor1", "222222");
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Menunggu foto"), "{screen}");
}

/// The status line's count of events waiting follows this counter's own actions (read
/// after a write, not in render), and drafts typed at every key leave it as it is.
#[test]
fn the_waiting_count_follows_actions_not_keystrokes() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    assert!(draw(&f.app, 80, 24).contains("· 0 peristiwa menunggu"));
    let code = find(&f.today, |b| clean_single(b, ApplicationType::New))
        .code
        .to_string();
    typ(&mut f.app, &code);
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    let count = |f: &Fixture| {
        let screen = draw(&f.app, 80, 24);
        let line = screen
            .lines()
            .find(|l| l.contains("peristiwa menunggu"))
            .unwrap_or_default()
            .to_owned();
        line.split_whitespace()
            .find_map(|w| w.parse::<u32>().ok())
            .unwrap_or_default()
    };
    // Opening the booking and checking the applicant in: a view and a check-in (at least).
    let opened = count(&f);
    assert!(opened >= 2, "{opened}");
    typ(&mut f.app, " Putri");
    assert_eq!(count(&f), opened, "a draft is not an event");
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "1");
    assert!(
        count(&f) > opened,
        "the name and a document were saved as events"
    );
}

#[test]
fn a_corrected_name_keeps_to_the_passport_name_rule() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    // The cursor starts in the name: symbols typed after it are refused, with the rule.
    typ(&mut f.app, "@@##");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("Nama: '@' tidak boleh ada di nama paspor"),
        "{screen}"
    );
    // Corrected, it is saved.
    press(&mut f.app, KeyCode::Up);
    for _ in 0..4 {
        press(&mut f.app, KeyCode::Backspace);
    }
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(
        !screen.contains("tidak boleh ada di nama paspor"),
        "{screen}"
    );
}

#[test]
fn numbers_are_given_called_and_seen_on_the_supervisors_board() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    for i in 0..3 {
        press(&mut f.app, KeyCode::F(3));
        if i == 0 {
            // No printer: the number stands large on the screen until a key.
            let screen = draw(&f.app, 100, 30);
            assert!(
                screen.contains("Sebutkan nomor ini kepada pemohon"),
                "{screen}"
            );
            assert_snapshot!("ticket_big_100x30", screen);
            // At the smallest screen the terminal draws, the number still shows in full.
            let small = draw(&f.app, 80, 24);
            assert!(small.contains("A-1001"), "{small}");
        }
        press(&mut f.app, KeyCode::Esc);
        press(&mut f.app, KeyCode::Down);
    }
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("3 menunggu"), "{screen}");
    assert!(screen.contains("Nomor antrean"), "{screen}");
    // The same booking keeps its number.
    press(&mut f.app, KeyCode::Up);
    press(&mut f.app, KeyCode::F(3));
    assert!(draw(&f.app, 100, 30).contains("sudah punya nomor"));
    // F6 calls the oldest; F6 again refuses while it is not served; F8 marks it absent.
    press(&mut f.app, KeyCode::F(6));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Dipanggil A-1001 ke loket 1"), "{screen}");
    press(&mut f.app, KeyCode::F(6));
    assert!(draw(&f.app, 100, 30).contains("belum dilayani"));
    press(&mut f.app, KeyCode::F(8));
    assert!(draw(&f.app, 100, 30).contains("tidak hadir"));
    press(&mut f.app, KeyCode::F(6));
    assert!(draw(&f.app, 100, 30).contains("Dipanggil A-1002"));
    // An officer cannot open the board.
    press(&mut f.app, KeyCode::F(4));
    assert!(draw(&f.app, 100, 30).contains("hanya untuk supervisor"));
    press(&mut f.app, KeyCode::F(10));
    login(&mut f.app, "supervisor1", "222222");
    let small = draw(&f.app, 80, 24);
    assert!(small.contains("Papan 25/11/2026"), "{small}");
    // Never synced (local mode): the board knows this counter's tickets only.
    assert!(small.contains("data loket ini saja"), "{small}");
    assert_snapshot!("board_80x24", small);
    assert_snapshot!("board_200x60", draw(&f.app, 200, 60));
}

/// pusat's answer to F6 decides what the counter does: a call pusat refused (it still
/// holds this counter to another number) is not made from the counter's own view either,
/// and the officer reads why; only a pusat that could not be reached lets the counter call
/// by itself.
#[test]
fn a_call_pusat_refused_is_not_made_offline_and_says_why() {
    use loket::ui::Event;
    use loket::ui::work::{CallAnswer, Done};
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    for _ in 0..2 {
        press(&mut f.app, KeyCode::F(3));
        press(&mut f.app, KeyCode::Esc);
        press(&mut f.app, KeyCode::Down);
    }
    let refused = CallAnswer::Refused(loket::sync::SyncError::Holding("A-1009".into()));
    f.app.handle(Event::Work(Done::Called(refused)));
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("Menurut pusat, A-1009 masih dipanggil"),
        "{screen}"
    );
    assert!(
        screen.contains("2 menunggu"),
        "nothing was called: {screen}"
    );
    let unreached = CallAnswer::Unreached("pusat cannot be reached".into());
    f.app.handle(Event::Work(Done::Called(unreached)));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Dipanggil A-1001 ke loket 1"), "{screen}");
}

/// When pusat refuses one of this counter's own events, the officer is told at once, the
/// status line keeps counting it, and Ctrl+R says what and why (then it counts as seen).
#[test]
fn what_pusat_refused_is_told_counted_and_shown_on_ctrl_r() {
    use loket::ui::Event;
    let refusal = loket::protocol::RefusedEvent {
        seq: 7,
        kind: "ticket.transfer".into(),
        reason: "office JKS has no line Z".into(),
    };
    let at = common::now().fixed_offset();
    let told = refusal.clone();
    let mut f = fixture_prepared(loket::config::Config::defaults(), move |store, _| {
        store.record_refused(&[told], at).unwrap();
    });
    login(&mut f.app, "petugas1", "111111");
    let counts = f.app.desk().sync_counts().unwrap();
    assert_eq!(counts.refused, 1);
    f.app.handle(Event::Sync(loket::sync::SyncStatus {
        state: loket::sync::SyncState::Online,
        counts,
        at,
        credential_expires: None,
        pulled: 0,
    }));
    let screen = draw(&f.app, 120, 30);
    assert!(
        screen.contains("pusat menolak 1 peristiwa loket ini"),
        "{screen}"
    );
    assert!(screen.contains("⚠ 1 ditolak pusat (Ctrl+R)"), "{screen}");
    ctrl(&mut f.app, 'r');
    let screen = draw(&f.app, 120, 30);
    assert!(
        screen.contains("#7 ticket.transfer: office JKS has no line Z"),
        "{screen}"
    );
    assert!(!screen.contains("ditolak pusat (Ctrl+R)"), "{screen}");
    assert_eq!(f.app.desk().sync_counts().unwrap().refused, 0);
    // Nothing left to show: Ctrl+R tries to sync now, and says so.
    ctrl(&mut f.app, 'r');
    assert!(draw(&f.app, 120, 30).contains("Sinkron dicoba sekarang"));
}

/// A called number leads to its applicant: the list shows each booking's number, F6 puts
/// the cursor on the booking called (its applicant named on the call line) so Enter serves
/// it, and a typed number finds its booking.
#[test]
fn a_called_number_leads_to_its_booking() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    let rows = f.app.desk().queue(today()).unwrap();
    for _ in 0..2 {
        press(&mut f.app, KeyCode::F(3));
        press(&mut f.app, KeyCode::Esc);
        press(&mut f.app, KeyCode::Down);
    }
    let screen = draw(&f.app, 120, 30);
    for (row, number) in rows.iter().zip(["A-1001", "A-1002"]) {
        let line = screen
            .lines()
            .find(|l| l.contains(row.code.to_string().as_str()))
            .unwrap_or_else(|| panic!("{screen}"));
        assert!(line.contains(number), "{line}");
    }
    press(&mut f.app, KeyCode::F(6));
    let screen = draw(&f.app, 120, 30);
    assert!(
        screen.contains(&format!(
            "Dipanggil A-1001 ke loket 1 (1×): {}",
            rows[0].first_name
        )),
        "{screen}"
    );
    // The cursor moved from the third row to the booking called: Enter serves it.
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 120, 30).contains(rows[0].code.to_string().as_str()));
    press(&mut f.app, KeyCode::Esc);
    assert!(draw(&f.app, 120, 30).contains("Melayani A-1001"));
    // A typed number finds its booking; one nobody holds is said as such.
    typ(&mut f.app, "a1002");
    let screen = draw(&f.app, 120, 30);
    assert!(
        screen.contains(rows[1].code.to_string().as_str()),
        "{screen}"
    );
    assert!(
        !screen.contains(rows[0].code.to_string().as_str()),
        "{screen}"
    );
    press(&mut f.app, KeyCode::Esc);
    typ(&mut f.app, "A-7777");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 120, 30);
    assert!(
        screen.contains("Tidak ada nomor A-7777 hari ini"),
        "{screen}"
    );
}

#[test]
fn the_board_says_since_when_it_has_not_heard_from_pusat() {
    let at = |hhmm: &str| {
        chrono::DateTime::parse_from_rfc3339(&format!("{}T{hhmm}:00+07:00", today())).unwrap()
    };
    // Synced a minute ago: the figures stand as of then.
    let mut f = fixture_prepared(loket::config::Config::defaults(), |store, _| {
        store.set_last_success(at("08:59")).unwrap();
    });
    login(&mut f.app, "supervisor1", "222222");
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("per 08:59 WIB"), "{screen}");
    assert!(!screen.contains("Luring"), "{screen}");
    // Last heard from pusat ten minutes ago: it says what it cannot know.
    let mut f = fixture_prepared(loket::config::Config::defaults(), |store, _| {
        store.set_last_success(at("08:50")).unwrap();
    });
    login(&mut f.app, "supervisor1", "222222");
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Luring sejak 08:50"), "{screen}");
}

fn ctrl(app: &mut loket::ui::App, c: char) {
    use crossterm::event::{Event as TermEvent, KeyEvent, KeyModifiers};
    app.handle(loket::ui::Event::Term(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    ))));
}

#[test]
fn typed_numbers_transfers_and_the_close_of_the_day() {
    let mut f = fixture();
    login(&mut f.app, "petugas1", "111111");
    for _ in 0..3 {
        press(&mut f.app, KeyCode::F(3));
        press(&mut f.app, KeyCode::Esc);
        press(&mut f.app, KeyCode::Down);
    }
    // A number typed wrong is refused with the reason; a real one is called out of order.
    typ(&mut f.app, "A-1999");
    press(&mut f.app, KeyCode::F(6));
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("Tidak ada nomor A-1999 hari ini"),
        "{screen}"
    );
    press(&mut f.app, KeyCode::Esc);
    typ(&mut f.app, "a1003");
    press(&mut f.app, KeyCode::F(6));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Dipanggil A-1003 ke loket 1"), "{screen}");
    // Ctrl+T: a line the office does not run is refused in the dialog, with its lines.
    ctrl(&mut f.app, 't');
    typ(&mut f.app, "Q");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("tidak punya lini Q. Lini yang ada: A, B, P, C"),
        "{screen}"
    );
    press(&mut f.app, KeyCode::Backspace);
    typ(&mut f.app, "B");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("A-1003 dipindahkan ke B"), "{screen}");
    // It keeps the number on the applicant's slip, and is called from line B.
    typ(&mut f.app, "A-1003");
    press(&mut f.app, KeyCode::F(3));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Nomor A-1003 sedang menunggu"), "{screen}");
    press(&mut f.app, KeyCode::Esc);
    // The supervisor's board: reassign by number, then close the day.
    press(&mut f.app, KeyCode::F(10));
    login(&mut f.app, "supervisor1", "222222");
    typ(&mut f.app, "r");
    typ(&mut f.app, "A-1001");
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "C 2");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("A-1001 dipindahkan ke C · loket 2"),
        "{screen}"
    );
    typ(&mut f.app, "t");
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("3 nomor yang belum dilayani"), "{screen}");
    typ(&mut f.app, "y");
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Hari ditutup: 3 nomor"), "{screen}");
    let reports: Vec<_> = std::fs::read_dir(f.data.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        reports.iter().any(|n| n.ends_with(".html")) && reports.iter().any(|n| n.ends_with(".csv")),
        "{reports:?}"
    );
}

#[test]
fn the_board_shows_the_step_a_serving_counter_is_on() {
    let mut f = fixture();
    let code = f.today[0].code.to_string();
    login(&mut f.app, "petugas1", "111111");
    press(&mut f.app, KeyCode::F(3));
    press(&mut f.app, KeyCode::Esc);
    press(&mut f.app, KeyCode::F(6));
    // Opening the called booking serves it; checking an applicant in opens the case.
    typ(&mut f.app, &code);
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Verifikasi berkas"), "{screen}");
    press(&mut f.app, KeyCode::F(10));
    login(&mut f.app, "supervisor1", "222222");
    let board = draw(&f.app, 100, 30);
    let row = board
        .lines()
        .find(|l| l.contains("A-1001"))
        .unwrap_or_else(|| panic!("{board}"));
    assert!(
        row.contains("petugas1") && row.contains("Verifikasi berkas"),
        "{board}"
    );
}

#[test]
fn the_board_reloads_each_minute_with_nothing_pressed() {
    let mut f = fixture_in_file();
    login(&mut f.app, "supervisor1", "222222");
    f.app.handle(loket::ui::Event::Tick);
    assert!(draw(&f.app, 100, 30).contains("· 0 menunggu ·"));
    // Another writer (as a pull does) adds a ticket; the board sees it at the next minute.
    let mut other = loket::store::Store::open(&f.data.path().join("loket.db"), "JKS").unwrap();
    let rules = loket::domain::queue::QueueRules::default();
    let actor = loket::store::Actor {
        key: None,
        username: "petugas1".into(),
        now: chrono::DateTime::parse_from_rfc3339(&format!("{}T09:00:00+07:00", today())).unwrap(),
    };
    other
        .issue_ticket(&actor, 2, &rules.lines[0], today(), None)
        .unwrap();
    f.app.handle(loket::ui::Event::Tick);
    assert!(
        draw(&f.app, 100, 30).contains("· 0 menunggu ·"),
        "same minute"
    );
    f.clock.advance(chrono::Duration::minutes(1));
    f.app.handle(loket::ui::Event::Tick);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("· 1 menunggu ·"), "{screen}");
}

#[test]
fn a_request_sent_to_the_board_is_answered_on_another_terminal_not_the_one_holding_it() {
    let mut f = fixture();
    let code = open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    typ(&mut f.app, "12");
    press(&mut f.app, KeyCode::Char('1'));
    press(&mut f.app, KeyCode::F(8));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("F4: kirim ke papan"), "{screen}");
    // The supervisor is not here: F4 sends the request to the board; the case waits.
    press(&mut f.app, KeyCode::F(4));
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("dikirim ke papan supervisor"), "{screen}");
    assert!(screen.contains("Menunggu supervisor"), "{screen}");
    assert_snapshot!("case_awaiting_board_100x30", screen);
    // F4 again finds it waiting: one request at a time.
    press(&mut f.app, KeyCode::F(8));
    press(&mut f.app, KeyCode::F(4));
    assert!(draw(&f.app, 100, 30).contains("sudah menunggu"));
    press(&mut f.app, KeyCode::Esc);
    press(&mut f.app, KeyCode::F(10));
    // The supervisor's board lists it; K without a note is refused; S approves.
    login(&mut f.app, "supervisor1", "222222");
    let board = draw(&f.app, 120, 40);
    assert!(
        board.contains("Menunggu persetujuan supervisor (1)"),
        "{board}"
    );
    // Who asks, for whom, and what exactly: the failed check is named.
    assert!(
        board.contains("petugas1 minta untuk Rahayu Pangaribuan"),
        "{board}"
    );
    assert!(
        board.contains("loloskan dokumen meski: Kartu Keluarga (KK)"),
        "{board}"
    );
    assert_snapshot!("board_with_a_request_120x40", board);
    press(&mut f.app, KeyCode::Char('k'));
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 120, 40).contains("Tulis alasan"));
    press(&mut f.app, KeyCode::Esc);
    press(&mut f.app, KeyCode::Char('s'));
    typ(&mut f.app, "7");
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    assert!(draw(&f.app, 120, 40).contains("Tidak ada permintaan nomor 17"));
    press(&mut f.app, KeyCode::Esc);
    // An answer from the terminal that holds the case is refused (pusat would refuse it
    // too): the supervisor approves here with their PIN in the counter's dialog, or on
    // another terminal's board.
    press(&mut f.app, KeyCode::Char('s'));
    press(&mut f.app, KeyCode::Enter);
    press(&mut f.app, KeyCode::Enter);
    let board = draw(&f.app, 120, 40);
    assert!(board.contains("dari terminal ini sendiri"), "{board}");
    assert!(!board.contains("menyetujui permintaan"), "{board}");
    press(&mut f.app, KeyCode::Esc);
    press(&mut f.app, KeyCode::F(10));
    // Back at the counter the case still waits.
    open_case(&mut f, &code);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Menunggu supervisor"), "{screen}");
}

#[test]
fn a_paste_longer_than_a_field_is_cut_and_says_so() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    // On a document: 3 asks for its note. A paste that fits says nothing...
    press(&mut f.app, KeyCode::Char('3'));
    f.app
        .handle(loket::ui::Event::Term(crossterm::event::Event::Paste(
            "laminasi rusak".into(),
        )));
    assert!(!draw(&f.app, 100, 30).contains("terlalu panjang"));
    // ...a 5,000-character paste goes in cut to 400, and says so.
    f.app
        .handle(loket::ui::Event::Term(crossterm::event::Event::Paste(
            "x".repeat(5000),
        )));
    let screen = draw(&f.app, 100, 30);
    assert!(
        screen.contains("terlalu panjang (5000 karakter)"),
        "{screen}"
    );
    assert!(screen.contains("hanya 400 karakter pertama"), "{screen}");
}

#[test]
fn a_birth_date_corrected_to_a_child_s_changes_the_documents_asked_for() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    let before = draw(&f.app, 100, 30);
    assert!(before.contains("e-KTP"), "{before}");
    // The first document is checked, then the birth date is corrected to a child's.
    to_checklist(&mut f);
    press(&mut f.app, KeyCode::Up);
    press(&mut f.app, KeyCode::Up);
    ctrl(&mut f.app, 'u');
    typ(&mut f.app, "01/01/2020");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("mengubah dokumen"), "{screen}");
    assert!(screen.contains("KTP ayah dan ibu"), "{screen}");
    assert!(!screen.contains("e-KTP  "), "{screen}");
    // The header's age follows too.
    assert!(
        screen.contains(" 6 th") || screen.contains(" 5 th"),
        "{screen}"
    );
}

#[test]
fn a_notice_follows_the_language_switched_to() {
    let mut f = fixture();
    // The documents step completed by keys, so its notice shows.
    open_clean_case(&mut f, ApplicationType::Lost);
    to_checklist(&mut f);
    typ(&mut f.app, "1111");
    press(&mut f.app, KeyCode::F(8));
    let id = draw(&f.app, 100, 30);
    assert!(id.contains("selesai"), "{id}");
    press(&mut f.app, KeyCode::F(2));
    let en = draw(&f.app, 100, 30);
    assert!(en.contains("complete"), "{en}");
    assert!(!en.contains("selesai."), "{en}");
    press(&mut f.app, KeyCode::F(2));
    assert_eq!(draw(&f.app, 100, 30), id);
}

#[test]
fn the_case_help_shows_every_key_at_80x24() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    press(&mut f.app, KeyCode::F(1));
    let screen = draw(&f.app, 80, 24);
    assert!(screen.contains("F10"), "{screen}");
    assert!(screen.contains('└'), "{screen}");
    // A long description goes on over a second line instead of being cut.
    assert!(screen.contains("catatan"), "{screen}");
}

#[test]
fn the_incomplete_answers_notice_goes_once_every_answer_is_given() {
    let mut f = fixture();
    to_interview(&mut f, ApplicationType::New);
    press(&mut f.app, KeyCode::Right);
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "Jepang");
    press(&mut f.app, KeyCode::F(8));
    assert!(draw(&f.app, 100, 30).contains("Jawaban belum lengkap"));
    // Still incomplete while answers are missing...
    for answer in ["Guru", "14 hari"] {
        press(&mut f.app, KeyCode::Enter);
        typ(&mut f.app, answer);
    }
    assert!(draw(&f.app, 100, 30).contains("Jawaban belum lengkap"));
    // ...and gone with the last one typed, before F8.
    press(&mut f.app, KeyCode::Enter);
    typ(&mut f.app, "Budi 0812");
    let screen = draw(&f.app, 100, 30);
    assert!(!screen.contains("Jawaban belum lengkap"), "{screen}");
}

/// Every notice is said in both languages, down to a refused birth date (issue 12 #22).
#[test]
fn a_refused_birth_date_is_said_in_the_language_switched_to() {
    let mut f = fixture();
    open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    press(&mut f.app, KeyCode::Up);
    press(&mut f.app, KeyCode::Up);
    ctrl(&mut f.app, 'u');
    typ(&mut f.app, "31/02/1990");
    press(&mut f.app, KeyCode::Enter);
    let id = draw(&f.app, 100, 30);
    assert!(id.contains("tidak sah"), "{id}");
    press(&mut f.app, KeyCode::F(2));
    let en = draw(&f.app, 100, 30);
    assert!(en.contains("is not valid"), "{en}");
    assert!(!en.contains("tidak sah"), "{en}");
}

/// With a printer configured, a deferral prints the slip the applicant takes home: the
/// booking, what to bring and the note, through a real pseudo-terminal as a serial printer.
#[test]
fn a_deferral_prints_what_to_bring_when_the_counter_has_a_printer() {
    use serialport::{SerialPort, TTYPort};
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("printer");
    let (mut master, slave) = TTYPort::pair().unwrap();
    std::os::unix::fs::symlink(slave.name().unwrap(), &link).unwrap();
    let mut config = loket::config::Config::defaults();
    config.printer.port = link.display().to_string();
    let mut f = fixture_with(config);
    let code = open_clean_case(&mut f, ApplicationType::New);
    to_checklist(&mut f);
    typ(&mut f.app, "21");
    press(&mut f.app, KeyCode::F(6));
    typ(&mut f.app, "Bawa fotokopi juga");
    press(&mut f.app, KeyCode::Enter);
    let screen = draw(&f.app, 100, 30);
    assert!(screen.contains("Ditunda"), "{screen}");
    master
        .set_timeout(std::time::Duration::from_millis(300))
        .unwrap();
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // The whole slip: until the printer hears nothing more for a moment.
    while std::time::Instant::now() < deadline {
        let mut buf = [0u8; 512];
        match master.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut && !got.is_empty() => break,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("{e}"),
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("PERMOHONAN DITUNDA"), "{text}");
    assert!(text.contains(&code), "{text}");
    assert!(text.contains("- e-KTP") || text.contains("- KTP"), "{text}");
    assert!(text.contains("Bawa fotokopi juga"), "{text}");
    // Nothing is cut at the paper's edge: the last line came whole.
    assert!(text.contains("kembali."), "{text}");
    drop(slave);
}
