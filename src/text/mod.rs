//! Every string the officer reads, in Bahasa Indonesia and English, side by side in one
//! table (`table.rs`) so a missing translation is a compile error, and every mapping from
//! the domain to words beside it (`scan.rs` for scans and photo checks). The terminal and
//! the command line both speak through this module.
//!
//! Placeholders, filled by [`fill!`]: `{name}` takes the value given that name (so a
//! language orders them its own way, and a reader of the table sees what goes where), and
//! `{one|other}` chooses by the value before it ("1 event" / "2 events"; Bahasa Indonesia
//! needs no plural and uses none).

use crate::domain::booking::WalkInReason;
use crate::domain::case::{InterviewField, Purpose, RedFlag};
use crate::domain::checklist::{DocKind, DocStatus};
use crate::domain::fees::FeeItem;
use crate::domain::{ApplicationType, PassportType, Service, Sex, Step};
use crate::store::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Lang {
        if s.trim().eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Id
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }
    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::Id => &ID,
            Lang::En => &EN,
        }
    }
}

/// Fills a template of the table with named values, as `format!` names them:
/// `fill!(s.welcome, name = officer.name)`. See [`fill_named`].
#[macro_export]
macro_rules! fill {
    ($template:expr $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::text::fill_named(
            $template,
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),*],
        )
    };
}
pub use crate::fill;

/// Fills `template`'s placeholders: `{name}` with the value of that name, and
/// `{one|other}` with `one` when the value placed just before it reads "1", else `other`.
/// A name given no value, and anything else in braces, is kept as written, so a mistake
/// shows on the screen (and in the screen tests) instead of vanishing.
pub fn fill_named(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    let mut last: Option<String> = None;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inside = &after[..close];
        if let Some((one, other)) = inside.split_once('|') {
            out.push_str(if last.as_deref() == Some("1") {
                one
            } else {
                other
            });
        } else if let Some((_, value)) = values.iter().find(|(name, _)| *name == inside) {
            let value = value.to_string();
            out.push_str(&value);
            last = Some(value);
        } else {
            out.push('{');
            out.push_str(inside);
            out.push('}');
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The names a template's placeholders use, each once, in order of first use.
#[cfg(test)]
fn placeholder_names(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let inside = &after[..close];
        if !inside.contains('|') && !names.contains(&inside) {
            names.push(inside);
        }
        rest = &after[close + 1..];
    }
    names
}

/// What became of one supervisor's answer from the board, in `lang`.
pub fn approval_answer_text(a: &crate::counter::Answered, lang: Lang) -> String {
    let s = lang.strings();
    match (&a.case, a.answer.granted) {
        (Ok(_), true) => fill!(
            s.approval_granted_notice,
            supervisor = a.answer.supervisor,
            booking = a.booking
        ),
        (Ok(_), false) => fill!(
            s.approval_returned_notice,
            supervisor = a.answer.supervisor,
            booking = a.booking,
            note = a.answer.note
        ),
        (Err(e), _) => fill!(
            s.approval_failed_notice,
            supervisor = a.answer.supervisor,
            booking = a.booking,
            why = counter_text(e, s, lang)
        ),
    }
}

macro_rules! strings {
    ($($key:ident: $id:expr, $en:expr;)*) => {
        pub struct Strings { $(pub $key: &'static str,)* }
        pub static ID: Strings = Strings { $($key: $id,)* };
        pub static EN: Strings = Strings { $($key: $en,)* };
        #[cfg(test)]
        pub(super) fn strings_list(s: &Strings) -> Vec<(&'static str, &'static str)> {
            vec![$((stringify!($key), s.$key),)*]
        }
    };
}

mod table;
pub use table::{EN, ID, Strings};

pub mod scan;

impl Strings {
    pub fn role(&self, r: Role) -> &'static str {
        match r {
            Role::Officer => self.role_officer,
            Role::Supervisor => self.role_supervisor,
            Role::Technician => self.role_technician,
        }
    }
    pub fn step(&self, s: Step) -> &'static str {
        match s {
            Step::CheckIn => self.step_checkin,
            Step::Documents => self.step_documents,
            Step::Interview => self.step_interview,
            Step::Photo => self.step_photo,
            Step::Decision => self.step_decision,
        }
    }
    pub fn application(&self, a: ApplicationType) -> &'static str {
        match a {
            ApplicationType::New => self.app_new,
            ApplicationType::ReplacementExpired => self.app_expired,
            ApplicationType::ReplacementFull => self.app_full,
            ApplicationType::Lost => self.app_lost,
            ApplicationType::Damaged => self.app_damaged,
            ApplicationType::DataChange => self.app_data_change,
        }
    }
    pub fn passport(&self, p: PassportType) -> &'static str {
        match p {
            PassportType::Ordinary => self.pp_ordinary,
            PassportType::Electronic5 => self.pp_e5,
            PassportType::Electronic10 => self.pp_e10,
        }
    }
    pub fn service(&self, s: Service) -> &'static str {
        match s {
            Service::Regular => self.svc_regular,
            Service::Express => self.svc_express,
        }
    }
    pub fn sex(&self, s: Sex) -> &'static str {
        match s {
            Sex::Male => self.sex_m,
            Sex::Female => self.sex_f,
        }
    }
    pub fn walk_in(&self, w: WalkInReason) -> &'static str {
        match w {
            WalkInReason::Elderly => self.wi_elderly,
            WalkInReason::Disability => self.wi_disability,
            WalkInReason::ChildUnderFive => self.wi_child,
            WalkInReason::LostOrDamaged => self.wi_lost,
        }
    }
    pub fn doc(&self, d: DocKind) -> &'static str {
        use DocKind::*;
        match d {
            EKtp => self.doc_ektp,
            FamilyCard => self.doc_kk,
            CivilRecord => self.doc_civil,
            NameChangeDecree => self.doc_name_change,
            OldPassport => self.doc_old_passport,
            PoliceReport => self.doc_police,
            DamagedPassport => self.doc_damaged,
            MigrantRecommendation => self.doc_pmi,
            ParentsKtp => self.doc_parents_ktp,
            BirthRecord => self.doc_birth,
            ParentsMarriageRecord => self.doc_parents_marriage,
            BothParentsPresent => self.doc_parents_present,
        }
    }
    pub fn doc_status(&self, d: DocStatus) -> &'static str {
        match d {
            DocStatus::Unchecked => self.ds_unchecked,
            DocStatus::Valid => self.ds_valid,
            DocStatus::Missing => self.ds_missing,
            DocStatus::Invalid => self.ds_invalid,
        }
    }
    pub fn purpose(&self, p: Purpose) -> &'static str {
        match p {
            Purpose::Tourism => self.pu_tourism,
            Purpose::Pilgrimage => self.pu_pilgrimage,
            Purpose::Work => self.pu_work,
            Purpose::Study => self.pu_study,
            Purpose::Business => self.pu_business,
            Purpose::Family => self.pu_family,
            Purpose::Medical => self.pu_medical,
            Purpose::Other => self.pu_other,
        }
    }
    pub fn red_flag(&self, f: RedFlag) -> &'static str {
        match f {
            RedFlag::SuspectedIrregularMigrant => self.rf_pmi,
            RedFlag::InconsistentAnswers => self.rf_inconsistent,
            RedFlag::DoubtfulDocuments => self.rf_docs,
            RedFlag::AccompaniedByAgent => self.rf_agent,
        }
    }
    pub fn interview_field(&self, f: InterviewField) -> &'static str {
        match f {
            InterviewField::Purpose => self.iv_purpose,
            InterviewField::Destination => self.iv_destination,
            InterviewField::Occupation => self.iv_occupation,
            InterviewField::LengthOfStay => self.iv_stay,
            InterviewField::EmergencyContact => self.iv_contact,
            InterviewField::Chronology => self.iv_chronology,
            InterviewField::PoliceReportNo => self.iv_police,
        }
    }
    pub fn fee(&self, f: FeeItem) -> &'static str {
        match f {
            FeeItem::OrdinaryPassport => self.fee_ordinary,
            FeeItem::ElectronicPassport5y => self.fee_e5,
            FeeItem::ElectronicPassport10y => self.fee_e10,
            FeeItem::ExpressService => self.fee_express,
            FeeItem::LostFine => self.fee_lost,
            FeeItem::DamagedFine => self.fee_damaged,
        }
    }
}

/// A border rule's words in the officer's language.
pub fn rule_text(rule: &crate::domain::intake::Rule, lang: Lang) -> String {
    match lang {
        Lang::Id => rule.indonesian(),
        Lang::En => rule.english(),
    }
}

/// Why a supervisor's PIN in an approval dialog was refused: wrong PINs there lock that
/// supervisor's approvals at this counter, never their sign-in.
pub fn approval_auth_text(e: &crate::store::AuthError, user: &str, s: &Strings) -> String {
    use crate::store::AuthError;
    match e {
        AuthError::WrongPin { remaining } => {
            fill!(s.approval_wrong_pin, left = remaining, user = user)
        }
        AuthError::Locked { until } => {
            fill!(s.approval_locked, time = until.format("%H:%M"), user = user)
        }
        other => auth_text(other, user, s),
    }
}

/// Why a sign-in, unlock or approval was refused, and what to do.
pub fn auth_text(e: &crate::store::AuthError, user: &str, s: &Strings) -> String {
    use crate::store::AuthError;
    match e {
        AuthError::UnknownUser => s.login_unknown.to_owned(),
        AuthError::WrongPin { remaining } => fill!(s.login_wrong_pin, left = remaining),
        AuthError::Locked { until } => fill!(s.login_locked, time = until.format("%H:%M")),
        AuthError::NotSupervisor => fill!(s.login_not_supervisor, user = user),
        AuthError::EmptyPin => s.pin_empty.to_owned(),
        AuthError::SealedElsewhere => s.pin_sealed_elsewhere.to_owned(),
        AuthError::Store(e) => fill!(s.err_store, why = e),
    }
}

/// Where a case stands, as the booking screen, the case header and the CLI say it.
pub fn case_label(s: &Strings, case: Option<&crate::domain::Case>) -> &'static str {
    use crate::domain::CaseStatus;
    match case.map(|c| c.status) {
        None => s.case_none,
        Some(CaseStatus::Open(step)) => s.step(step),
        Some(CaseStatus::Continued) => s.case_continued,
        Some(CaseStatus::Deferred) => s.case_deferred,
        Some(CaseStatus::Rejected) => s.case_rejected,
        Some(CaseStatus::AwaitingPhoto) => s.case_awaiting_photo,
    }
}

/// A booking's place in the queue, as the queue and `loket bookings list` say it.
pub fn queue_status(s: &Strings, status: crate::store::QueueStatus) -> &'static str {
    use crate::store::QueueStatus;
    match status {
        QueueStatus::Waiting => s.st_waiting,
        QueueStatus::InProgress => s.st_in_progress,
        QueueStatus::Done => s.st_done,
        QueueStatus::Approved => s.st_approved,
        QueueStatus::Rejected => s.st_rejected,
        QueueStatus::Deferred => s.st_deferred,
        QueueStatus::AwaitingPhoto => s.st_awaiting_photo,
        QueueStatus::Cancelled => s.st_cancelled,
        QueueStatus::Rescheduled => s.st_rescheduled,
    }
}

/// Why sync is not working, in words an officer or technician can act on.
pub fn sync_error_text(s: &Strings, e: &crate::sync::SyncError) -> String {
    use crate::sync::SyncError as E;
    match e {
        E::Offline(_) => s.sync_err_offline.to_owned(),
        E::Revoked => s.sync_err_revoked.to_owned(),
        E::Expired => s.sync_err_expired.to_owned(),
        E::Unauthorized => s.sync_err_unauthorized.to_owned(),
        E::EnrollCode => s.sync_err_enroll.to_owned(),
        E::Protocol(v) => fill!(s.sync_err_protocol, version = v),
        E::Nonsense(why) => fill!(s.sync_err_nonsense, why = why),
        E::Unavailable(why) => fill!(s.sync_err_unavailable, why = why),
        E::Refused(why) => fill!(s.sync_err_refused, why = why),
        E::Holding(ticket) => fill!(s.ticket_holding, ticket = ticket),
        E::Gap(n) => fill!(s.sync_err_refused, why = format!("seq {n}")),
        E::Store(why) => fill!(s.sync_err_store, why = why),
        E::Certificate(why) => fill!(s.sync_err_certificate, why = why),
        E::Insecure(url) => fill!(s.sync_err_insecure, url = url),
        E::Key(why) => fill!(s.sync_err_key, why = why),
    }
}

/// The NIK check in words: what is wrong and where to look.
pub fn nik_text(check: &crate::domain::nik::NikCheck, s: &Strings) -> String {
    match check {
        crate::domain::nik::NikCheck::Valid => s.nik_ok.to_owned(),
        crate::domain::nik::NikCheck::Invalid(e) => match e {
            crate::domain::nik::NikError::Length(n) => fill!(s.nik_len, digits = n),
            crate::domain::nik::NikError::NotDigits => s.nik_digits.to_owned(),
            crate::domain::nik::NikError::Province(p) => {
                fill!(s.nik_province, code = format!("{p:02}"))
            }
            crate::domain::nik::NikError::Region => s.nik_region.to_owned(),
            crate::domain::nik::NikError::BirthDate => s.nik_date.to_owned(),
            crate::domain::nik::NikError::Serial => s.nik_serial.to_owned(),
        },
        crate::domain::nik::NikCheck::Mismatch(list) => list
            .iter()
            .map(|m| match m {
                crate::domain::nik::NikMismatch::BirthDate {
                    nik: (d, m, y),
                    stated,
                } => fill!(
                    s.nik_date_mismatch,
                    nik_date = format!("{d:02}/{m:02}/..{y:02}"),
                    stated_date = crate::domain::format::date_short(*stated)
                ),
                crate::domain::nik::NikMismatch::Sex { nik, stated } => {
                    fill!(
                        s.nik_sex_mismatch,
                        nik_sex = s.sex(*nik),
                        stated_sex = s.sex(*stated)
                    )
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// A fee that cannot be worked out, in words (the fee table lacks an item for the day, or
/// cannot be read): never the error's English.
pub fn fee_error_text(e: &crate::domain::fees::FeeError, s: &Strings) -> String {
    use crate::domain::fees::FeeError;
    let detail = match e {
        FeeError::Missing { item, day } => {
            format!(
                "{} · {}",
                s.fee(*item),
                crate::domain::format::date_short(*day)
            )
        }
        FeeError::Format(_) => s.fee_table_unreadable.to_owned(),
    };
    fill!(s.fee_error, why = detail)
}

/// A ticket's state in words.
pub fn ticket_state(state: crate::domain::queue::TicketState, s: &Strings) -> &'static str {
    use crate::domain::queue::TicketState as T;
    match state {
        T::Issued => s.ts_issued,
        T::Called => s.ts_called,
        T::Serving => s.ts_serving,
        T::Done => s.ts_done,
        T::NoShow => s.ts_no_show,
        T::Cancelled => s.ts_cancelled,
    }
}

/// A refused queue action in words, when `e` is one (`None` for other store failures).
pub fn queue_text(e: &crate::store::StoreError, s: &Strings) -> Option<String> {
    use crate::domain::queue::TicketError;
    use crate::store::StoreError;
    Some(match e {
        StoreError::Ticket(TicketError::Transition { number, state, .. }) => {
            fill!(
                s.ticket_refused,
                ticket = number,
                state = ticket_state(*state, s)
            )
        }
        StoreError::Ticket(TicketError::NotHolder { number, holder }) => {
            fill!(s.ticket_other_counter, ticket = number, counter = holder)
        }
        StoreError::Ticket(TicketError::SameLine(line)) => fill!(s.ticket_same_line, line = line),
        StoreError::Ticket(_) | StoreError::NoSuchTicket => s.ticket_none_called.to_owned(),
        StoreError::NumbersUsedUp(line) => fill!(s.ticket_used_up, line = line),
        StoreError::Quota { line, quota } => fill!(s.ticket_quota, line = line, quota = quota),
        _ => return None,
    })
}

/// A store failure in words an officer can act on: every kind, Indonesian first; the
/// technical cause only in parentheses where nothing better can be said.
pub fn store_text(e: &crate::store::StoreError, s: &Strings) -> String {
    use crate::store::StoreError;
    if let Some(text) = queue_text(e, s) {
        return text;
    }
    match e {
        StoreError::DiskFull => s.err_disk_full.to_owned(),
        StoreError::Busy => s.err_busy.to_owned(),
        StoreError::Corrupt => s.err_corrupt.to_owned(),
        StoreError::OtherKiosk => s.err_other_kiosk.to_owned(),
        StoreError::Stopped => s.err_store_stopped.to_owned(),
        StoreError::CaseExists => s.err_case_exists.to_owned(),
        StoreError::NoSuchCase => s.err_no_case.to_owned(),
        StoreError::Case(crate::domain::case::CaseError::NotAwaitingPhoto) => {
            s.not_awaiting_photo.to_owned()
        }
        other => fill!(s.err_store, why = other),
    }
}

/// A refused use case of the counter in words (a store failure has `Ctx::store_failed`).
pub fn counter_text(e: &crate::counter::CounterError, s: &Strings, lang: Lang) -> String {
    use crate::counter::{CounterError, WalkInProblem};
    use crate::domain::walkin::WalkInRefusal;
    match e {
        CounterError::Store(e) => store_text(e, s),
        CounterError::PhotoCannotCrop => s.photo_cannot_crop.to_owned(),
        CounterError::PhotoFailed(codes) => fill!(s.photo_import_failed, checks = codes.join(", ")),
        CounterError::Auth(e) => auth_text(e, "", s),
        CounterError::SelfApproval => s.approver_self.to_owned(),
        CounterError::AnswerHere => s.answer_here.to_owned(),
        CounterError::NoApplicant(_) => s.err_no_applicant.to_owned(),
        CounterError::Cancelled(code) => fill!(s.err_cancelled, code = code),
        CounterError::NotToday(day) => fill!(
            s.ticket_not_today,
            day = crate::domain::format::date_short(*day)
        ),
        CounterError::TicketNumber(typed) => fill!(s.ticket_bad_number, typed = typed),
        CounterError::NoTicket(label) => fill!(s.ticket_no_such, ticket = label),
        CounterError::NoLine { line, known } => fill!(s.ticket_no_line, line = line, lines = known),
        CounterError::PhotoReused(booking) => fill!(
            s.photo_reused,
            booking = crate::domain::BookingCode::parse(booking)
                .map_or_else(|_| booking.clone(), |c| c.to_string())
        ),
        CounterError::NoCounter { counter, known } => {
            fill!(s.ticket_no_counter, counter = counter, counters = known)
        }
        CounterError::NoteNeeded => s.note_needed.to_owned(),
        CounterError::WalkIn(problem) => match problem {
            WalkInProblem::NoName => s.wi_need_name.to_owned(),
            WalkInProblem::Name(rule) => fill!(s.wi_bad_name, problem = rule_text(rule, lang)),
            WalkInProblem::Nik(e) => nik_text(&crate::domain::nik::NikCheck::Invalid(e.clone()), s),
            WalkInProblem::Refused(r) => match r {
                WalkInRefusal::NotElderly(age) => fill!(s.wi_not_elderly, age = age),
                WalkInRefusal::NotSmallChild(age) => fill!(s.wi_not_child, age = age),
                WalkInRefusal::NotLostOrDamaged => s.wi_not_lost.to_owned(),
                WalkInRefusal::BornInFuture => s.wi_future.to_owned(),
            },
        },
    }
}

/// `text` in lines of at most `width` characters, broken between words (a word longer
/// than a line is broken inside).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word wider than the line.
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_places_values_by_name() {
        assert_eq!(
            fill!("{n} dari {total}", n = 1, total = "lima"),
            "1 dari lima"
        );
        assert_eq!(fill!("tanpa", n = 1), "tanpa");
        // A name given no value stays visible rather than vanishing.
        assert_eq!(fill!("{n} {lost}", n = 1), "1 {lost}");
        assert_eq!(fill!("{dir} dan {dir}/x", dir = "/d"), "/d dan /d/x");
    }

    #[test]
    fn a_fee_error_reads_in_the_screen_language() {
        use crate::domain::fees::{FeeError, FeeItem};
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
        let e = FeeError::Missing {
            item: FeeItem::OrdinaryPassport,
            day,
        };
        let id = fee_error_text(&e, &ID);
        assert!(
            id.contains("Tarif tidak ditemukan") && id.contains("25/11/2026"),
            "{id}"
        );
        assert!(!id.contains("no fee") && !id.contains("Ordinary"), "{id}");
        let broken = fee_error_text(&FeeError::Format("x".into()), &ID);
        assert!(!broken.contains("TOML"), "{broken}");
    }

    #[test]
    fn fill_reorders_and_chooses_plurals() {
        assert_eq!(fill!("{b}, {a}", a = "a", b = "b"), "b, a");
        let events = "{n} {event|events} waiting";
        assert_eq!(fill!(events, n = 1), "1 event waiting");
        assert_eq!(fill!(events, n = 2), "2 events waiting");
        assert_eq!(fill!(events, n = 0), "0 events waiting");
        assert_eq!(fill!("{{kurung}} {x", x = 1), "{{kurung}} {x");
    }

    #[test]
    fn english_counts_agree_with_their_number() {
        let closed = |n: u32| fill!(EN.board_closed, count = n, report = "r.html");
        assert_eq!(
            closed(1),
            "Day closed: 1 number became a no-show. Report: r.html"
        );
        assert_eq!(
            closed(3),
            "Day closed: 3 numbers became no-shows. Report: r.html"
        );
        let waiting = |n: u32| fill!(EN.alert_approvals, count = n, since = "09:00");
        assert!(waiting(1).starts_with("1 request waits "), "{}", waiting(1));
        assert!(waiting(2).starts_with("2 requests wait "), "{}", waiting(2));
        // Bahasa Indonesia keeps one form.
        let id = fill!(ID.board_closed, count = 1, report = "r.html");
        assert_eq!(
            id,
            "Hari ditutup: 1 nomor menjadi tidak hadir. Laporan: r.html"
        );
    }

    #[test]
    fn both_languages_fill_the_same_placeholders() {
        let (id, en) = (table::strings_list(&ID), table::strings_list(&EN));
        for ((key, a), (_, b)) in id.iter().zip(en.iter()) {
            let (mut x, mut y) = (placeholder_names(a), placeholder_names(b));
            x.sort_unstable();
            y.sort_unstable();
            assert_eq!(x, y, "{key}: {a:?} / {b:?}");
            assert!(!a.is_empty() && !b.is_empty(), "{key}");
            for t in [a, b] {
                // Every placeholder is named: "{}" says nothing to a translator.
                assert!(!x.contains(&""), "{key}: an unnamed placeholder in {t:?}");
                // A plural choice follows a value, in both languages.
                if let Some(at) = t.find('|') {
                    assert!(t[..at].contains('}'), "{key}: a plural before any value");
                }
            }
        }
    }

    /// Every `fill!(s.KEY, ...)` in the source gives exactly the names KEY's wording uses:
    /// a name forgotten at a call, or a wording that gained a name no call gives, fails
    /// here rather than on an officer's screen.
    #[test]
    fn every_call_gives_the_names_its_wording_uses() {
        let wording: std::collections::HashMap<&str, Vec<&str>> = table::strings_list(&ID)
            .into_iter()
            .map(|(key, t)| (key, placeholder_names(t)))
            .collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut checked = 0;
        let mut files = vec![root];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{e}")) {
                    files.push(entry.unwrap_or_else(|e| panic!("{e}")).path());
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            for call in text.split("fill!(").skip(1) {
                let head: String = call
                    .chars()
                    .take_while(|c| *c != ',' && *c != ')')
                    .collect();
                let Some(key) = head.trim().strip_prefix("s.") else {
                    continue;
                };
                let Some(want) = wording.get(key) else {
                    continue;
                };
                // The names given: `name = ` at the call's top level.
                let mut given = Vec::new();
                let mut depth = 0;
                let mut word = String::new();
                for (i, c) in call.char_indices() {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' if depth == 0 => break,
                        ')' | ']' | '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 && (c.is_alphanumeric() || c == '_') {
                        word.push(c);
                    } else {
                        if depth == 0
                            && c == ' '
                            && !word.is_empty()
                            && call[i..].starts_with(" = ")
                            && !call[i..].starts_with(" == ")
                        {
                            given.push(std::mem::take(&mut word));
                        }
                        word.clear();
                    }
                }
                let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
                want.sort_unstable();
                given.sort_unstable();
                assert_eq!(given, want, "{}: fill!(s.{key}, ...)", path.display());
                checked += 1;
            }
        }
        assert!(
            checked > 150,
            "only {checked} calls found: the scan is broken"
        );
    }
}
