//! One applicant's case, step by step. The officer edits only the current step; PgUp/PgDn
//! show the others. Every change is one store action (state + outbox event + audit row),
//! so a crash at any moment leaves the case exactly as last shown.

mod capture;
mod dialogs;
mod documents;
mod interview;
mod photo;
mod render;
mod views;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::dialog::{Answer, Dialog};
use super::{Ctx, Level, Nav, Strings, View, fill, theme};
use crate::counter::{CounterError, DraftPolicy};
use crate::domain::case::{Biometrics, CaseError, CaseStatus, Decision, DocProblem, PhotoState};
use crate::domain::checklist::{DocKind, DocStatus};
use crate::domain::fees::{FeeError, FeeQuery, FeeSummary};
use crate::domain::{Action, Booking, Case, Step, format};
use crate::store::{PinAttempt, StoreError, StoredPhoto};
use crate::ui::work::{Done, PinFor, Work};
use dialogs::Pending;
use documents::{DocsOut, DocsPanel};
use interview::InterviewPanel;

use photo::{PhotoOut, PhotoPanel};

pub struct CaseScreen {
    booking: Booking,
    case: Case,
    viewing: Step,
    docs: DocsPanel,
    interview: InterviewPanel,
    fee: Result<FeeSummary, FeeError>,
    dialog: Option<(Dialog, Pending)>,
    /// Whether a draft of uncommitted typing is stored for this case.
    draft_saved: bool,
    /// When drafts go to the disk durably (on leaving a field, and every second).
    drafts: DraftPolicy,
    photo: PhotoPanel,
    /// Whether this counter has a camera for the photo step.
    camera: bool,
    /// The notice on screen is this form's refusal of the identity typed: it goes once the
    /// identity is right again, rather than staying after it stopped being true.
    identity_refused: bool,
    /// The notice on screen says the interview's answers are incomplete: it goes once they
    /// are all given.
    answers_refused: bool,
    /// The supervisor whose PIN approved the next action here: its event carries the
    /// proof of their approval to pusat.
    approver: Option<crate::store::Approver>,
}

fn step_key(step: Step) -> &'static str {
    match step {
        Step::Documents => "documents",
        Step::Interview => "interview",
        _ => "",
    }
}

impl CaseScreen {
    pub fn new(ctx: &mut Ctx<'_>, booking: Booking, case: Case) -> CaseScreen {
        if let Err(e) = ctx.desk.record_case_view(&ctx.actor(), &case) {
            ctx.store_failed(&e);
        }
        let viewing = case.current_step().unwrap_or(Step::Decision);
        let mut screen = CaseScreen {
            docs: DocsPanel::new(&case),
            interview: InterviewPanel::new(&case),
            booking,
            case,
            viewing,
            fee: Err(FeeError::Format(String::new())),
            dialog: None,
            draft_saved: false,
            drafts: DraftPolicy::default(),
            photo: PhotoPanel::default(),
            camera: ctx.camera,
            identity_refused: false,
            answers_refused: false,
            approver: None,
        };
        screen.update_fee(ctx);
        screen.restore_draft(ctx);
        screen
    }

    /// Puts back what was typed but not committed when the terminal last stopped.
    fn restore_draft(&mut self, ctx: &mut Ctx<'_>) {
        let Some(step) = self.case.current_step() else {
            return;
        };
        match ctx.desk.draft(self.case.id, step_key(step)) {
            Ok(Some(draft)) => {
                match step {
                    Step::Documents => self.docs.restore(&draft),
                    Step::Interview => self.interview.restore(&draft),
                    _ => return,
                }
                self.draft_saved = true;
            }
            Ok(None) => {}
            Err(e) => ctx.store_failed(&e),
        }
    }

    /// Keeps typing that is not yet committed, so a crash mid-word loses nothing (see
    /// `DraftPolicy`: every change at once, durably on leaving a field and every second).
    fn keep_draft(&mut self, ctx: &mut Ctx<'_>, field_done: bool) {
        let Some(step) = self.editing() else { return };
        let (dirty, draft) = match step {
            Step::Documents => (
                self.docs.identity_change(&self.case, ctx.s()).is_some(),
                self.docs.draft(),
            ),
            Step::Interview => (
                self.interview.interview() != self.case.interview,
                self.interview.draft(),
            ),
            _ => return,
        };
        let result = if dirty {
            self.draft_saved = true;
            let durability = self.drafts.durability(ctx.now, field_done);
            ctx.desk.put_draft(
                self.case.id,
                step_key(step),
                &draft,
                ctx.local_now(),
                durability,
            )
        } else if self.draft_saved {
            self.draft_saved = false;
            ctx.desk.clear_draft(self.case.id)
        } else {
            Ok(())
        };
        if let Err(e) = result {
            ctx.store_failed(&e);
        }
    }

    fn update_fee(&mut self, ctx: &Ctx<'_>) {
        // What the booking system says was paid, and what was proved at the counter: the
        // same question pusat asks again of the decision.
        let query = FeeQuery::for_case(&self.booking, &self.case, ctx.today());
        self.fee = ctx.fees.summary(&query);
    }

    /// F8 on a deferred case: the applicant came back, the case opens at the step it had
    /// not done.
    fn resume(&mut self, ctx: &mut Ctx<'_>) {
        let at = ctx.local_now();
        if self.apply(ctx, Action::Resume { at }) {
            self.docs = DocsPanel::new(&self.case);
            self.interview = InterviewPanel::new(&self.case);
            self.viewing = self.case.current_step().unwrap_or(Step::Decision);
            let step = self.viewing;
            ctx.say(Level::Ok, |s| fill!(s.resumed, step = s.step(step)));
        }
    }

    /// The answer of a job this screen gave the work thread.
    pub fn on_done(&mut self, done: Done, ctx: &mut Ctx<'_>) {
        match done {
            Done::Pin {
                attempt, matched, ..
            } => self.on_pin(attempt, matched, ctx),
            Done::Capture { capture, .. } => self.photo.on_capture(capture),
            Done::Picture { picture, .. } => self.photo.on_picture(picture),
            // The technician's checks never come to a case.
            Done::Doctor { .. }
            | Done::Called(_)
            | Done::Printed { .. }
            | Done::SlipPrinted { .. }
            | Done::OfficeStatus(_) => {}
            Done::Stored {
                stored,
                failed_checks,
                reason,
                biometrics,
                ..
            } => self.on_stored(stored, failed_checks, reason, biometrics, ctx),
        }
    }

    pub fn id(&self) -> uuid::Uuid {
        self.case.id
    }

    pub fn keys(
        &self,
        s: &'static Strings,
    ) -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
        let mut hints = Vec::new();
        if self.case.current_step() == Some(Step::Documents) && self.viewing == Step::Documents {
            hints.push(s.key_doc);
        }
        if self.photo_open() {
            hints.push(s.key_bio);
        }
        if self.case.status.is_open() {
            hints.extend([s.key_complete, s.key_defer, s.key_reject]);
        }
        if self.case.status == CaseStatus::Deferred {
            hints.push(s.key_resume);
        }
        if self.editing() == Some(Step::Decision) {
            hints.insert(0, s.key_payment);
        }
        hints.push(s.key_back);
        let help = vec![
            ("F8", s.h_f8),
            ("F8", s.h_f8_resume),
            ("B", s.h_bio),
            ("P", s.h_payment),
            ("F6", s.h_f6),
            ("F7", s.h_f7),
            ("PgUp PgDn", s.h_pg),
            ("1 2 3", s.h_doc_keys),
            ("↑↓ Tab ←→", s.h_form),
            ("Esc", s.h_esc_back),
        ];
        (hints, help)
    }

    /// Whether a supervisor's PIN is being typed in its dialog.
    pub fn secret_focused(&self) -> bool {
        self.dialog
            .as_ref()
            .is_some_and(|(d, _)| d.secret_focused())
    }

    pub fn typing(&self) -> bool {
        self.dialog.is_some()
            || match self.editing() {
                Some(Step::Documents) => self.docs.typing(),
                Some(Step::Interview) => self.interview.typing(),
                _ => false,
            }
    }

    /// The step being edited: the current one, when it is the one on screen.
    fn editing(&self) -> Option<Step> {
        self.case.current_step().filter(|s| *s == self.viewing)
    }

    fn paste_into(&mut self, text: &str) {
        if let Some((dialog, _)) = &mut self.dialog {
            dialog.paste(text);
        } else {
            match self.editing() {
                Some(Step::Documents) => self.docs.paste(text),
                Some(Step::Interview) => self.interview.paste(text),
                _ => {}
            }
        }
    }

    pub fn on_paste(&mut self, text: &str, ctx: &mut Ctx<'_>) -> Nav {
        self.paste_into(text);
        self.keep_draft(ctx, true);
        Nav::Stay
    }

    /// Applies one action through the store; explains a refusal. Returns whether it took.
    fn apply(&mut self, ctx: &mut Ctx<'_>, action: Action) -> bool {
        let identity = matches!(action, Action::SetIdentity { .. });
        let took = self.apply_one(ctx, action);
        // A corrected birth date that makes the applicant a child (or an adult) changes
        // the documents asked for; what was checked of the rest stays.
        if took
            && identity
            && let Some(checklist) = self.case.checklist_for_identity()
            && self.apply_one(ctx, Action::SetChecklist { checklist })
        {
            let s = ctx.s();
            let list: Vec<&str> = self.case.documents.iter().map(|d| s.doc(d.kind)).collect();
            ctx.say(Level::Warn, |s| {
                fill!(s.checklist_changed, documents = list.join(", "))
            });
        }
        took
    }

    fn apply_one(&mut self, ctx: &mut Ctx<'_>, action: Action) -> bool {
        let approver = self.approver.take();
        match ctx
            .desk
            .apply_approved(&ctx.actor(), self.case.id, &action, approver.as_ref())
        {
            Ok(case) => {
                let step_changed = case.current_step() != self.case.current_step();
                self.case = case;
                if step_changed {
                    self.viewing = self.case.current_step().unwrap_or(Step::Decision);
                    if self.case.current_step() == Some(Step::Interview) {
                        // Asked as the identity now stands (a child is not asked an
                        // occupation).
                        self.interview = InterviewPanel::new(&self.case);
                    }
                    if std::mem::take(&mut self.draft_saved)
                        && let Err(e) = ctx.desk.clear_draft(self.case.id)
                    {
                        ctx.store_failed(&e);
                    }
                }
                self.update_fee(ctx);
                true
            }
            Err(StoreError::Case(e)) => {
                self.answers_refused = matches!(e, CaseError::MissingAnswers(_));
                ctx.say(Level::Error, |s| explain(&e, s));
                false
            }
            Err(e) => {
                ctx.store_failed(&e);
                false
            }
        }
    }

    /// Commits what can be committed before the officer is taken to another screen.
    pub fn leave(&mut self, ctx: &mut Ctx<'_>) {
        self.flush(ctx);
    }

    /// Why the identity typed is refused, in both languages (F2 shows the other).
    fn say_identity_refused(&self, ctx: &mut Ctx<'_>) {
        ctx.say(Level::Error, |s| {
            self.docs
                .identity_change(&self.case, s)
                .and_then(Result::err)
                .unwrap_or_default()
        });
    }

    /// Saves what is typed but not yet committed (before completing or leaving a step).
    fn flush(&mut self, ctx: &mut Ctx<'_>) -> bool {
        match self.editing() {
            Some(Step::Documents) => match self.docs.identity_change(&self.case, ctx.s()) {
                None => true,
                Some(Ok(identity)) => self.apply(ctx, Action::SetIdentity { identity }),
                Some(Err(_)) => {
                    self.say_identity_refused(ctx);
                    false
                }
            },
            Some(Step::Interview) => {
                let now = self.interview.interview();
                now == self.case.interview
                    || self.apply(ctx, Action::SaveInterview { interview: now })
            }
            _ => true,
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) -> Nav {
        if self.dialog.is_some() {
            self.on_dialog_key(key, ctx);
            return Nav::Stay;
        }
        let s = ctx.s();
        match key.code {
            KeyCode::Esc => {
                // Whatever happens to the flush, leaving is never blocked: it reports itself.
                self.flush(ctx);
                return Nav::Pop;
            }
            KeyCode::PageUp => self.viewing = step_before(self.viewing),
            KeyCode::PageDown => self.viewing = step_after(self.viewing),
            KeyCode::F(8) if self.case.status == CaseStatus::Deferred => self.resume(ctx),
            KeyCode::Char('b' | 'B') if self.photo_open() => self.mark_fingerprints(ctx),
            _ if self.case.status == CaseStatus::AwaitingPhoto => {
                if self.taking_photo() {
                    self.on_photo_key(key, ctx);
                }
            }
            _ if !self.case.status.is_open() => {}
            KeyCode::F(6) => {
                if self.flush(ctx) {
                    let bring = self.case.documents_to_bring();
                    let list = doc_list(&bring, s);
                    let message = fill!(s.defer_bring, documents = list);
                    self.dialog = Some((
                        Dialog::reason(|s| s.defer_title, message, |s| s.defer_note),
                        Pending::Defer,
                    ));
                }
            }
            KeyCode::F(7) => {
                if self.flush(ctx) {
                    self.dialog = Some((
                        Dialog::reason(|s| s.reject_title, String::new(), |s| s.reject_reason),
                        Pending::RejectReason,
                    ));
                }
            }
            KeyCode::F(8) => self.complete(ctx),
            KeyCode::Char('p' | 'P') if self.editing() == Some(Step::Decision) => {
                self.ask_payment(ctx);
            }
            _ => {
                self.on_step_key(key, ctx);
                let field_done = matches!(
                    key.code,
                    KeyCode::Enter | KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down
                );
                self.keep_draft(ctx, field_done);
            }
        }
        Nav::Stay
    }

    fn on_docs_out(&mut self, out: Option<DocsOut>, ctx: &mut Ctx<'_>) {
        match out {
            Some(DocsOut::Apply(action)) => {
                self.apply(ctx, action);
            }
            Some(DocsOut::EditNote(kind, status)) => {
                let note = self
                    .case
                    .documents
                    .iter()
                    .find(|d| d.kind == kind)
                    .map(|d| d.note.clone());
                let s = ctx.s();
                let mut dialog =
                    Dialog::reason(|s| s.docs_heading, s.doc(kind).to_owned(), |s| s.iv_notes);
                dialog.paste(&note.unwrap_or_default());
                self.dialog = Some((dialog, Pending::DocumentNote(kind, status)));
            }
            Some(DocsOut::IdentityRefused) => self.say_identity_refused(ctx),
            None => {}
        }
    }

    fn on_step_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) {
        match self.editing() {
            Some(Step::Documents) => match self.docs.on_key(key, &self.case, ctx.s()) {
                Some(DocsOut::IdentityRefused) => {
                    self.identity_refused = true;
                    self.say_identity_refused(ctx);
                }
                out => {
                    if self.identity_refused
                        && !matches!(self.docs.identity_change(&self.case, ctx.s()), Some(Err(_)))
                    {
                        self.identity_refused = false;
                        *ctx.notice = None;
                    }
                    self.on_docs_out(out, ctx);
                }
            },
            Some(Step::Interview) => {
                if let Some(interview) = self.interview.on_key(key, &self.case.interview) {
                    self.apply(ctx, Action::SaveInterview { interview });
                }
                if self.answers_refused {
                    let mut now = self.case.clone();
                    now.interview = self.interview.interview();
                    if now.interview_missing().is_empty() {
                        self.answers_refused = false;
                        *ctx.notice = None;
                    }
                }
            }
            Some(Step::Photo) if self.camera => self.on_photo_key(key, ctx),
            _ => {}
        }
    }

    /// This screen again when the board's answer changed its case meanwhile (the case as
    /// stored now differs from the one on screen); `None` when nothing changed.
    pub fn reloaded(&self, ctx: &mut Ctx<'_>) -> Option<CaseScreen> {
        let stored = ctx.desk.case_by_id(self.case.id).ok().flatten()?;
        if stored == self.case || self.dialog.is_some() {
            return None;
        }
        Some(CaseScreen::new(ctx, self.booking.clone(), stored))
    }

    /// Sends what the open approval dialog asks to the supervisor's board.
    pub(super) fn ask_board(&mut self, ctx: &mut Ctx<'_>, asked: crate::domain::case::Asked) {
        let actor = ctx.actor();
        match ctx.desk.ask_approval(&actor, self.case.id, asked) {
            Ok(case) => {
                self.case = case;
                ctx.say(Level::Ok, |s| s.approval_sent.to_owned());
            }
            Err(crate::counter::CounterError::Store(crate::store::StoreError::Case(e))) => {
                ctx.say(Level::Error, |s| explain(&e, s));
            }
            Err(e) => ctx.counter_failed(&e),
        }
    }
}

fn step_before(step: Step) -> Step {
    let i = Step::ALL.iter().position(|s| *s == step).unwrap_or(0);
    Step::ALL[i.saturating_sub(1)]
}

fn step_after(step: Step) -> Step {
    let i = Step::ALL.iter().position(|s| *s == step).unwrap_or(0);
    Step::ALL[(i + 1).min(Step::ALL.len() - 1)]
}

fn doc_list(kinds: &[DocKind], s: &Strings) -> String {
    if kinds.is_empty() {
        return s.none.to_owned();
    }
    kinds
        .iter()
        .map(|k| s.doc(*k))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(in crate::ui) fn problem_list(problems: &[DocProblem], s: &Strings) -> String {
    problems
        .iter()
        .map(|p| match p {
            DocProblem::Missing(k) => format!("{} ({})", s.doc(*k), s.ds_missing),
            DocProblem::Invalid(k) => format!("{} ({})", s.doc(*k), s.ds_invalid),
            DocProblem::Nik(check) => crate::text::nik_text(check, s),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn explain(e: &CaseError, s: &Strings) -> String {
    match e {
        CaseError::Unchecked(kinds) => fill!(s.unchecked_left, documents = doc_list(kinds, s)),
        CaseError::NeedsOverride(problems) => {
            fill!(s.needs_override, problems = problem_list(problems, s))
        }
        CaseError::MissingAnswers(fields) => {
            let list: Vec<&str> = fields.iter().map(|f| s.interview_field(*f)).collect();
            fill!(s.missing_answers, answers = list.join(", "))
        }
        CaseError::Closed => s.case_closed.to_owned(),
        CaseError::EmptyReason => s.reason_empty.to_owned(),
        CaseError::NeedsSupervisor => s.needs_supervisor.to_owned(),
        CaseError::Unpaid(due) => fill!(s.underpaid_message, amount = format::rupiah(*due)),
        CaseError::Flagged(flags) => {
            let names: Vec<&str> = flags.iter().map(|f| s.red_flag(*f)).collect();
            fill!(s.flags_message, flags = names.join(", "))
        }
        CaseError::Waived => s.waiver_message.to_owned(),
        CaseError::AlreadyAwaiting => s.already_awaiting.to_owned(),
        CaseError::WrongStep { expected, .. } => fill!(s.wrong_step, step = s.step(*expected)),
        CaseError::NotAwaitingPhoto => s.not_awaiting_photo.to_owned(),
        CaseError::BillingCode => s.billing_code_bad.to_owned(),
        CaseError::Payment => s.payment_bad.to_owned(),
        other => fill!(s.err_store, why = other),
    }
}
