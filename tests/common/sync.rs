//! pusat in-process on port 0 over a real PostgreSQL, and counters (real SQLite files)
//! enrolled with it, for the sync tests and the ingest benchmark.
#![allow(dead_code)] // each test binary and the ingest benchmark use their own part

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use loket::domain::case::Biometrics;
use loket::domain::checklist::{DocKind, DocStatus};
use loket::domain::{Action, Booking, Case, Zone};
use loket::protocol::OfficeInfo;
use loket::server::{AppState, admin};
use loket::store::{Actor, Store};
use loket::sync::{Client, Credential, DeviceKey, RoundContext, RoundReport, SyncError};
use uuid::Uuid;

use crate::pg;

pub const OFFICE: &str = "JKS";
/// The booking system's key in the tests (pusat wants at least 32 bytes).
pub const INTEGRATION_KEY: &str = "integration-secret-of-32-bytes-or-more";
/// On every office's roster from `Pusat::start`/`office`: the officer the counters act as,
/// and a supervisor who approves.
pub const OFFICER: &str = "petugas1";
pub const SUPERVISOR: &str = "supervisor1";
/// Their PINs.
pub const OFFICER_PIN: &str = "482913";
pub const SUPERVISOR_PIN: &str = "5930241876";

/// The PIN of an officer [`add_office`] made.
pub fn pin_of(username: &str) -> &'static str {
    if username.starts_with(SUPERVISOR) {
        SUPERVISOR_PIN
    } else {
        OFFICER_PIN
    }
}

/// Adds (or replaces) officer `username` of `office` at pusat, as `pusat officer add` does.
pub async fn add_officer(
    db: &mut tokio_postgres::Client,
    office: &str,
    username: &str,
    nip: &str,
    pin: &str,
) {
    add_role(db, office, username, nip, pin, "officer").await;
}

pub async fn add_role(
    db: &mut tokio_postgres::Client,
    office: &str,
    username: &str,
    nip: &str,
    pin: &str,
    role: &str,
) {
    let officer = admin::NewOfficer {
        office,
        username,
        nip,
        name: "Rina Wulandari",
        role,
        pin,
    };
    admin::officer_add(db, &officer).await.unwrap();
}

/// Adds office `code` with its officer and supervisor (usernames suffixed by the office
/// when it is not JKS, since usernames are unique across offices).
pub async fn add_office(db: &mut tokio_postgres::Client, code: &str, n: u8) {
    admin::office_add(
        db,
        &OfficeInfo {
            code: code.into(),
            name: format!("Kantor Imigrasi {code}"),
            zone: "WIB".into(),
            config: Default::default(),
        },
    )
    .await
    .unwrap();
    let suffix = if code == OFFICE {
        String::new()
    } else {
        format!("_{}", code.to_lowercase())
    };
    let officer = format!("{OFFICER}{suffix}");
    let supervisor = format!("{SUPERVISOR}{suffix}");
    add_role(
        db,
        code,
        &officer,
        &format!("19900101201501{n}001"),
        OFFICER_PIN,
        "officer",
    )
    .await;
    add_role(
        db,
        code,
        &supervisor,
        &format!("19900101201501{n}002"),
        SUPERVISOR_PIN,
        "supervisor",
    )
    .await;
}

pub fn today() -> NaiveDate {
    Zone::Wib.today(Utc::now())
}

pub fn local_now() -> DateTime<FixedOffset> {
    Zone::Wib.local(Utc::now())
}

/// `count` bookings of `office` for `day` that [`Counter::serve_applicant`] can take through
/// documents without a supervisor: every applicant's NIK agrees with their birth date and
/// sex. Chosen by that property from a draw that is the same on every day
/// ([`loket::demo::bookings_drawn`]), so a test is given the same office on any date.
pub fn servable_bookings(seed: u64, office: &str, day: NaiveDate, count: usize) -> Vec<Booking> {
    let fees = loket::domain::fees::FeeSchedule::from_toml(loket::config::FEES).unwrap();
    let list: Vec<Booking> = loket::demo::bookings_drawn(seed, office, day, count * 2 + 10, &fees)
        .into_iter()
        .filter(|b| {
            b.applicants
                .iter()
                .all(|a| loket::domain::nik::check(&a.nik, a.birth_date, a.sex).is_valid())
        })
        .take(count)
        .collect();
    assert_eq!(
        list.len(),
        count,
        "the draw holds {count} servable bookings"
    );
    list
}

pub struct Pusat {
    pub url: String,
    /// Where `/metrics` is served (its own listener, as `--metrics-listen`).
    pub metrics_url: String,
    /// The database's URL, for the real `pusat` binary's admin commands.
    pub db: String,
    pub pool: deadpool_postgres::Pool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Pusat {
    /// A new database with office JKS and `bookings` of today's bookings; pusat serving it.
    pub async fn start(bookings: usize) -> (Pusat, Vec<Booking>) {
        let db = pg::database().await;
        let pusat = Pusat::serve(&db).await;
        let mut client = pusat.pool.get().await.unwrap();
        add_office(&mut client, OFFICE, 1).await;
        let list = servable_bookings(7, OFFICE, today(), bookings);
        let text = serde_json::to_string(&list).unwrap();
        let imported = admin::bookings_import(&mut client, "day.json", &text, false)
            .await
            .unwrap();
        assert!(imported.refused.is_empty(), "{:?}", imported.refused);
        (pusat, list)
    }

    /// pusat on port 0 over an existing database.
    pub async fn serve(db: &str) -> Pusat {
        let pool = loket::server::db::connect(db, 32, None).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut state = AppState::new(pool.clone(), Some(INTEGRATION_KEY));
        // Tests and benchmarks run tens of kiosks from one loopback address; the limit per
        // address has its own test.
        state.connections_per_client = 4096;
        loket::server::db::spawn_listener(db, None, loket::server::db::Listeners::of(&state))
            .unwrap();
        let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics_url = format!("http://{}", metrics.local_addr().unwrap());
        let (metrics_stop, metrics_rx) = tokio::sync::oneshot::channel::<()>();
        let metrics_state = state.clone();
        let task = tokio::spawn(async move {
            tokio::spawn(loket::server::serve_metrics(
                metrics,
                metrics_state,
                async {
                    let _ = metrics_rx.await;
                },
            ));
            let _ = loket::server::serve(listener, state, async {
                let _ = rx.await;
            })
            .await;
            let _ = metrics_stop.send(());
        });
        Pusat {
            url,
            metrics_url,
            db: db.to_owned(),
            pool,
            stop: Some(tx),
            task,
        }
    }

    pub async fn enroll_code(&self, counter: u32) -> String {
        self.enroll_code_at(OFFICE, counter).await
    }

    pub async fn enroll_code_at(&self, office: &str, counter: u32) -> String {
        let client = self.pool.get().await.unwrap();
        admin::enroll_code(&client, office, counter, 1)
            .await
            .unwrap()
            .0
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
    }
}

pub struct Counter {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub credential: Credential,
    pub client: Client,
    /// The username this counter's work is recorded under.
    pub officer: String,
    /// The kiosk's key, as `loket enroll` keeps it in the data folder.
    pub key: DeviceKey,
    /// `officer`'s proof key, made when they first sign in here (the roster must have been
    /// pulled), as the terminal makes it from the PIN typed.
    proof: std::cell::RefCell<Option<(String, loket::proof::ProofKey)>>,
}

impl Counter {
    /// A new counter (its own data folder and SQLite file) enrolled as `counter`.
    pub async fn enroll(pusat: &Pusat, counter: u32) -> Counter {
        Counter::enroll_at(pusat, OFFICE, counter).await
    }

    /// A new counter of `office`; it acts as that office's officer.
    pub async fn enroll_at(pusat: &Pusat, office: &str, counter: u32) -> Counter {
        let code = pusat.enroll_code_at(office, counter).await;
        let key = DeviceKey::generate();
        let r = Client::enroll(&pusat.url, &code, None, &key).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        key.save(dir.path()).unwrap();
        let mut store = Store::open(&dir.path().join("loket.db"), office).unwrap();
        store
            .enroll(r.device_id, &r.office, r.counter, local_now())
            .unwrap();
        let credential = Credential {
            server: pusat.url.clone(),
            device_id: r.device_id,
            token: r.token.clone(),
            expires_at: r.expires_at,
            office: r.office.clone(),
            counter: r.counter,
            ca_pem: None,
        };
        credential.save(dir.path()).unwrap();
        let client = Client::new(&pusat.url, &r.token, None)
            .unwrap()
            .signed(key.clone());
        let officer = if office == OFFICE {
            OFFICER.to_owned()
        } else {
            format!("{OFFICER}_{}", office.to_lowercase())
        };
        Counter {
            dir,
            store,
            credential,
            client,
            officer,
            key,
            proof: Default::default(),
        }
    }

    /// A hand-made request to `base` + `path` without a body, signed with this kiosk's key
    /// as its own client would.
    pub fn signed(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.signed_with(base, method, path, b"")
    }

    /// As [`Counter::signed`], for a request whose body is `body` (the caller attaches it).
    pub fn signed_with(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        body: &[u8],
    ) -> reqwest::RequestBuilder {
        let time = chrono::Utc::now().timestamp();
        let nonce = loket::protocol::new_nonce();
        let signature = self
            .key
            .sign(method.as_str(), path, time, &nonce, body)
            .unwrap();
        reqwest::Client::new()
            .request(method, format!("{base}{path}"))
            .bearer_auth(&self.credential.token)
            .header(loket::protocol::TIME_HEADER, time)
            .header(loket::protocol::NONCE_HEADER, nonce)
            .header(
                loket::protocol::BODY_HASH_HEADER,
                loket::protocol::body_sha256(body),
            )
            .header(loket::protocol::SIGNATURE_HEADER, signature)
    }

    /// Points the counter at another address (pusat restarted, or a proxy).
    pub fn server(&mut self, url: &str) {
        self.client = Client::new(url, &self.credential.token, None)
            .unwrap()
            .signed(self.key.clone());
    }

    /// Waits until pusat refuses this counter with `want` (after a change to its device
    /// row, pusat forgets what it kept of the device when PostgreSQL's notification
    /// arrives: milliseconds). Reads only, so nothing is pushed meanwhile. How long it took.
    pub async fn until_refused(&self, want: SyncError) -> std::time::Duration {
        let started = std::time::Instant::now();
        loop {
            match self.client.pull(0).await {
                Err(e) if e == want => return started.elapsed(),
                other => assert!(
                    started.elapsed() < std::time::Duration::from_secs(2),
                    "still {other:?} after 2 s"
                ),
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub async fn sync(&mut self) -> Result<RoundReport, SyncError> {
        let now = local_now;
        let cx = RoundContext {
            data_dir: self.dir.path(),
            today: today(),
            now: &now,
            progress: &mut |_, _, _| {},
        };
        loket::sync::round(&mut self.store, &self.client, cx).await
    }

    /// The counter's officer, signed in with their PIN (once the roster is here): their
    /// events carry the proof pusat checks.
    /// Serves and finishes `ticket`, this counter's call, and pushes it: what the
    /// terminal's F6 does before it asks pusat for the next number.
    pub async fn finish_call(&mut self, counter: u32, ticket: Uuid) {
        let actor = self.actor();
        for action in [
            loket::domain::queue::TicketAction::Serve,
            loket::domain::queue::TicketAction::Finish,
        ] {
            self.store
                .ticket_act(&actor, counter, ticket, action)
                .unwrap();
        }
        loket::sync::push_outbox(&mut self.store, &self.client, &local_now)
            .await
            .unwrap();
    }

    pub fn actor(&self) -> Actor {
        let mut proof = self.proof.borrow_mut();
        if proof.as_ref().is_none_or(|(who, _)| *who != self.officer)
            && let Ok(actor) = self
                .store
                .sign_in(&self.officer, pin_of(&self.officer), local_now())
        {
            *proof = actor.key.map(|k| (self.officer.clone(), k));
        }
        Actor {
            key: proof
                .as_ref()
                .filter(|(who, _)| *who == self.officer)
                .map(|(_, k)| k.clone()),
            username: self.officer.clone(),
            now: local_now(),
        }
    }

    /// `username` signed in here with `pin`: the actor their events are proven as.
    pub fn signed_in(&self, username: &str, pin: &str) -> Actor {
        self.store.sign_in(username, pin, local_now()).unwrap()
    }

    /// Checks applicant `applicant` of `b` in with `checklist`: the case opens at the
    /// documents step, nothing checked.
    pub fn check_in(
        &mut self,
        b: &Booking,
        applicant: usize,
        checklist: &[DocKind],
    ) -> Result<Case, loket::store::StoreError> {
        let check_in = check_in_action(b, applicant, checklist);
        let actor = self.actor();
        self.store.apply(&actor, None, &check_in)
    }

    /// Checks in applicant `applicant` of `b` and checks its documents: exactly four events
    /// (a fixed two-document checklist, so that tests can count what is pushed; the
    /// counter's own check-in, `loket::counter::check_in`, asks what the application needs).
    pub fn serve_applicant(
        &mut self,
        b: &Booking,
        applicant: usize,
    ) -> Result<Case, loket::store::StoreError> {
        let checklist = vec![DocKind::EKtp, DocKind::FamilyCard];
        let actor = self.actor();
        let mut case = self.check_in(b, applicant, &checklist)?;
        for kind in checklist {
            let set = Action::SetDocument {
                kind,
                status: DocStatus::Valid,
                note: String::new(),
            };
            case = self.store.apply(&actor, Some(case.id), &set)?;
        }
        self.store.apply(
            &actor,
            Some(case.id),
            &Action::CompleteDocuments { override_by: None },
        )
    }

    /// Serves applicant 0 of `b` through to a recorded photo of `jpeg`, as the photo step
    /// records one; the photo waits for upload. Returns the case.
    pub fn serve_to_photo(
        &mut self,
        b: &Booking,
        jpeg: &[u8],
    ) -> Result<Case, loket::store::StoreError> {
        let case = self.serve_to_photo_step(b)?;
        let actor = self.actor();
        let photo = Action::RecordPhoto {
            sha256: loket::domain::format::sha256_hex(jpeg),
            failed_checks: vec![],
            accepted_because: None,
            biometrics: Some(Biometrics::Captured {
                by: "petugas1".into(),
                at: chrono::DateTime::parse_from_rfc3339("2026-11-27T09:00:00+07:00").unwrap(),
            }),
        };
        self.store
            .record_photo(&actor, case.id, self.dir.path(), jpeg, &photo)
    }

    /// Applicant 0 of `b` served up to the photo step (documents and interview done).
    pub fn serve_to_photo_step(&mut self, b: &Booking) -> Result<Case, loket::store::StoreError> {
        let case = self.serve_applicant(b, 0)?;
        let actor = self.actor();
        let answers = loket::domain::case::Interview {
            purpose: Some(loket::domain::case::Purpose::Tourism),
            destination: "Jepang".into(),
            occupation: "Guru".into(),
            length_of_stay: "14 hari".into(),
            emergency_contact: "Budi 0812".into(),
            chronology: "Hilang".into(),
            police_report_no: "LP/1/XI/2026".into(),
            ..Default::default()
        };
        let mut case = case;
        for step in [
            Action::SaveInterview { interview: answers },
            Action::CompleteInterview,
        ] {
            case = self.store.apply(&actor, Some(case.id), &step)?;
        }
        Ok(case)
    }

    /// `n` more events (the officer looking at bookings).
    pub fn views(&mut self, b: &Booking, n: usize) {
        let actor = self.actor();
        for _ in 0..n {
            self.store
                .record_view(&actor, b.code.as_str(), None)
                .unwrap();
        }
    }

    pub fn outbox_len(&self) -> usize {
        self.store.outbox_from(1, usize::MAX >> 1).unwrap().len()
    }
}

/// The end state every fault test must reach: each event of each counter on the server
/// exactly once, in a gapless sequence per device; nothing pending or lost locally; every
/// case projection equal to a replay of its events.
pub async fn assert_consistent(pusat: &Pusat, counters: &[&Counter]) {
    let db = pusat.pool.get().await.unwrap();
    for counter in counters {
        let local = counter.store.outbox_from(1, usize::MAX >> 1).unwrap();
        assert_eq!(
            counter.store.pending_events().unwrap(),
            0,
            "events left to push"
        );
        let rows = db
            .query(
                "SELECT id, seq, kind, case_id, payload FROM events WHERE device = $1 ORDER BY seq",
                &[&counter.credential.device_id],
            )
            .await
            .unwrap();
        type Stored = (Uuid, i64, String, Option<Uuid>, serde_json::Value);
        let server: Vec<Stored> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect();
        let mine: Vec<Stored> = local
            .iter()
            .map(|e| (e.id, e.seq, e.kind.clone(), e.case_id, e.payload.clone()))
            .collect();
        assert_eq!(server.len(), mine.len(), "every event exactly once");
        assert!(
            server == mine,
            "pusat holds the events the counter wrote, with their contents, in the same gapless order"
        );
        let last: i64 = db
            .query_one(
                "SELECT last_seq FROM devices WHERE id = $1",
                &[&counter.credential.device_id],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(last, mine.len() as i64);
    }
    // Projections equal a replay of their events (those pusat accepted: a refused event is
    // kept but never applied).
    let cases = db.query("SELECT id, state FROM cases", &[]).await.unwrap();
    let mut events: HashMap<Uuid, Vec<Action>> = HashMap::new();
    for r in db
        .query(
            "SELECT case_id, payload FROM events WHERE kind LIKE 'case.%'
             AND id NOT IN (SELECT event FROM refused_events) ORDER BY device, seq",
            &[],
        )
        .await
        .unwrap()
    {
        let payload: serde_json::Value = r.get(1);
        events
            .entry(r.get(0))
            .or_default()
            .push(serde_json::from_value(payload).unwrap());
    }
    for r in &cases {
        let id: Uuid = r.get(0);
        let state: Case = serde_json::from_value(r.get(1)).unwrap();
        let replayed = Case::replay(events[&id].iter()).unwrap();
        assert_eq!(state, replayed, "projection of case {id} equals its replay");
    }
    assert_eq!(
        cases.len(),
        events.len(),
        "every case with events is projected"
    );
}

/// `event` with the proof `actor`'s key makes, as the counter's outbox signs it.
pub fn signed(mut event: loket::protocol::WireEvent, actor: &Actor) -> loket::protocol::WireEvent {
    event.signed = actor.key.as_ref().map(|k| k.sign_event(&event.facts()));
    event
}

/// `username`'s proof key, made from their PIN ([`pin_of`]) and the salt pusat gave them:
/// what a kiosk holds once that person typed their PIN there.
pub async fn key_of(pusat: &Pusat, username: &str) -> loket::proof::ProofKey {
    let db = pusat.pool.get().await.unwrap();
    let salt: String = db
        .query_one(
            "SELECT approval_salt FROM officers WHERE username = $1",
            &[&username],
        )
        .await
        .unwrap()
        .get(0);
    loket::proof::ProofKey::derive(pin_of(username), &salt).unwrap()
}

/// `username` approving at a counter with their PIN: the approver whose key proves it.
pub async fn approver(pusat: &Pusat, username: &str) -> loket::store::Approver {
    loket::store::Approver {
        username: username.to_owned(),
        key: key_of(pusat, username).await,
    }
}

/// The check-in of applicant `applicant` of `b` with `checklist`, a new case id, as the
/// counter writes it (the identity the booking gives).
pub fn check_in_action(b: &Booking, applicant: usize, checklist: &[DocKind]) -> Action {
    let a = &b.applicants[applicant];
    Action::CheckIn {
        case_id: Uuid::now_v7(),
        booking: b.code.clone(),
        applicant,
        application: b.application,
        at: local_now(),
        exceptions: vec![],
        checklist: checklist.to_vec(),
        identity: loket::domain::case::Identity {
            name: a.name.clone(),
            nik: a.nik.clone(),
            birth_date: a.birth_date,
            sex: a.sex,
        },
    }
}

/// What `case` of `b` owes on `day`, as the counter's screen and pusat both compute it.
#[allow(dead_code)]
pub fn fee_of(b: &Booking, case: &Case, day: chrono::NaiveDate) -> loket::domain::fees::FeeSummary {
    let fees = loket::domain::fees::FeeSchedule::published().unwrap();
    fees.summary(&loket::domain::fees::FeeQuery::for_case(b, case, day))
        .unwrap()
}

/// A hand-made event pushed with `counter`'s credential as its next sequence number, signed
/// as the counter's officer signed in there (what pusat checks is then the act itself).
/// Asserts it was kept: the device's sequence stays gapless, refused or not.
pub async fn push_event(
    counter: &Counter,
    pusat: &Pusat,
    kind: &str,
    case: Option<Uuid>,
    payload: serde_json::Value,
) -> Uuid {
    push_event_at(counter, pusat, kind, case, payload, local_now()).await
}

/// As [`push_event`], with the counter's clock saying `time`.
pub async fn push_event_at(
    counter: &Counter,
    pusat: &Pusat,
    kind: &str,
    case: Option<Uuid>,
    payload: serde_json::Value,
    time: DateTime<FixedOffset>,
) -> Uuid {
    let last = stored_through(pusat, counter.credential.device_id).await;
    let event = loket::protocol::WireEvent {
        seq: last + 1,
        id: Uuid::now_v7(),
        kind: kind.into(),
        case_id: case,
        office: counter.credential.office.code.clone(),
        officer: counter.officer.clone(),
        device_time: time,
        payload,
        proof: None,
        signed: None,
        answers: None,
    };
    let id = event.id;
    let event = signed(event, &counter.actor());
    let pushed = counter.client.push(&[event]).await.unwrap();
    assert_eq!(
        pushed.stored_through,
        last + 1,
        "kept: the sequence stays gapless"
    );
    id
}

/// The reasons of the events pusat refused, as `pusat problems` lists them.
pub async fn refusals(pusat: &Pusat) -> Vec<String> {
    let db = pusat.pool.get().await.unwrap();
    admin::problems(&db, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.kind == "refused")
        .map(|p| p.reason)
        .collect()
}

/// A passport photo as a counter encodes one (a JPEG of 413×531), of noise drawn from
/// `seed`: some 250 KB, so it goes up in several chunks.
pub fn passport_jpeg(seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let img = image::RgbImage::from_fn(loket::photo::OUT_W, loket::photo::OUT_H, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgb([x as u8, (x >> 8) as u8, (x >> 16) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .unwrap();
    out
}

/// A raw chunk `bytes a-b/total` of photo `sha` from `counter`; the status and offset.
pub async fn chunk(
    pusat: &Pusat,
    counter: &Counter,
    sha: &str,
    range: (i64, i64, i64),
    body: &[u8],
) -> (u16, String) {
    let path = format!("/api/v1/photos/{sha}");
    let answer = counter
        .signed_with(&pusat.url, reqwest::Method::PUT, &path, body)
        .header(
            "content-range",
            format!("bytes {}-{}/{}", range.0, range.1, range.2),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let offset = answer
        .headers()
        .get("upload-offset")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (answer.status().as_u16(), offset)
}

pub async fn head(pusat: &Pusat, counter: &Counter, sha: &str) -> u16 {
    let path = format!("/api/v1/photos/{sha}");
    counter
        .signed(&pusat.url, reqwest::Method::HEAD, &path)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A walk-in as a counter registers one: one applicant (`like`'s first), today, with a
/// reason that needs no age (disability).
pub fn walk_in(office: &str, code: loket::domain::BookingCode, like: &Booking) -> Booking {
    Booking {
        code,
        office: office.into(),
        date: today(),
        applicants: like.applicants[..1].to_vec(),
        walk_in: Some(loket::domain::booking::WalkInReason::Disability),
        ..like.clone()
    }
}

/// The last sequence number pusat has stored for `device`: a hand-made event goes next.
pub async fn stored_through(pusat: &Pusat, device: Uuid) -> i64 {
    let db = pusat.pool.get().await.unwrap();
    db.query_one("SELECT last_seq FROM devices WHERE id = $1", &[&device])
        .await
        .unwrap()
        .get(0)
}
