//! The case's decisions and the dialogs they open: completing a step (F8), the reasons and
//! the supervisor's approval (four eyes, the PIN checked on the work thread), and what the
//! approval covers — documents overridden, fees owed, red flags, a waived fine, a rejection.

use super::*;

/// What an open dialog is asking for.
pub(super) enum Pending {
    OverrideDocuments,
    DocumentNote(DocKind, DocStatus),
    Continue(FeeSummary),
    ContinueReason(FeeSummary),
    ContinueApproval(FeeSummary, String),
    Defer,
    RejectReason,
    RejectApproval(String),
    PhotoReason,
    Payment,
}

impl CaseScreen {
    /// The red flags ticked at the interview, in words; None when there are none.
    pub(super) fn flag_list(&self, s: &Strings) -> Option<String> {
        let flags = &self.case.interview.red_flags;
        (!flags.is_empty()).then(|| {
            let names: Vec<&str> = flags.iter().map(|f| s.red_flag(*f)).collect();
            names.join(", ")
        })
    }

    pub(super) fn complete(&mut self, ctx: &mut Ctx<'_>) {
        if !self.flush(ctx) {
            return;
        }
        let s = ctx.s();
        self.viewing = self.case.current_step().unwrap_or(self.viewing);
        let Some(step) = self.case.current_step() else {
            return;
        };
        let action = match step {
            Step::CheckIn => return,
            Step::Documents => {
                let problems = self.case.document_problems();
                let unchecked = self
                    .case
                    .documents
                    .iter()
                    .any(|d| d.status == DocStatus::Unchecked);
                if !problems.is_empty() && !unchecked {
                    let message = fill!(s.needs_override, problems = problem_list(&problems, s))
                        + s.approval_board_hint;
                    self.dialog = Some((
                        Dialog::supervisor(|s| s.supervisor_title, message),
                        Pending::OverrideDocuments,
                    ));
                    return;
                }
                Action::CompleteDocuments { override_by: None }
            }
            Step::Interview => Action::CompleteInterview,
            Step::Photo if self.camera => {
                match self.photo.captured {
                    Some(_) => self.accept_photo(ctx, None),
                    None => ctx.say(Level::Warn, |s| s.photo_capture_first.to_owned()),
                }
                return;
            }
            Step::Photo => Action::RecordPhotoPending {
                biometrics: self.biometrics_now(),
            },
            Step::Decision => {
                // Red flags from the interview and a waived fine, named in every question
                // below: either needs a supervisor.
                let flags = self.flag_list(s);
                let waiver = self.case.waives_fine().then_some(s.waiver_message);
                match &self.fee {
                    Ok(fee) if fee.difference() > 0 => {
                        let due = format::rupiah(fee.difference());
                        if ctx.underpaid == crate::config::UnderpaidRule::Block {
                            ctx.say(Level::Error, |s| fill!(s.underpaid_blocked, amount = due));
                        } else {
                            let mut message = fill!(s.underpaid_message, amount = due);
                            if let Some(flags) = &flags {
                                message =
                                    format!("{message} {}", fill!(s.flags_message, flags = flags));
                            }
                            if let Some(waiver) = waiver {
                                message = format!("{message} {waiver}");
                            }
                            self.dialog = Some((
                                Dialog::reason(
                                    |s| s.underpaid_title,
                                    message,
                                    |s| s.underpaid_reason,
                                ),
                                Pending::ContinueReason(fee.clone()),
                            ));
                        }
                    }
                    Ok(fee) if flags.is_some() || waiver.is_some() => {
                        let mut parts = Vec::new();
                        if let Some(flags) = &flags {
                            parts.push(fill!(s.flags_message, flags = flags));
                        }
                        parts.extend(waiver.map(str::to_owned));
                        let label: crate::ui::form::Label = if flags.is_some() {
                            |s| s.flags_reason
                        } else {
                            |s| s.waiver_reason
                        };
                        self.dialog = Some((
                            Dialog::reason(|s| s.approval_title, parts.join(" "), label),
                            Pending::ContinueReason(fee.clone()),
                        ));
                    }
                    Ok(fee) => {
                        let mut message = s.confirm_continue.to_owned();
                        if self.case.photo_outstanding() {
                            // Which one: the photo, the fingerprints, or both.
                            let photo = self.case.photo == crate::domain::case::PhotoState::Pending;
                            let missing = match (photo, self.case.biometrics.is_pending()) {
                                (true, true) => s.missing_photo_and_fingerprints,
                                (true, false) => s.missing_photo,
                                _ => s.missing_fingerprints,
                            };
                            let said = fill!(s.confirm_awaiting_photo, missing = missing);
                            message = format!("{said} {message}");
                        }
                        self.dialog = Some((
                            Dialog::confirm(|s| s.confirm_title, message),
                            Pending::Continue(fee.clone()),
                        ));
                    }
                    Err(e) => ctx.say(Level::Error, |s| crate::text::fee_error_text(e, s)),
                }
                return;
            }
        };
        if self.apply(ctx, action) {
            ctx.say(Level::Ok, |s| fill!(s.step_done, step = s.step(step)));
        }
    }

    pub(super) fn on_dialog_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) {
        let Some((dialog, pending)) = &mut self.dialog else {
            return;
        };
        if key.code == crossterm::event::KeyCode::F(4) {
            // The supervisor is not at the counter: the request goes to the board.
            use crate::domain::case::Asked;
            let asked = match pending {
                Pending::OverrideDocuments => Some(Asked::Documents {
                    problems: self.case.document_problems(),
                }),
                Pending::ContinueApproval(fee, reason) => Some(Asked::Continue {
                    fee: fee.clone(),
                    reason: reason.clone(),
                }),
                Pending::RejectApproval(reason) => Some(Asked::Reject {
                    reason: reason.clone(),
                }),
                _ => None,
            };
            if let Some(asked) = asked {
                self.dialog = None;
                self.ask_board(ctx, asked);
                return;
            }
        }
        match dialog.on_key(key) {
            Answer::Pending => {}
            Answer::Cancel => self.dialog = None,
            Answer::Accept => {
                let s = ctx.s();
                let at = ctx.local_now();
                let action = match pending {
                    Pending::DocumentNote(kind, status) => {
                        let note = dialog.text("reason");
                        // An invalid document says what is wrong with it: the applicant is
                        // told, and the supervisor who overrides reads it.
                        if *status == DocStatus::Invalid && note.trim().is_empty() {
                            dialog.refuse(s.invalid_needs_note.to_owned());
                            return;
                        }
                        Action::SetDocument {
                            kind: *kind,
                            status: *status,
                            note,
                        }
                    }
                    Pending::Continue(fee) => Action::Decide {
                        decision: Decision::Continue {
                            fee: fee.clone(),
                            underpaid: None,
                            flagged: None,
                            waived: None,
                        },
                        at,
                    },
                    Pending::ContinueReason(fee) => {
                        let reason = dialog.text("reason");
                        if reason.is_empty() {
                            dialog.refuse(s.reason_empty.to_owned());
                            return;
                        }
                        let message =
                            format!("{}: {reason}.{}", s.approval_reason, s.approval_board_hint);
                        let fee = fee.clone();
                        self.dialog = Some((
                            Dialog::supervisor(|s| s.supervisor_title, message),
                            Pending::ContinueApproval(fee, reason),
                        ));
                        return;
                    }
                    Pending::Defer => {
                        // A deferral says what the applicant comes back with: the
                        // documents missing, or in the note when none is.
                        let (missing, note) =
                            (self.case.documents_to_bring(), dialog.text("reason"));
                        if missing.is_empty() && note.trim().is_empty() {
                            dialog.refuse(s.defer_needs_what.to_owned());
                            return;
                        }
                        Action::Decide {
                            decision: Decision::Defer { missing, note },
                            at,
                        }
                    }
                    Pending::Payment => {
                        self.record_payment(ctx);
                        return;
                    }
                    Pending::PhotoReason => {
                        let reason = dialog.text("reason");
                        if reason.is_empty() {
                            dialog.refuse(s.reason_empty.to_owned());
                            return;
                        }
                        self.dialog = None;
                        self.accept_photo(ctx, Some(reason));
                        return;
                    }
                    Pending::RejectReason => {
                        let reason = dialog.text("reason");
                        if reason.is_empty() {
                            dialog.refuse(s.reason_empty.to_owned());
                            return;
                        }
                        let message =
                            format!("{}: {reason}.{}", s.reject_reason, s.approval_board_hint);
                        self.dialog = Some((
                            Dialog::supervisor(|s| s.supervisor_title, message),
                            Pending::RejectApproval(reason),
                        ));
                        return;
                    }
                    Pending::OverrideDocuments
                    | Pending::RejectApproval(_)
                    | Pending::ContinueApproval(..) => {
                        let (user, pin) = (dialog.text("user"), dialog.text("pin"));
                        // Four eyes first; argon2 then runs on the work thread, and
                        // `on_pin` finishes the approval.
                        match ctx.desk.approval_attempt(ctx.officer, &user, &pin, at) {
                            Ok(mut attempt) => {
                                dialog.start_checking();
                                let case = self.case.id;
                                let purpose = PinFor::Approval(case);
                                ctx.work.submit(move || {
                                    // With the key the approval is proven with: made
                                    // from the PIN typed.
                                    let matched = attempt.check(&pin);
                                    Done::Pin {
                                        matched,
                                        purpose,
                                        attempt,
                                    }
                                });
                            }
                            Err(CounterError::Auth(e)) => {
                                dialog.refuse(crate::text::approval_auth_text(&e, &user, s))
                            }
                            Err(e) => dialog.refuse(crate::text::counter_text(&e, s, ctx.lang)),
                        }
                        return;
                    }
                };
                self.finish_dialog(action, ctx);
            }
        }
    }

    /// A supervisor's PIN, checked on the work thread: the approval goes through, or the
    /// dialog says why not and asks again.
    pub fn on_pin(&mut self, attempt: PinAttempt, matched: bool, ctx: &mut Ctx<'_>) {
        let s = ctx.s();
        let at = ctx.local_now();
        let user = attempt.officer().username.clone();
        let key = attempt.key().cloned();
        let outcome = ctx.desk.approval_outcome(ctx.officer, attempt, matched, at);
        let Some((dialog, pending)) = &mut self.dialog else {
            return;
        };
        let supervisor = match outcome {
            Ok(supervisor) => supervisor,
            Err(CounterError::Auth(e)) => {
                dialog.refuse(crate::text::approval_auth_text(&e, &user, s));
                return;
            }
            Err(e) => {
                dialog.refuse(crate::text::counter_text(&e, s, ctx.lang));
                return;
            }
        };
        let approver = key.map(|key| crate::store::Approver {
            username: supervisor.clone(),
            key,
        });
        let action = match pending {
            Pending::ContinueApproval(fee, reason) => Action::Decide {
                decision: self.case.continue_approved(fee, &supervisor, reason),
                at,
            },
            Pending::RejectApproval(reason) => Action::Decide {
                decision: Decision::Reject {
                    reason: reason.clone(),
                    supervisor,
                },
                at,
            },
            _ => Action::CompleteDocuments {
                override_by: Some(supervisor),
            },
        };
        self.approver = approver;
        self.finish_dialog(action, ctx);
    }

    /// Closes the dialog and applies what it decided.
    pub(super) fn finish_dialog(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        let s = ctx.s();
        self.dialog = None;
        let decided = matches!(action, Action::Decide { .. });
        if self.apply(ctx, action) && decided {
            let label = crate::text::case_label(s, Some(&self.case));
            ctx.say(Level::Ok, |s| fill!(s.decision_made, decision = label));
            if let Some(Decision::Defer { missing, note }) = &self.case.decision
                && ctx.printer.is_configured()
            {
                self.print_deferral(missing, note, ctx);
            }
        }
    }

    /// P at the decision: the billing code to pay with, and a payment proved by its receipt
    /// (amount and NTPN), before deciding.
    pub(super) fn ask_payment(&mut self, ctx: &mut Ctx<'_>) {
        use crate::ui::form::Field;
        let s = ctx.s();
        let billing = self
            .case
            .billing_code
            .clone()
            .unwrap_or_else(|| self.booking.billing_code.clone());
        let due = match &self.fee {
            Ok(fee) if fee.difference() > 0 => fee.difference().to_string(),
            _ => String::new(),
        };
        let dialog = Dialog::fields(
            |s| s.payment_title,
            s.payment_message.to_owned(),
            vec![
                Field::text("billing", |s| s.f_billing, &billing),
                Field::text("amount", |s| s.payment_amount, &due),
                Field::text("ntpn", |s| s.payment_ntpn, ""),
            ],
        );
        self.dialog = Some((dialog, Pending::Payment));
    }

    /// The payment dialog answered: the billing code when it changed, the payment when an
    /// NTPN is given. Refused in place (nothing recorded) when a value is wrong.
    fn record_payment(&mut self, ctx: &mut Ctx<'_>) {
        use crate::domain::case::{Payment, is_billing_code, is_ntpn};
        let s = ctx.s();
        let Some((dialog, _)) = &mut self.dialog else {
            return;
        };
        let billing: String = dialog
            .text("billing")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let ntpn = dialog
            .text("ntpn")
            .trim()
            .to_uppercase()
            .replace([' ', '-'], "");
        // Read as typed, never with letters dropped: `65O000` is refused, not Rp65.000.
        let amount_typed = dialog.text("amount");
        let amount: Option<i64> = format::parse_rupiah(&amount_typed);
        let billing_changed = !billing.is_empty()
            && Some(&billing) != self.case.billing_code.as_ref()
            && billing != self.booking.billing_code;
        if !billing.is_empty() && !is_billing_code(&billing) {
            return dialog.refuse(s.billing_code_bad.to_owned());
        }
        if ntpn.is_empty() && !billing_changed {
            return dialog.refuse(s.payment_needs_ntpn.to_owned());
        }
        let payment = if ntpn.is_empty() {
            None
        } else if amount.is_none_or(|a| a <= 0) {
            return dialog.refuse(fill!(s.payment_amount_bad, typed = amount_typed.trim()));
        } else if !is_ntpn(&ntpn) {
            return dialog.refuse(s.payment_bad.to_owned());
        } else {
            Some(Payment {
                amount: amount.unwrap_or(0),
                ntpn,
                by: ctx.officer.username.clone(),
                at: ctx.local_now(),
            })
        };
        self.dialog = None;
        if billing_changed && !self.apply(ctx, Action::SetBillingCode { code: billing }) {
            return;
        }
        if let Some(payment) = payment {
            let amount = format::rupiah(payment.amount);
            if self.apply(ctx, Action::RecordPayment { payment }) {
                ctx.say(Level::Ok, |s| fill!(s.payment_recorded, amount = amount));
            }
        } else {
            ctx.say(Level::Ok, |s| s.billing_recorded.to_owned());
        }
    }

    /// The deferral slip: what the applicant brings back, printed on the work thread.
    fn print_deferral(&self, missing: &[DocKind], note: &str, ctx: &mut Ctx<'_>) {
        // The slip is for the applicant, in the office's language.
        let id = crate::text::Lang::Id.strings();
        let slip = crate::devices::printer::DeferralSlip {
            office: ctx.office.name.clone(),
            booking: self.booking.code.to_string(),
            applicant: self.case.identity.name.clone(),
            deferred_at: self.case.decided_at.unwrap_or_else(|| ctx.local_now()),
            bring: missing.iter().map(|k| id.doc(*k).to_owned()).collect(),
            note: note.to_owned(),
        };
        let (config, booking) = (ctx.printer.clone(), slip.booking.clone());
        ctx.work.submit(move || {
            let bytes = crate::devices::printer::deferral_escpos(&slip, &config);
            Done::SlipPrinted {
                booking,
                result: crate::devices::printer::print_within(&config, bytes)
                    .map_err(|e| e.to_string()),
            }
        });
        ctx.say(Level::Ok, |s| s.slip_printing.to_owned());
    }
}
