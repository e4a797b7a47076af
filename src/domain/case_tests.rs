use super::*;
use crate::domain::checklist::DocKind::*;
use proptest::prelude::*;

fn at() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-25T09:15:00+07:00").unwrap()
}

fn check_in(nik: &str) -> Action {
    Action::CheckIn {
        case_id: Uuid::nil(),
        booking: BookingCode::from_number(42),
        applicant: 0,
        application: ApplicationType::Lost,
        at: at(),
        exceptions: vec![],
        checklist: vec![EKtp, FamilyCard, CivilRecord, PoliceReport],
        identity: Identity {
            name: "Siti Rahayu".into(),
            nik: nik.into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 7, 5).unwrap(),
            sex: Sex::Female,
        },
    }
}

fn set(kind: DocKind, status: DocStatus) -> Action {
    Action::SetDocument {
        kind,
        status,
        note: String::new(),
    }
}

fn answers() -> Interview {
    Interview {
        purpose: Some(Purpose::Pilgrimage),
        destination: "Arab Saudi".into(),
        occupation: "Guru".into(),
        length_of_stay: "14 hari".into(),
        emergency_contact: "Budi 0812".into(),
        chronology: "Hilang di angkot".into(),
        police_report_no: "LP/123/XI/2026".into(),
        ..Interview::default()
    }
}

const GOOD_NIK: &str = "3174054507900001";

#[test]
fn full_walk_to_continue() {
    let mut c = Case::open(&check_in(GOOD_NIK)).unwrap();
    for k in [EKtp, FamilyCard, CivilRecord, PoliceReport] {
        c.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    c.apply(&Action::CompleteDocuments { override_by: None })
        .unwrap();
    assert_eq!(c.status, CaseStatus::Open(Step::Interview));
    assert_eq!(
        c.apply(&Action::CompleteInterview),
        Err(CaseError::MissingAnswers(vec![
            InterviewField::Purpose,
            InterviewField::Destination,
            InterviewField::Occupation,
            InterviewField::LengthOfStay,
            InterviewField::EmergencyContact,
            InterviewField::Chronology,
            InterviewField::PoliceReportNo,
        ]))
    );
    c.apply(&Action::SaveInterview {
        interview: answers(),
    })
    .unwrap();
    c.apply(&Action::CompleteInterview).unwrap();
    c.apply(&Action::RecordPhotoPending {
        biometrics: Some(Biometrics::Pending),
    })
    .unwrap();
    let fee = FeeSummary {
        lines: vec![],
        total: 0,
        paid: 0,
    };
    c.apply(&Action::Decide {
        decision: Decision::Continue {
            fee,
            underpaid: None,
            flagged: None,
            waived: None,
        },
        at: at(),
    })
    .unwrap();
    // No photo and no fingerprints yet: decided, but the passport waits for them.
    assert_eq!(c.status, CaseStatus::AwaitingPhoto);
    assert!(c.step_done(Step::Decision));
    assert_eq!(
        c.apply(&set(EKtp, DocStatus::Missing)),
        Err(CaseError::Closed)
    );
    c.apply(&Action::RecordBiometrics {
        biometrics: captured(),
    })
    .unwrap();
    assert_eq!(c.status, CaseStatus::AwaitingPhoto, "the photo still waits");
    c.apply(&photo_later()).unwrap();
    assert_eq!(c.status, CaseStatus::Continued);
    assert_eq!(c.apply(&photo_later()), Err(CaseError::Closed));
    assert_eq!(
        c.apply(&Action::RecordBiometrics {
            biometrics: captured()
        }),
        Err(CaseError::NotAwaitingPhoto)
    );
}

fn captured() -> Biometrics {
    Biometrics::Captured {
        by: "petugas1".into(),
        at: at(),
    }
}

fn photo_later() -> Action {
    Action::RecordPhoto {
        sha256: "ab".repeat(32),
        failed_checks: vec![],
        accepted_because: None,
        biometrics: Some(Biometrics::Pending),
    }
}

fn continue_free() -> Action {
    Action::Decide {
        decision: Decision::Continue {
            fee: FeeSummary {
                lines: vec![],
                total: 0,
                paid: 0,
            },
            underpaid: None,
            flagged: None,
            waived: None,
        },
        at: at(),
    }
}

/// A case walked to the photo step.
fn at_photo() -> Case {
    let mut c = Case::open(&check_in(GOOD_NIK)).unwrap();
    for k in [EKtp, FamilyCard, CivilRecord, PoliceReport] {
        c.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    c.apply(&Action::CompleteDocuments { override_by: None })
        .unwrap();
    c.apply(&Action::SaveInterview {
        interview: answers(),
    })
    .unwrap();
    c.apply(&Action::CompleteInterview).unwrap();
    c
}

#[test]
fn a_photo_with_fingerprints_pending_ends_awaiting_them() {
    let mut c = at_photo();
    c.apply(&Action::RecordPhoto {
        sha256: "cd".repeat(32),
        failed_checks: vec![],
        accepted_because: None,
        biometrics: Some(Biometrics::Pending),
    })
    .unwrap();
    c.apply(&continue_free()).unwrap();
    assert_eq!(c.status, CaseStatus::AwaitingPhoto);
    // The photo is there: only the fingerprints finish it.
    assert_eq!(c.apply(&photo_later()), Err(CaseError::NotAwaitingPhoto));
    c.apply(&Action::RecordBiometrics {
        biometrics: captured(),
    })
    .unwrap();
    assert_eq!(c.status, CaseStatus::Continued);
}

#[test]
fn photo_and_fingerprints_taken_continue_at_once() {
    let mut c = at_photo();
    c.apply(&Action::RecordBiometrics {
        biometrics: captured(),
    })
    .unwrap();
    // Marked by mistake: undone before the step is done.
    c.apply(&Action::RecordBiometrics {
        biometrics: Biometrics::Pending,
    })
    .unwrap();
    assert!(c.biometrics.is_pending());
    c.apply(&Action::RecordBiometrics {
        biometrics: captured(),
    })
    .unwrap();
    c.apply(&Action::RecordPhoto {
        sha256: "cd".repeat(32),
        failed_checks: vec![],
        accepted_because: None,
        biometrics: Some(captured()),
    })
    .unwrap();
    c.apply(&continue_free()).unwrap();
    assert_eq!(c.status, CaseStatus::Continued);
}

#[test]
fn events_from_before_fingerprints_were_recorded_replay_as_they_were() {
    // A photo event without the fingerprints' state: the case continues as it did then.
    let mut c = at_photo();
    c.apply(&Action::RecordPhoto {
        sha256: "cd".repeat(32),
        failed_checks: vec![],
        accepted_because: None,
        biometrics: None,
    })
    .unwrap();
    c.apply(&continue_free()).unwrap();
    assert_eq!(c.status, CaseStatus::Continued);
    assert!(c.biometrics.is_not_recorded());
    let json = serde_json::to_value(&c).unwrap();
    assert!(json.get("biometrics").is_none(), "stored as before: {json}");
}

#[test]
fn a_deferred_case_resumes_at_the_step_it_had_not_done() {
    let defer = |missing: Vec<DocKind>| Action::Decide {
        decision: Decision::Defer {
            missing,
            note: String::new(),
        },
        at: at(),
    };
    let resume = Action::Resume { at: at() };
    // Deferred at the documents step with a document missing: back to the documents.
    let mut c = Case::open(&check_in(GOOD_NIK)).unwrap();
    c.apply(&set(EKtp, DocStatus::Missing)).unwrap();
    c.apply(&defer(vec![EKtp])).unwrap();
    assert_eq!(c.apply(&Action::CompleteInterview), Err(CaseError::Closed));
    c.apply(&resume).unwrap();
    assert_eq!(c.status, CaseStatus::Open(Step::Documents));
    assert_eq!(c.decision, None);
    assert_eq!(c.apply(&resume), Err(CaseError::NotDeferred));
    // The document brought, the case goes on from there.
    c.apply(&set(EKtp, DocStatus::Valid)).unwrap();
    for k in [FamilyCard, CivilRecord, PoliceReport] {
        c.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    c.apply(&Action::CompleteDocuments { override_by: None })
        .unwrap();
    // Deferred at the photo step: the documents and interview stay done.
    c.apply(&Action::SaveInterview {
        interview: answers(),
    })
    .unwrap();
    c.apply(&Action::CompleteInterview).unwrap();
    c.apply(&defer(vec![])).unwrap();
    c.apply(&resume).unwrap();
    assert_eq!(c.status, CaseStatus::Open(Step::Photo));
    // A decided case does not resume.
    c.apply(&Action::RecordPhotoPending {
        biometrics: Some(captured()),
    })
    .unwrap();
    c.apply(&continue_free()).unwrap();
    assert_eq!(c.apply(&resume), Err(CaseError::NotDeferred));
}

#[test]
fn failed_checks_need_a_supervisor() {
    let mut c = Case::open(&check_in("3174051507900001")).unwrap();
    assert_eq!(
        c.apply(&Action::CompleteDocuments { override_by: None }),
        Err(CaseError::Unchecked(vec![
            EKtp,
            FamilyCard,
            CivilRecord,
            PoliceReport
        ]))
    );
    for k in [EKtp, FamilyCard, CivilRecord] {
        c.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    c.apply(&set(PoliceReport, DocStatus::Missing)).unwrap();
    match c.apply(&Action::CompleteDocuments { override_by: None }) {
        Err(CaseError::NeedsOverride(p)) => {
            assert_eq!(p[0], DocProblem::Missing(PoliceReport));
            assert!(matches!(p[1], DocProblem::Nik(NikCheck::Mismatch(_))));
        }
        other => panic!("{other:?}"),
    }
    c.apply(&Action::CompleteDocuments {
        override_by: Some("supervisor1".into()),
    })
    .unwrap();
    assert_eq!(c.documents_override.as_deref(), Some("supervisor1"));
    assert_eq!(c.documents_to_bring(), vec![PoliceReport]);
}

#[test]
fn a_request_to_the_board_waits_until_answered_and_an_approval_is_the_pin_s_action() {
    let mut c = Case::open(&check_in("3174051507900001")).unwrap();
    let ask = |asked: Asked| ApprovalAsk {
        id: Uuid::now_v7(),
        asked,
        officer: "petugas1".into(),
        at: at(),
    };
    // A request to continue waits for the decision step; a rejection needs its reason.
    let interview_ask = ask(Asked::Continue {
        fee: FeeSummary {
            lines: vec![],
            total: 0,
            paid: 0,
        },
        reason: "bayar besok".into(),
    });
    assert!(matches!(
        c.apply(&Action::AskApproval { ask: interview_ask }),
        Err(CaseError::WrongStep { .. })
    ));
    let empty = ask(Asked::Reject { reason: " ".into() });
    assert_eq!(
        c.apply(&Action::AskApproval { ask: empty }),
        Err(CaseError::EmptyReason)
    );
    for k in [EKtp, FamilyCard, CivilRecord, PoliceReport] {
        c.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    // A request names the problems the case has, or none (made before they were named);
    // naming others is asking for another approval.
    let other = ask(Asked::Documents {
        problems: vec![DocProblem::Missing(PoliceReport)],
    });
    assert_eq!(
        c.apply(&Action::AskApproval { ask: other }),
        Err(CaseError::NothingToApprove)
    );
    let first = ask(Asked::Documents {
        problems: c.document_problems(),
    });
    assert!(!c.document_problems().is_empty());
    c.apply(&Action::AskApproval { ask: first.clone() })
        .unwrap();
    assert_eq!(
        c.apply(&Action::AskApproval {
            ask: ask(Asked::Documents { problems: vec![] })
        }),
        Err(CaseError::AlreadyAwaiting)
    );
    // A return names the request it answers.
    let returned = |request| Action::ApprovalReturned {
        request,
        supervisor: "supervisor1".into(),
        note: "periksa lagi".into(),
    };
    assert_eq!(
        c.apply(&returned(Uuid::now_v7())),
        Err(CaseError::NotAwaiting)
    );
    c.apply(&returned(first.id)).unwrap();
    assert!(c.awaiting.is_none());
    // Asked again and approved: the same action a supervisor's PIN makes, and the wait ends.
    let again = ask(Asked::Documents { problems: vec![] });
    c.apply(&Action::AskApproval { ask: again.clone() })
        .unwrap();
    let action = again.granted(&c, "supervisor1", at());
    assert_eq!(
        action,
        Action::CompleteDocuments {
            override_by: Some("supervisor1".into())
        }
    );
    c.apply(&action).unwrap();
    assert!(c.awaiting.is_none());
    assert_eq!(c.documents_override.as_deref(), Some("supervisor1"));
}

#[test]
fn a_birth_date_corrected_to_a_child_s_changes_documents_and_interview() {
    let mut c = Case::open(&check_in("3174051507900001")).unwrap();
    c.apply(&set(EKtp, DocStatus::Valid)).unwrap();
    c.apply(&set(FamilyCard, DocStatus::Valid)).unwrap();
    assert_eq!(
        c.checklist_for_identity(),
        None,
        "an adult's list fits an adult"
    );
    let mut identity = c.identity.clone();
    identity.birth_date = NaiveDate::from_ymd_opt(2020, 3, 1).unwrap();
    c.apply(&Action::SetIdentity { identity }).unwrap();
    assert!(c.is_child());
    let wanted = c.checklist_for_identity().unwrap();
    assert_eq!(
        wanted,
        vec![
            ParentsKtp,
            FamilyCard,
            BirthRecord,
            ParentsMarriageRecord,
            BothParentsPresent,
            PoliceReport
        ]
    );
    c.apply(&Action::SetChecklist { checklist: wanted })
        .unwrap();
    // The family card kept its check; the new ones wait to be checked.
    let status = |k| c.documents.iter().find(|d| d.kind == k).map(|d| d.status);
    assert_eq!(status(FamilyCard), Some(DocStatus::Valid));
    assert_eq!(status(ParentsKtp), Some(DocStatus::Unchecked));
    assert_eq!(status(EKtp), None);
    assert_eq!(c.checklist_for_identity(), None);
    // A child is not asked an occupation.
    assert!(!c.interview_missing().contains(&InterviewField::Occupation));
    assert!(
        c.interview
            .missing(c.application)
            .contains(&InterviewField::Occupation)
    );
}

#[test]
fn steps_are_taken_in_order() {
    let mut c = Case::open(&check_in(GOOD_NIK)).unwrap();
    assert_eq!(
        c.apply(&Action::RecordPhotoPending {
            biometrics: Some(Biometrics::Pending),
        }),
        Err(CaseError::WrongStep {
            expected: Step::Photo,
            current: Step::Documents
        })
    );
    assert_eq!(
        c.apply(&check_in(GOOD_NIK)),
        Err(CaseError::AlreadyCheckedIn)
    );
    assert_eq!(
        c.apply(&set(BothParentsPresent, DocStatus::Valid)),
        Err(CaseError::NotOnChecklist(BothParentsPresent))
    );
    let fee = FeeSummary {
        lines: vec![],
        total: 0,
        paid: 0,
    };
    assert!(
        c.apply(&Action::Decide {
            decision: Decision::Continue {
                fee,
                underpaid: None,
                flagged: None,
                waived: None,
            },
            at: at()
        })
        .is_err()
    );
}

#[test]
fn reject_needs_reason_and_supervisor_defer_does_not() {
    let mut c = Case::open(&check_in(GOOD_NIK)).unwrap();
    let reject = |reason: &str, sup: &str| Action::Decide {
        decision: Decision::Reject {
            reason: reason.into(),
            supervisor: sup.into(),
        },
        at: at(),
    };
    assert_eq!(
        c.apply(&reject(" ", "supervisor1")),
        Err(CaseError::EmptyReason)
    );
    assert_eq!(
        c.apply(&reject("Dokumen palsu", "")),
        Err(CaseError::NeedsSupervisor)
    );
    let mut d = c.clone();
    d.apply(&Action::Decide {
        decision: Decision::Defer {
            missing: vec![EKtp],
            note: String::new(),
        },
        at: at(),
    })
    .unwrap();
    assert_eq!(d.status, CaseStatus::Deferred);
    c.apply(&reject("Dokumen palsu", "supervisor1")).unwrap();
    assert_eq!(c.status, CaseStatus::Rejected);
}

/// Requests for approval the generated actions ask and answer: a few fixed ids, so an
/// answer sometimes meets the request it answers and sometimes does not.
fn request_id(n: u8) -> Uuid {
    Uuid::from_u128(0xA5C0_0000 + u128::from(n))
}

fn approval(supervisor: &str, reason: &str) -> Option<Approval> {
    Some(Approval {
        supervisor: supervisor.into(),
        reason: reason.into(),
    })
}

fn any_approval() -> impl Strategy<Value = Option<Approval>> {
    prop_oneof![
        Just(None),
        Just(approval("supervisor1", "Dilihat sendiri")),
        Just(approval("", "Tanpa nama")),
        Just(approval("supervisor1", " ")),
    ]
}

fn any_fee() -> impl Strategy<Value = FeeSummary> {
    (
        prop::sample::select(vec![0_i64, 350_000, 650_000]),
        0_i64..3,
    )
        .prop_map(|(total, part)| FeeSummary {
            lines: vec![],
            total,
            // Paid in full, short by half, or nothing.
            paid: total * (2 - part.min(2)) / 2,
        })
}

fn any_decision() -> impl Strategy<Value = Decision> {
    prop_oneof![
        (any_fee(), any_approval(), any_approval(), any_approval()).prop_map(
            |(fee, underpaid, flagged, waived)| Decision::Continue {
                fee,
                underpaid,
                flagged,
                waived,
            }
        ),
        Just(Decision::Defer {
            missing: vec![PoliceReport],
            note: "Bawa laporan polisi".into(),
        }),
        prop::sample::select(vec![
            ("Dokumen palsu", "supervisor1"),
            ("", "supervisor1"),
            ("Palsu", "")
        ])
        .prop_map(|(reason, supervisor)| Decision::Reject {
            reason: reason.into(),
            supervisor: supervisor.into(),
        }),
    ]
}

fn any_identity() -> impl Strategy<Value = Identity> {
    // The NIK of check_in's applicant, and one whose birth date disagrees with it.
    prop::sample::select(vec![GOOD_NIK, "3174054607900001"]).prop_map(|nik| Identity {
        name: "Siti Rahayu".into(),
        nik: nik.into(),
        birth_date: NaiveDate::from_ymd_opt(1990, 7, 5).unwrap(),
        sex: Sex::Female,
    })
}

fn any_interview() -> impl Strategy<Value = Interview> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(complete, flagged, force_majeure)| {
        let mut i = if complete {
            answers()
        } else {
            Interview::default()
        };
        if flagged {
            i.red_flags.insert(RedFlag::AccompaniedByAgent);
        }
        i.force_majeure = force_majeure;
        i
    })
}

fn any_ask() -> impl Strategy<Value = ApprovalAsk> {
    let asked = prop_oneof![
        Just(Asked::Documents { problems: vec![] }),
        (
            any_fee(),
            prop::sample::select(vec!["Sudah dibayar di bank", ""])
        )
            .prop_map(|(fee, reason)| Asked::Continue {
                fee,
                reason: reason.into()
            }),
        prop::sample::select(vec!["Dokumen palsu", " "]).prop_map(|reason| Asked::Reject {
            reason: reason.into()
        }),
    ];
    (0_u8..3, asked).prop_map(|(n, asked)| ApprovalAsk {
        id: request_id(n),
        asked,
        officer: "petugas1".into(),
        at: at(),
    })
}

fn any_biometrics() -> impl Strategy<Value = Biometrics> {
    prop::sample::select(vec![
        Biometrics::NotRecorded,
        Biometrics::Pending,
        captured(),
    ])
}

/// Every kind of action an officer, a supervisor or sync can make on a case, with values
/// that are sometimes refused.
fn any_action() -> impl Strategy<Value = Action> {
    let kinds = prop::sample::select(vec![
        EKtp,
        FamilyCard,
        CivilRecord,
        PoliceReport,
        ParentsKtp,
    ]);
    let statuses = prop::sample::select(vec![
        DocStatus::Valid,
        DocStatus::Missing,
        DocStatus::Invalid,
    ]);
    prop_oneof![
        Just(check_in(GOOD_NIK)),
        (kinds.clone(), statuses).prop_map(|(k, s)| set(k, s)),
        any_identity().prop_map(|identity| Action::SetIdentity { identity }),
        prop::sample::subsequence(
            vec![EKtp, FamilyCard, CivilRecord, PoliceReport, ParentsKtp],
            1..5
        )
        .prop_map(|checklist| Action::SetChecklist { checklist }),
        prop::sample::select(vec![None, Some("supervisor1".to_owned())])
            .prop_map(|override_by| Action::CompleteDocuments { override_by }),
        any_interview().prop_map(|interview| Action::SaveInterview { interview }),
        Just(Action::CompleteInterview),
        prop::option::of(any_biometrics())
            .prop_map(|biometrics| Action::RecordPhotoPending { biometrics }),
        (
            any::<bool>(),
            prop::option::of(prop::sample::select(vec!["Disabilitas", ""])),
            prop::option::of(any_biometrics())
        )
            .prop_map(|(failed, because, biometrics)| Action::RecordPhoto {
                sha256: "ab".repeat(32),
                failed_checks: if failed {
                    vec!["sharpness".into()]
                } else {
                    vec![]
                },
                accepted_because: because.map(str::to_owned),
                biometrics,
            }),
        any_biometrics().prop_map(|biometrics| Action::RecordBiometrics { biometrics }),
        prop::sample::select(vec!["820261125000042", "8202611"])
            .prop_map(|code| Action::SetBillingCode { code: code.into() }),
        (
            prop::sample::select(vec![0_i64, 300_000, 350_000]),
            prop::sample::select(vec!["0A1B2C3D4E5F6G7H", "1234567890ABCDEF", "FAKE"])
        )
            .prop_map(|(amount, ntpn)| Action::RecordPayment {
                payment: Payment {
                    amount,
                    ntpn: ntpn.into(),
                    by: "petugas1".into(),
                    at: at(),
                },
            }),
        Just(Action::Resume { at: at() }),
        any_decision().prop_map(|decision| Action::Decide { decision, at: at() }),
        any_ask().prop_map(|ask| Action::AskApproval { ask }),
        (0_u8..3).prop_map(|n| Action::ApprovalReturned {
            request: request_id(n),
            supervisor: "supervisor1".into(),
            note: "Lengkapi dulu".into(),
        }),
    ]
}

/// check_in's case walked to the decision: four documents valid, the documents step done,
/// the interview answered and done, the photo step done without a picture.
fn walk() -> Vec<Action> {
    let mut steps: Vec<Action> = [EKtp, FamilyCard, CivilRecord, PoliceReport]
        .into_iter()
        .map(|k| set(k, DocStatus::Valid))
        .collect();
    steps.extend([
        Action::CompleteDocuments { override_by: None },
        Action::SaveInterview {
            interview: answers(),
        },
        Action::CompleteInterview,
        Action::RecordPhotoPending {
            biometrics: Some(Biometrics::Pending),
        },
    ]);
    steps
}

/// The office's rules, read from what the case holds rather than from how `apply` got there.
fn assert_office_rules(case: &Case) -> Result<(), TestCaseError> {
    let decided_to_continue = matches!(
        case.status,
        CaseStatus::Continued | CaseStatus::AwaitingPhoto
    );
    if decided_to_continue {
        // No decision without the steps before it.
        prop_assert!(
            case.documents
                .iter()
                .all(|d| d.status != DocStatus::Unchecked),
            "continued with documents unchecked"
        );
        prop_assert!(
            case.document_problems().is_empty() || case.documents_override.is_some(),
            "continued past failed documents without a supervisor"
        );
        prop_assert!(
            case.interview_missing().is_empty(),
            "continued without the interview's answers"
        );
        prop_assert!(
            case.photo != PhotoState::NotTaken,
            "continued without the photo step"
        );
        let Some(Decision::Continue {
            fee,
            underpaid,
            flagged,
            waived,
        }) = &case.decision
        else {
            return Err(TestCaseError::fail(
                "continued without a decision to continue",
            ));
        };
        let approved = |a: &Option<Approval>| {
            a.as_ref()
                .is_some_and(|a| !a.supervisor.trim().is_empty() && !a.reason.trim().is_empty())
        };
        // No continued case while fees are owed, unless a supervisor said why.
        prop_assert!(
            fee.difference() <= 0 || approved(underpaid),
            "continued owing fees"
        );
        prop_assert!(
            case.interview.red_flags.is_empty() || approved(flagged),
            "continued with red flags"
        );
        prop_assert!(
            !case.waives_fine() || approved(waived),
            "a fine waived alone"
        );
        prop_assert!(case.decided_at.is_some());
    }
    if case.status == CaseStatus::Continued {
        prop_assert!(
            !case.photo_outstanding(),
            "continued with the photo outstanding"
        );
    }
    if case.status == CaseStatus::Rejected {
        prop_assert!(
            matches!(&case.decision, Some(Decision::Reject { reason, supervisor })
                if !reason.trim().is_empty() && !supervisor.trim().is_empty()),
            "rejected without a supervisor and a reason"
        );
    }
    if case.status.is_open() {
        prop_assert!(case.decision.is_none(), "an open case holds a decision");
    }
    // Each receipt once.
    let mut ntpns: Vec<&str> = case.payments.iter().map(|p| p.ntpn.as_str()).collect();
    ntpns.sort_unstable();
    ntpns.dedup();
    prop_assert_eq!(ntpns.len(), case.payments.len(), "an NTPN counted twice");
    prop_assert!(
        case.payments
            .iter()
            .all(|p| p.amount > 0 && is_ntpn(&p.ntpn))
    );
    if let Some(code) = &case.billing_code {
        prop_assert!(is_billing_code(code));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// Whatever an officer does, a failed action leaves the case untouched, steps only move
    /// forward, the office's rules hold at every point, and the accepted actions, sent as
    /// pusat receives them (JSON), replay to the same case (what sync relies on).
    #[test]
    fn accepted_actions_keep_the_office_rules_and_replay_to_the_same_case(
        walked in 0_usize..5,
        actions in prop::collection::vec(any_action(), 0..60)
    ) {
        let first = check_in(GOOD_NIK);
        let mut case = Case::open(&first).unwrap();
        let mut accepted = vec![serde_json::to_string(&first).unwrap()];
        // Most random actions are refused at the documents step: some cases are first walked
        // part of the way (to the interview, the photo or the decision) as an officer would,
        // so the later rules meet cases that reached them.
        for a in walk().into_iter().take([0, 5, 7, 8, 8][walked]) {
            case.apply(&a).unwrap();
            accepted.push(serde_json::to_string(&a).unwrap());
        }
        for a in actions {
            let before = case.clone();
            let step_before = case.current_step();
            match case.apply(&a) {
                Ok(()) => {
                    accepted.push(serde_json::to_string(&a).unwrap());
                    if let (Some(b), Some(now)) = (step_before, case.current_step())
                        && !matches!(a, Action::Resume { .. })
                    {
                        prop_assert!(now >= b);
                    }
                }
                Err(_) => prop_assert_eq!(&case, &before),
            }
            assert_office_rules(&case)?;
        }
        let received: Vec<Action> = accepted
            .iter()
            .map(|json| serde_json::from_str(json).unwrap())
            .collect();
        let replayed = Case::replay(received.iter()).unwrap();
        prop_assert_eq!(replayed, case);
    }
}

/// The generator reaches every kind of action, accepted at least once: a rule the property
/// test never sees pass is not tested by it.
#[test]
fn the_generated_actions_cover_every_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut accepted = std::collections::BTreeSet::new();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..3000 {
        let actions = prop::collection::vec(any_action(), 0..60)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut case = Case::open(&check_in(GOOD_NIK)).unwrap();
        for a in &actions {
            let kind = a.kind();
            seen.insert(kind);
            if case.apply(a).is_ok() {
                accepted.insert(kind);
            }
        }
    }
    let all = 16;
    assert_eq!(seen.len(), all, "generated kinds: {seen:?}");
    // CheckIn on an open case is always refused; every other kind is accepted somewhere.
    assert_eq!(accepted.len(), all - 1, "accepted kinds: {accepted:?}");
}

#[test]
fn a_failing_photo_needs_a_reason() {
    let mut c = Case::open(&check_in(GOOD_NIK)).unwrap();
    for k in [EKtp, FamilyCard, CivilRecord, PoliceReport] {
        c.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    c.apply(&Action::CompleteDocuments { override_by: None })
        .unwrap();
    c.apply(&Action::SaveInterview {
        interview: answers(),
    })
    .unwrap();
    c.apply(&Action::CompleteInterview).unwrap();
    let photo = |reason: Option<&str>| Action::RecordPhoto {
        sha256: "ab".repeat(32),
        failed_checks: vec!["sharpness".into()],
        accepted_because: reason.map(str::to_owned),
        biometrics: Some(Biometrics::Captured {
            by: "petugas1".into(),
            at: chrono::DateTime::parse_from_rfc3339("2026-11-27T09:00:00+07:00").unwrap(),
        }),
    };
    assert_eq!(c.apply(&photo(None)), Err(CaseError::EmptyReason));
    assert_eq!(c.apply(&photo(Some("  "))), Err(CaseError::EmptyReason));
    c.apply(&photo(Some("Pemohon disabilitas, tidak bisa tegak")))
        .unwrap();
    assert!(matches!(c.photo, PhotoState::Taken { .. }));
    assert_eq!(c.current_step(), Some(Step::Decision));
}

#[test]
fn fees_owed_need_a_supervisor_and_a_reason() {
    let mut c = Case::open(&check_in(GOOD_NIK)).unwrap();
    for step in walk() {
        c.apply(&step).unwrap();
    }
    let short = FeeSummary {
        lines: vec![],
        total: 950_000,
        paid: 650_000,
    };
    let decide = |underpaid: Option<(&str, &str)>| Action::Decide {
        decision: Decision::Continue {
            fee: short.clone(),
            underpaid: underpaid.map(|(s, r)| crate::domain::case::Approval {
                supervisor: s.into(),
                reason: r.into(),
            }),
            flagged: None,
            waived: None,
        },
        at: at(),
    };
    let before = c.clone();
    assert_eq!(c.apply(&decide(None)), Err(CaseError::Unpaid(300_000)));
    assert_eq!(
        c.apply(&decide(Some(("sup", " ")))),
        Err(CaseError::EmptyReason)
    );
    assert_eq!(
        c.apply(&decide(Some(("", "bukti bayar ada")))),
        Err(CaseError::NeedsSupervisor)
    );
    assert_eq!(c, before);
    c.apply(&decide(Some(("sup", "NTPN ada, sistem SIMPONI terlambat"))))
        .unwrap();
    assert_eq!(c.status, CaseStatus::AwaitingPhoto);
}

#[test]
fn a_flagged_case_continues_only_with_a_supervisors_approval() {
    let mut c = Case::open(&check_in(GOOD_NIK)).unwrap();
    for k in [EKtp, FamilyCard, CivilRecord, PoliceReport] {
        c.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    c.apply(&Action::CompleteDocuments { override_by: None })
        .unwrap();
    let mut interview = answers();
    interview
        .red_flags
        .insert(crate::domain::case::RedFlag::SuspectedIrregularMigrant);
    for step in [
        Action::SaveInterview { interview },
        Action::CompleteInterview,
        Action::RecordPhotoPending {
            biometrics: Some(Biometrics::Pending),
        },
    ] {
        c.apply(&step).unwrap();
    }
    let paid = FeeSummary {
        lines: vec![],
        total: 350_000,
        paid: 350_000,
    };
    let decide = |flagged: Option<(&str, &str)>| Action::Decide {
        decision: Decision::Continue {
            fee: paid.clone(),
            underpaid: None,
            flagged: flagged.map(|(s, r)| crate::domain::case::Approval {
                supervisor: s.into(),
                reason: r.into(),
            }),
            waived: None,
        },
        at: at(),
    };
    let before = c.clone();
    assert_eq!(
        c.apply(&decide(None)),
        Err(CaseError::Flagged(vec![
            crate::domain::case::RedFlag::SuspectedIrregularMigrant
        ]))
    );
    assert_eq!(
        c.apply(&decide(Some(("supervisor1", " ")))),
        Err(CaseError::EmptyReason)
    );
    assert_eq!(c, before, "a refused decision changes nothing");
    c.apply(&decide(Some(("supervisor1", "kontrak BP2MI ada"))))
        .unwrap();
    assert_eq!(c.status, CaseStatus::AwaitingPhoto);
}

#[test]
fn a_fine_waived_for_force_majeure_needs_a_supervisor_naming_the_evidence() {
    let mut c = Case::open(&check_in(GOOD_NIK)).unwrap();
    for k in [EKtp, FamilyCard, CivilRecord, PoliceReport] {
        c.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    c.apply(&Action::CompleteDocuments { override_by: None })
        .unwrap();
    let interview = Interview {
        force_majeure: true,
        ..answers()
    };
    for step in [
        Action::SaveInterview { interview },
        Action::CompleteInterview,
        Action::RecordPhotoPending {
            biometrics: Some(Biometrics::Pending),
        },
    ] {
        c.apply(&step).unwrap();
    }
    assert!(c.waives_fine());
    let fee = FeeSummary {
        lines: vec![],
        total: 350_000,
        paid: 350_000,
    };
    let decide = |waived: Option<(&str, &str)>| Action::Decide {
        decision: Decision::Continue {
            fee: fee.clone(),
            underpaid: None,
            flagged: None,
            waived: waived.map(|(s, r)| crate::domain::case::Approval {
                supervisor: s.into(),
                reason: r.into(),
            }),
        },
        at: at(),
    };
    assert_eq!(c.apply(&decide(None)), Err(CaseError::Waived));
    assert_eq!(
        c.apply(&decide(Some(("", "surat BPBD")))),
        Err(CaseError::NeedsSupervisor)
    );
    c.apply(&decide(Some((
        "supervisor1",
        "surat keterangan banjir BPBD 12/XI",
    ))))
    .unwrap();
    assert_eq!(c.status, CaseStatus::AwaitingPhoto);
}

#[test]
fn a_closed_case_shows_done_only_the_steps_it_did() {
    let defer = Action::Decide {
        decision: Decision::Defer {
            missing: vec![FamilyCard],
            note: "Bawa KK asli".into(),
        },
        at: at(),
    };
    let done =
        |c: &Case| -> Vec<Step> { Step::ALL.into_iter().filter(|s| c.step_done(*s)).collect() };
    // Deferred at the documents step, the family card missing: nothing after it is done.
    let mut at_documents = Case::open(&check_in(GOOD_NIK)).unwrap();
    at_documents.apply(&set(EKtp, DocStatus::Valid)).unwrap();
    at_documents
        .apply(&set(FamilyCard, DocStatus::Missing))
        .unwrap();
    assert_eq!(done(&at_documents), vec![Step::CheckIn]);
    at_documents.apply(&defer).unwrap();
    assert_eq!(done(&at_documents), vec![Step::CheckIn, Step::Decision]);

    // Deferred at the interview: the documents passed, the interview did not.
    let mut at_interview = Case::open(&check_in(GOOD_NIK)).unwrap();
    for k in [EKtp, FamilyCard, CivilRecord, PoliceReport] {
        at_interview.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    at_interview
        .apply(&Action::CompleteDocuments { override_by: None })
        .unwrap();
    at_interview.apply(&defer).unwrap();
    assert_eq!(
        done(&at_interview),
        vec![Step::CheckIn, Step::Documents, Step::Decision]
    );

    // Deferred at the decision, after the photo: every step was done.
    let mut at_decision = Case::open(&check_in(GOOD_NIK)).unwrap();
    for k in [EKtp, FamilyCard, CivilRecord, PoliceReport] {
        at_decision.apply(&set(k, DocStatus::Valid)).unwrap();
    }
    at_decision
        .apply(&Action::CompleteDocuments { override_by: None })
        .unwrap();
    at_decision
        .apply(&Action::SaveInterview {
            interview: answers(),
        })
        .unwrap();
    at_decision.apply(&Action::CompleteInterview).unwrap();
    at_decision
        .apply(&Action::RecordPhotoPending {
            biometrics: Some(Biometrics::Pending),
        })
        .unwrap();
    assert_eq!(
        done(&at_decision),
        vec![Step::CheckIn, Step::Documents, Step::Interview, Step::Photo]
    );
    at_decision.apply(&defer).unwrap();
    assert_eq!(done(&at_decision), Step::ALL.to_vec());
}

#[test]
fn payments_need_their_ntpn_and_a_billing_code_its_15_digits() {
    let mut c = at_photo();
    let pay = |ntpn: &str, amount: i64| Action::RecordPayment {
        payment: Payment {
            amount,
            ntpn: ntpn.into(),
            by: "petugas1".into(),
            at: at(),
        },
    };
    assert_eq!(
        c.apply(&Action::SetBillingCode {
            code: "82026".into()
        }),
        Err(CaseError::BillingCode)
    );
    c.apply(&Action::SetBillingCode {
        code: "820261127000042".into(),
    })
    .unwrap();
    assert_eq!(c.billing_code.as_deref(), Some("820261127000042"));
    assert_eq!(c.apply(&pay("123", 350_000)), Err(CaseError::Payment));
    assert_eq!(
        c.apply(&pay("123456789ABCDEF0", 0)),
        Err(CaseError::Payment)
    );
    c.apply(&pay("123456789ABCDEF0", 350_000)).unwrap();
    // One receipt, recorded once.
    assert_eq!(
        c.apply(&pay("123456789ABCDEF0", 350_000)),
        Err(CaseError::Payment)
    );
    c.apply(&pay("0000111122223333", 1_000_000)).unwrap();
    assert_eq!(c.paid_at_counter(), 1_350_000);
    c.apply(&Action::RecordPhotoPending {
        biometrics: Some(captured()),
    })
    .unwrap();
    c.apply(&continue_free()).unwrap();
    assert_eq!(
        c.apply(&pay("9999111122223333", 1)),
        Err(CaseError::Closed),
        "paid before the decision, not after"
    );
}
