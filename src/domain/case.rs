//! One applicant's case: the state machine from check-in to decision.
//!
//! A case is a fold of [`Action`]s: the store applies each officer action here, writes the
//! new state and the action (as the outbox event) in one transaction, and a replay of the
//! events gives the same case. Steps follow the office's order (check-in, verifikasi berkas,
//! wawancara, foto, keputusan); a step is edited only while it is the current one.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::booking::{ApplicationType, Sex};
use super::booking_code::BookingCode;
use super::checklist::{DocItem, DocKind, DocStatus};
use super::fees::FeeSummary;
use super::nik::{self, NikCheck};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    CheckIn,
    Documents,
    Interview,
    Photo,
    Decision,
}

impl Step {
    pub const ALL: [Step; 5] = [
        Step::CheckIn,
        Step::Documents,
        Step::Interview,
        Step::Photo,
        Step::Decision,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "step")]
pub enum CaseStatus {
    Open(Step),
    Continued,
    Deferred,
    Rejected,
    /// Decided to continue, but the photo or the fingerprints are still to be taken (no
    /// camera at the counter, the biometric station not yet visited): finished at a
    /// counter with a camera, with a photo file imported, or when the station's capture is
    /// recorded. The passport is not processed before.
    AwaitingPhoto,
}

impl CaseStatus {
    /// The status as stored and sent: open, continued, deferred, rejected.
    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::Open(_) => "open",
            CaseStatus::Continued => "continued",
            CaseStatus::Deferred => "deferred",
            CaseStatus::Rejected => "rejected",
            CaseStatus::AwaitingPhoto => "awaiting_photo",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, CaseStatus::Open(_))
    }
}

/// Name, NIK, birth date and sex as the documents show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub nik: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
}

impl Identity {
    pub fn nik_check(&self) -> NikCheck {
        nik::check(&self.nik, self.birth_date, self.sex)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Tourism,
    Pilgrimage,
    Work,
    Study,
    Business,
    Family,
    Medical,
    Other,
}

impl Purpose {
    pub const ALL: [Purpose; 8] = [
        Self::Tourism,
        Self::Pilgrimage,
        Self::Work,
        Self::Study,
        Self::Business,
        Self::Family,
        Self::Medical,
        Self::Other,
    ];
}

/// Signs the officer may tick at the interview (the Directorate's guidance on preventing
/// non-procedural migrant workers and trafficking, SE IMI-0277.GR.02.06/2017 and later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedFlag {
    SuspectedIrregularMigrant,
    InconsistentAnswers,
    DoubtfulDocuments,
    AccompaniedByAgent,
}

impl RedFlag {
    pub const ALL: [RedFlag; 4] = [
        Self::SuspectedIrregularMigrant,
        Self::InconsistentAnswers,
        Self::DoubtfulDocuments,
        Self::AccompaniedByAgent,
    ];
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interview {
    pub purpose: Option<Purpose>,
    pub destination: String,
    pub occupation: String,
    pub length_of_stay: String,
    pub emergency_contact: String,
    /// Examination record (BAP) for lost or damaged passports.
    pub chronology: String,
    pub police_report_no: String,
    pub force_majeure: bool,
    pub notes: String,
    pub red_flags: BTreeSet<RedFlag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterviewField {
    Purpose,
    Destination,
    Occupation,
    LengthOfStay,
    EmergencyContact,
    Chronology,
    PoliceReportNo,
}

impl Interview {
    /// The answers still missing for this application type.
    pub fn missing(&self, application: ApplicationType) -> Vec<InterviewField> {
        use InterviewField::*;
        let mut missing = Vec::new();
        if self.purpose.is_none() {
            missing.push(Purpose);
        }
        let texts = [
            (Destination, &self.destination),
            (Occupation, &self.occupation),
            (LengthOfStay, &self.length_of_stay),
            (EmergencyContact, &self.emergency_contact),
        ];
        missing.extend(
            texts
                .iter()
                .filter(|(_, v)| v.trim().is_empty())
                .map(|(f, _)| *f),
        );
        if application.needs_examination() && self.chronology.trim().is_empty() {
            missing.push(Chronology);
        }
        if application == ApplicationType::Lost && self.police_report_no.trim().is_empty() {
            missing.push(PoliceReportNo);
        }
        missing
    }
}

/// Why a booking for another day or office was served anyway; the officer's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckInException {
    OtherDay { booked: NaiveDate },
    OtherOffice { booked: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoState {
    #[default]
    NotTaken,
    /// Recorded without a picture (no camera at this counter): to be taken later.
    Pending,
    /// Taken and kept under its SHA-256; checks it failed, accepted for the reason given.
    Taken {
        sha256: String,
        failed_checks: Vec<String>,
        accepted_because: Option<String>,
    },
}

/// The fingerprints (biometrik) the office takes beside the photo. Loket reads no
/// fingerprint sensor: the officer records that the biometric station captured them, who
/// did and when, or that they are still to be taken.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Biometrics {
    /// Nothing recorded: cases decided before Loket recorded fingerprints.
    #[default]
    NotRecorded,
    /// Still to be taken: the case cannot end approved while it is.
    Pending,
    Captured {
        by: String,
        at: DateTime<FixedOffset>,
    },
}

impl Biometrics {
    pub fn is_not_recorded(&self) -> bool {
        *self == Biometrics::NotRecorded
    }

    /// Whether the fingerprints still have to be taken.
    pub fn is_pending(&self) -> bool {
        *self == Biometrics::Pending
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Decision {
    Continue {
        fee: FeeSummary,
        /// Fees still owed pass only with a supervisor's approval and a reason (where the
        /// office allows it at all; see `counter.underpaid` in config.toml).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        underpaid: Option<Approval>,
        /// A case with red flags from the interview goes on only with a supervisor's
        /// approval and a reason, whoever asks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flagged: Option<Approval>,
        /// A fine waived for force majeure (keadaan kahar) on a lost or damaged passport
        /// needs a supervisor, and the reason names the evidence seen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        waived: Option<Approval>,
    },
    Defer {
        missing: Vec<DocKind>,
        note: String,
    },
    Reject {
        reason: String,
        supervisor: String,
    },
}

/// A payment the applicant proved at the counter (the bank's or post office's receipt for
/// the billing code): the amount and the state revenue transaction number (NTPN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub amount: i64,
    pub ntpn: String,
    pub by: String,
    pub at: DateTime<FixedOffset>,
}

/// Whether `code` is a SIMPONI billing code: 15 digits.
pub fn is_billing_code(code: &str) -> bool {
    code.len() == 15 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `ntpn` is a state revenue transaction number: 16 letters and digits.
pub fn is_ntpn(ntpn: &str) -> bool {
    ntpn.len() == 16
        && ntpn
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The most one payment may be (a passport's fees are a few million rupiah).
pub const MAX_PAYMENT: i64 = 100_000_000;

/// A supervisor's approval of what the rules would otherwise refuse, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub supervisor: String,
    pub reason: String,
}

/// A problem that keeps the documents step from passing without a supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocProblem {
    Missing(DocKind),
    Invalid(DocKind),
    Nik(NikCheck),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: Uuid,
    pub booking: BookingCode,
    pub applicant: usize,
    pub application: ApplicationType,
    pub status: CaseStatus,
    pub checked_in_at: DateTime<FixedOffset>,
    pub exceptions: Vec<CheckInException>,
    pub documents: Vec<DocItem>,
    pub identity: Identity,
    /// Supervisor who let failed document checks pass.
    pub documents_override: Option<String>,
    pub interview: Interview,
    pub photo: PhotoState,
    #[serde(default, skip_serializing_if = "Biometrics::is_not_recorded")]
    pub biometrics: Biometrics,
    /// The SIMPONI billing code the officer recorded (a walk-in's, or one issued again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_code: Option<String>,
    /// Payments proved at the counter, on top of what the booking system said was paid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<Payment>,
    pub decision: Option<Decision>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    /// What the officer asked a supervisor to approve from the board, while it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awaiting: Option<ApprovalAsk>,
}

/// A request for a supervisor's approval sent to the board (the supervisor is not at the
/// counter): answered there, it becomes the action it asks for, with the supervisor named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalAsk {
    pub id: Uuid,
    pub asked: Asked,
    /// The officer who asks (who may not answer: four eyes).
    pub officer: String,
    pub at: DateTime<FixedOffset>,
}

/// What a supervisor is asked to approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Asked {
    /// Let the documents step pass with the problems it has: named, so the supervisor
    /// reads what they approve (empty in requests made before they were named).
    Documents {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        problems: Vec<DocProblem>,
    },
    /// Continue with what needs a supervisor (fees owed, red flags, a waived fine).
    Continue { fee: FeeSummary, reason: String },
    /// Reject the application.
    Reject { reason: String },
}

impl ApprovalAsk {
    /// The action a supervisor's approval of this request makes on `case`: the same one
    /// the supervisor's PIN at the counter makes.
    pub fn granted(&self, case: &Case, supervisor: &str, at: DateTime<FixedOffset>) -> Action {
        match &self.asked {
            Asked::Documents { .. } => Action::CompleteDocuments {
                override_by: Some(supervisor.to_owned()),
            },
            Asked::Continue { fee, reason } => Action::Decide {
                decision: case.continue_approved(fee, supervisor, reason),
                at,
            },
            Asked::Reject { reason } => Action::Decide {
                decision: Decision::Reject {
                    reason: reason.clone(),
                    supervisor: supervisor.to_owned(),
                },
                at,
            },
        }
    }
}

/// Everything an officer can do to a case. Serialised, it is the outbox event's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    CheckIn {
        case_id: Uuid,
        booking: BookingCode,
        applicant: usize,
        application: ApplicationType,
        at: DateTime<FixedOffset>,
        exceptions: Vec<CheckInException>,
        checklist: Vec<DocKind>,
        identity: Identity,
    },
    SetDocument {
        kind: DocKind,
        status: DocStatus,
        note: String,
    },
    SetIdentity {
        identity: Identity,
    },
    CompleteDocuments {
        override_by: Option<String>,
    },
    SaveInterview {
        interview: Interview,
    },
    CompleteInterview,
    /// The photo step done without a picture (no camera here): the case can be decided,
    /// but ends waiting for the photo. `biometrics` is what was recorded of the
    /// fingerprints with it (absent only in events from before it was recorded).
    RecordPhotoPending {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        biometrics: Option<Biometrics>,
    },
    /// A photo that passed the checks or was accepted with a reason: at the photo step, or
    /// later for a case waiting for it.
    RecordPhoto {
        sha256: String,
        failed_checks: Vec<String>,
        accepted_because: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        biometrics: Option<Biometrics>,
    },
    /// The fingerprints recorded, at the photo step or later for a case waiting for them.
    RecordBiometrics {
        biometrics: Biometrics,
    },
    /// The billing code the applicant is to pay with (SIMPONI, 15 digits).
    SetBillingCode {
        code: String,
    },
    /// A payment proved with its receipt, before the decision.
    RecordPayment {
        payment: Payment,
    },
    /// A deferred applicant came back with what was missing: the case opens again at the
    /// first step not done.
    Resume {
        at: DateTime<FixedOffset>,
    },
    Decide {
        decision: Decision,
        at: DateTime<FixedOffset>,
    },
    /// The documents asked for, changed because the corrected identity made the applicant
    /// a child or an adult: the documents kept keep their status and note.
    SetChecklist {
        checklist: Vec<DocKind>,
    },
    /// The officer sends a request for approval to the supervisor's board.
    AskApproval {
        ask: ApprovalAsk,
    },
    /// The supervisor sent the request back (not approved), saying why.
    ApprovalReturned {
        request: Uuid,
        supervisor: String,
        note: String,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::CheckIn { .. } => "case.check_in",
            Action::SetDocument { .. } => "case.set_document",
            Action::SetIdentity { .. } => "case.set_identity",
            Action::CompleteDocuments { .. } => "case.complete_documents",
            Action::SaveInterview { .. } => "case.save_interview",
            Action::CompleteInterview => "case.complete_interview",
            Action::RecordPhotoPending { .. } => "case.photo_pending",
            Action::RecordPhoto { .. } => "case.photo",
            Action::RecordBiometrics { .. } => "case.biometrics",
            Action::Resume { .. } => "case.resume",
            Action::SetBillingCode { .. } => "case.billing_code",
            Action::RecordPayment { .. } => "case.payment",
            Action::Decide { .. } => "case.decide",
            Action::SetChecklist { .. } => "case.set_checklist",
            Action::AskApproval { .. } => "case.ask_approval",
            Action::ApprovalReturned { .. } => "case.approval_returned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("the case is already decided")]
    Closed,
    #[error("the case is at step {current:?}, not {expected:?}")]
    WrongStep { expected: Step, current: Step },
    #[error("check-in opens a case; it cannot be applied to one")]
    AlreadyCheckedIn,
    #[error("the first action of a case must be check-in")]
    NotCheckedIn,
    #[error("document {0:?} is not on this applicant's checklist")]
    NotOnChecklist(DocKind),
    #[error("documents not yet checked: {0:?}")]
    Unchecked(Vec<DocKind>),
    #[error("failed checks need a supervisor: {0:?}")]
    NeedsOverride(Vec<DocProblem>),
    #[error("interview answers missing: {0:?}")]
    MissingAnswers(Vec<InterviewField>),
    #[error("a reason is required")]
    EmptyReason,
    #[error("a supervisor must approve")]
    NeedsSupervisor,
    #[error("fees unpaid: Rp{0} short")]
    Unpaid(i64),
    /// Red flags were ticked at the interview: a supervisor approves continuing.
    #[error("red flags need a supervisor: {0:?}")]
    Flagged(Vec<RedFlag>),
    /// The fine is waived for force majeure: a supervisor approves, naming the evidence.
    #[error("a waived fine needs a supervisor")]
    Waived,
    /// A request to the board already waits, or the answer is to no request that waits.
    #[error("no such request for approval waits")]
    NotAwaiting,
    #[error("a request for approval already waits")]
    AlreadyAwaiting,
    /// Nothing at this step needs what the request asks.
    #[error("nothing here needs that approval")]
    NothingToApprove,
    /// Only a deferred case resumes.
    #[error("the case is not deferred")]
    NotDeferred,
    /// The photo or the fingerprints are recorded at the photo step, or later while the
    /// case waits for them; a photo or capture already recorded is not replaced.
    #[error("the case does not wait for a photo or fingerprints")]
    NotAwaitingPhoto,
    #[error("a SIMPONI billing code has 15 digits")]
    BillingCode,
    /// The NTPN has 16 letters and digits; the amount is more than nothing and not absurd.
    #[error("a payment needs its NTPN (16 letters and digits) and an amount")]
    Payment,
}

impl Case {
    /// Opens a case from its check-in action.
    pub fn open(action: &Action) -> Result<Case, CaseError> {
        let Action::CheckIn {
            case_id,
            booking,
            applicant,
            application,
            at,
            exceptions,
            checklist,
            identity,
        } = action
        else {
            return Err(CaseError::NotCheckedIn);
        };
        Ok(Case {
            id: *case_id,
            booking: booking.clone(),
            applicant: *applicant,
            application: *application,
            status: CaseStatus::Open(Step::Documents),
            checked_in_at: *at,
            exceptions: exceptions.clone(),
            documents: super::checklist::fresh_checklist(checklist),
            identity: identity.clone(),
            documents_override: None,
            interview: Interview::default(),
            photo: PhotoState::NotTaken,
            biometrics: Biometrics::NotRecorded,
            billing_code: None,
            payments: Vec::new(),
            decision: None,
            decided_at: None,
            awaiting: None,
        })
    }

    /// Replays a case's actions in order.
    pub fn replay<'a>(mut actions: impl Iterator<Item = &'a Action>) -> Result<Case, CaseError> {
        let first = actions.next().ok_or(CaseError::NotCheckedIn)?;
        let mut case = Case::open(first)?;
        for action in actions {
            case.apply(action)?;
        }
        Ok(case)
    }

    pub fn current_step(&self) -> Option<Step> {
        match self.status {
            CaseStatus::Open(step) => Some(step),
            _ => None,
        }
    }

    /// Whether `step` was done. In an open case, every step before the current one. In a
    /// closed one it is read from what the case holds, so a case deferred at the documents
    /// step does not show its interview and photo as done: the documents passed when all
    /// are checked and none fails (or a supervisor let them pass), the interview when it is
    /// complete, the photo when one was taken or recorded as pending.
    pub fn step_done(&self, step: Step) -> bool {
        if let CaseStatus::Open(current) = self.status {
            return step < current;
        }
        let photo = self.photo != PhotoState::NotTaken;
        let documents = photo
            || (self
                .documents
                .iter()
                .all(|d| d.status != DocStatus::Unchecked)
                && (self.document_problems().is_empty() || self.documents_override.is_some()));
        let interview = photo || (documents && self.interview_missing().is_empty());
        match step {
            Step::CheckIn => true,
            Step::Documents => documents,
            Step::Interview => interview,
            Step::Photo => photo,
            Step::Decision => self.decision.is_some(),
        }
    }

    fn require_step(&self, expected: Step) -> Result<(), CaseError> {
        match self.status {
            CaseStatus::Open(current) if current == expected => Ok(()),
            CaseStatus::Open(current) => Err(CaseError::WrongStep { expected, current }),
            _ => Err(CaseError::Closed),
        }
    }

    /// What keeps the documents step from passing on its own.
    pub fn document_problems(&self) -> Vec<DocProblem> {
        let mut problems: Vec<DocProblem> = self
            .documents
            .iter()
            .filter_map(|d| match d.status {
                DocStatus::Missing => Some(DocProblem::Missing(d.kind)),
                DocStatus::Invalid => Some(DocProblem::Invalid(d.kind)),
                _ => None,
            })
            .collect();
        let nik = self.identity.nik_check();
        if !nik.is_valid() {
            problems.push(DocProblem::Nik(nik));
        }
        problems
    }

    /// Documents that are missing or invalid: what a deferred applicant must bring back.
    pub fn documents_to_bring(&self) -> Vec<DocKind> {
        self.documents
            .iter()
            .filter(|d| matches!(d.status, DocStatus::Missing | DocStatus::Invalid))
            .map(|d| d.kind)
            .collect()
    }

    pub fn apply(&mut self, action: &Action) -> Result<(), CaseError> {
        match action {
            Action::CheckIn { .. } => return Err(CaseError::AlreadyCheckedIn),
            Action::SetDocument { kind, status, note } => {
                self.require_step(Step::Documents)?;
                let item = self
                    .documents
                    .iter_mut()
                    .find(|d| d.kind == *kind)
                    .ok_or(CaseError::NotOnChecklist(*kind))?;
                item.status = *status;
                item.note.clone_from(note);
            }
            Action::SetIdentity { identity } => {
                self.require_step(Step::Documents)?;
                self.identity = identity.clone();
            }
            Action::SetChecklist { checklist } => {
                self.require_step(Step::Documents)?;
                let mut kept = std::mem::take(&mut self.documents);
                self.documents = checklist
                    .iter()
                    .map(|kind| match kept.iter().position(|d| d.kind == *kind) {
                        Some(i) => kept.swap_remove(i),
                        None => super::checklist::fresh_checklist(&[*kind]).remove(0),
                    })
                    .collect();
            }
            Action::CompleteDocuments { override_by } => {
                self.require_step(Step::Documents)?;
                let unchecked: Vec<DocKind> = self
                    .documents
                    .iter()
                    .filter(|d| d.status == DocStatus::Unchecked)
                    .map(|d| d.kind)
                    .collect();
                if !unchecked.is_empty() {
                    return Err(CaseError::Unchecked(unchecked));
                }
                let problems = self.document_problems();
                if !problems.is_empty() && override_by.is_none() {
                    return Err(CaseError::NeedsOverride(problems));
                }
                self.documents_override = if problems.is_empty() {
                    None
                } else {
                    override_by.clone()
                };
                self.status = CaseStatus::Open(Step::Interview);
            }
            Action::SaveInterview { interview } => {
                self.require_step(Step::Interview)?;
                self.interview = interview.clone();
            }
            Action::CompleteInterview => {
                self.require_step(Step::Interview)?;
                let missing = self.interview_missing();
                if !missing.is_empty() {
                    return Err(CaseError::MissingAnswers(missing));
                }
                self.status = CaseStatus::Open(Step::Photo);
            }
            Action::RecordPhotoPending { biometrics } => {
                self.require_step(Step::Photo)?;
                self.photo = PhotoState::Pending;
                if let Some(b) = biometrics {
                    self.biometrics = b.clone();
                }
                self.status = CaseStatus::Open(Step::Decision);
            }
            Action::RecordBiometrics { biometrics } => {
                match self.status {
                    CaseStatus::Open(Step::Photo) => {}
                    CaseStatus::AwaitingPhoto
                        if !matches!(self.biometrics, Biometrics::Captured { .. }) => {}
                    CaseStatus::Open(current) => {
                        return Err(CaseError::WrongStep {
                            expected: Step::Photo,
                            current,
                        });
                    }
                    _ => return Err(CaseError::NotAwaitingPhoto),
                }
                if *biometrics == Biometrics::NotRecorded {
                    return Err(CaseError::NotAwaitingPhoto);
                }
                self.biometrics = biometrics.clone();
                self.finish_if_complete();
            }
            Action::SetBillingCode { code } => {
                if !self.status.is_open() {
                    return Err(CaseError::Closed);
                }
                if !is_billing_code(code) {
                    return Err(CaseError::BillingCode);
                }
                self.billing_code = Some(code.clone());
            }
            Action::RecordPayment { payment } => {
                if !self.status.is_open() {
                    return Err(CaseError::Closed);
                }
                if !is_ntpn(&payment.ntpn) || !(1..=MAX_PAYMENT).contains(&payment.amount) {
                    return Err(CaseError::Payment);
                }
                if self.payments.iter().any(|p| p.ntpn == payment.ntpn) {
                    return Err(CaseError::Payment);
                }
                self.payments.push(payment.clone());
            }
            Action::Resume { .. } => {
                if self.status != CaseStatus::Deferred {
                    return Err(CaseError::NotDeferred);
                }
                self.decision = None;
                self.decided_at = None;
                self.status = CaseStatus::Open(self.resume_step());
            }
            Action::RecordPhoto {
                sha256,
                failed_checks,
                accepted_because,
                biometrics,
            } => {
                let later = self.status == CaseStatus::AwaitingPhoto;
                if later && self.photo != PhotoState::Pending {
                    return Err(CaseError::NotAwaitingPhoto);
                }
                if !later {
                    self.require_step(Step::Photo)?;
                }
                // A photo that failed a check is kept only with the officer's reason.
                if !failed_checks.is_empty()
                    && accepted_because
                        .as_deref()
                        .is_none_or(|r| r.trim().is_empty())
                {
                    return Err(CaseError::EmptyReason);
                }
                self.photo = PhotoState::Taken {
                    sha256: sha256.clone(),
                    failed_checks: failed_checks.clone(),
                    accepted_because: accepted_because.clone(),
                };
                if let Some(b) = biometrics.as_ref().filter(|b| !b.is_not_recorded())
                    && (!later || self.biometrics.is_pending())
                {
                    self.biometrics = b.clone();
                }
                if later {
                    self.finish_if_complete();
                } else {
                    self.status = CaseStatus::Open(Step::Decision);
                }
            }
            Action::Decide { decision, at } => {
                self.status = self.decide(decision)?;
                self.decision = Some(decision.clone());
                self.decided_at = Some(*at);
            }
            Action::AskApproval { ask } => {
                if self.awaiting.is_some() {
                    return Err(CaseError::AlreadyAwaiting);
                }
                match &ask.asked {
                    Asked::Documents { problems } => {
                        self.require_step(Step::Documents)?;
                        let actual = self.document_problems();
                        // What the board shows is what the case has: a request naming
                        // other problems asks for another approval.
                        if actual.is_empty() || (!problems.is_empty() && *problems != actual) {
                            return Err(CaseError::NothingToApprove);
                        }
                    }
                    Asked::Continue { reason, .. } => {
                        self.require_step(Step::Decision)?;
                        if reason.trim().is_empty() {
                            return Err(CaseError::EmptyReason);
                        }
                    }
                    Asked::Reject { reason } => {
                        if !self.status.is_open() {
                            return Err(CaseError::Closed);
                        }
                        if reason.trim().is_empty() {
                            return Err(CaseError::EmptyReason);
                        }
                    }
                }
                self.awaiting = Some(ask.clone());
                return Ok(());
            }
            Action::ApprovalReturned { request, .. } => {
                if self.awaiting.as_ref().is_none_or(|a| a.id != *request) {
                    return Err(CaseError::NotAwaiting);
                }
                self.awaiting = None;
                return Ok(());
            }
        }
        // A step completed or a decision made answers what waited (the supervisor came to
        // the counter, or the officer chose otherwise).
        if matches!(
            action,
            Action::CompleteDocuments { .. } | Action::Decide { .. }
        ) {
            self.awaiting = None;
        }
        Ok(())
    }

    /// What the payments proved at the counter add up to.
    pub fn paid_at_counter(&self) -> i64 {
        self.payments.iter().map(|p| p.amount).sum()
    }

    /// Whether the photo or the fingerprints are still to be taken.
    pub fn photo_outstanding(&self) -> bool {
        self.photo == PhotoState::Pending || self.biometrics.is_pending()
    }

    /// A case waiting for its photo ends approved once nothing is outstanding.
    fn finish_if_complete(&mut self) {
        if self.status == CaseStatus::AwaitingPhoto && !self.photo_outstanding() {
            self.status = CaseStatus::Continued;
        }
    }

    /// Where a deferred case opens again: the first step it had not done (a deferral
    /// closes the case at any step; see [`Case::step_done`]).
    pub fn resume_step(&self) -> Step {
        [Step::Documents, Step::Interview, Step::Photo]
            .into_iter()
            .find(|s| !self.step_done(*s))
            .unwrap_or(Step::Decision)
    }

    /// The decision to continue that a supervisor's approval with `reason` makes: it covers
    /// what it was asked for, the fees owed, the red flags, a waived fine, or all of them.
    pub fn continue_approved(&self, fee: &FeeSummary, supervisor: &str, reason: &str) -> Decision {
        let approval = Approval {
            supervisor: supervisor.to_owned(),
            reason: reason.to_owned(),
        };
        Decision::Continue {
            fee: fee.clone(),
            underpaid: (fee.difference() > 0).then(|| approval.clone()),
            flagged: (!self.interview.red_flags.is_empty()).then(|| approval.clone()),
            waived: self.waives_fine().then_some(approval),
        }
    }

    /// Whether the applicant is a child on the day of check-in (by the identity as it now
    /// stands): the documents and the interview follow.
    pub fn is_child(&self) -> bool {
        super::booking::age_on(self.identity.birth_date, self.checked_in_at.date_naive())
            < super::booking::ADULT_AGE
    }

    /// The documents the applicant's age asks for, when the checklist no longer fits it (a
    /// birth date corrected from an adult's to a child's, or back).
    pub fn checklist_for_identity(&self) -> Option<Vec<DocKind>> {
        let now: Vec<DocKind> = self.documents.iter().map(|d| d.kind).collect();
        let wanted = super::checklist::for_age(&now, self.is_child());
        (wanted != now).then_some(wanted)
    }

    /// The interview answers still missing: a child is not asked an occupation.
    pub fn interview_missing(&self) -> Vec<InterviewField> {
        let mut missing = self.interview.missing(self.application);
        if self.is_child() {
            missing.retain(|f| *f != InterviewField::Occupation);
        }
        missing
    }

    /// Whether the interview waives this application's fine (force majeure on a lost or
    /// damaged passport): continuing then needs a supervisor's approval.
    pub fn waives_fine(&self) -> bool {
        self.interview.force_majeure && self.application.needs_examination()
    }

    fn decide(&self, decision: &Decision) -> Result<CaseStatus, CaseError> {
        if !self.status.is_open() {
            return Err(CaseError::Closed);
        }
        match decision {
            Decision::Continue {
                fee,
                underpaid,
                flagged,
                waived,
            } => {
                self.require_step(Step::Decision)?;
                if self.waives_fine() {
                    match waived {
                        None => return Err(CaseError::Waived),
                        Some(a) if a.reason.trim().is_empty() => {
                            return Err(CaseError::EmptyReason);
                        }
                        Some(a) if a.supervisor.trim().is_empty() => {
                            return Err(CaseError::NeedsSupervisor);
                        }
                        Some(_) => {}
                    }
                }
                // A sign of trafficking or a non-procedural migrant worker is for a
                // supervisor to weigh, never the asking officer alone.
                if !self.interview.red_flags.is_empty() {
                    match flagged {
                        None => {
                            let flags = self.interview.red_flags.iter().copied().collect();
                            return Err(CaseError::Flagged(flags));
                        }
                        Some(a) if a.reason.trim().is_empty() => {
                            return Err(CaseError::EmptyReason);
                        }
                        Some(a) if a.supervisor.trim().is_empty() => {
                            return Err(CaseError::NeedsSupervisor);
                        }
                        Some(_) => {}
                    }
                }
                // PP 28/2019: the fee is paid before the passport is processed; owing
                // anything, the case goes on only with a supervisor's approval and reason.
                let due = fee.difference();
                match underpaid {
                    _ if due <= 0 => {}
                    None => return Err(CaseError::Unpaid(due)),
                    Some(a) if a.reason.trim().is_empty() => return Err(CaseError::EmptyReason),
                    Some(a) if a.supervisor.trim().is_empty() => {
                        return Err(CaseError::NeedsSupervisor);
                    }
                    Some(_) => {}
                }
                // No passport is processed without its photo and fingerprints.
                Ok(if self.photo_outstanding() {
                    CaseStatus::AwaitingPhoto
                } else {
                    CaseStatus::Continued
                })
            }
            // Deferring is open at any step: the applicant comes back with what was missing.
            Decision::Defer { .. } => Ok(CaseStatus::Deferred),
            Decision::Reject { reason, supervisor } => {
                if reason.trim().is_empty() {
                    Err(CaseError::EmptyReason)
                } else if supervisor.trim().is_empty() {
                    Err(CaseError::NeedsSupervisor)
                } else {
                    Ok(CaseStatus::Rejected)
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "case_tests.rs"]
mod tests;
