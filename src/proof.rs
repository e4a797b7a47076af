//! Proof that a person acted: an officer's events, and a supervisor's approval of one act.
//!
//! Every officer has a proof key: Argon2id of their PIN with a salt of their own (the
//! *proof salt*, sent to counters with the roster). pusat keeps the key; a counter gets the
//! salt only, and makes the key from the PIN the officer types when they sign in (kept in
//! memory for the session, never written down). Each event the officer writes carries an
//! HMAC-SHA256 under that key over everything the event says: its id, kind, case, office,
//! officer, time and payload. pusat checks it with the key it keeps, so an event names a
//! person only if that person's PIN was typed at the counter that wrote it.
//!
//! A supervisor's approval at a counter (their PIN typed in the officer's dialog) is a second
//! HMAC, under the supervisor's key, over the same facts of the one event that carries the
//! approved act: the case, the event's id (so it is used once), what is decided (the
//! payload: the decision, the amounts, the documents override) and by whom it was asked.
//!
//! What a counter keeps to check a PIN offline (the Argon2id PIN hash, another salt) is not
//! the key: finding the key from it means finding the PIN by search, which
//! [`crate::domain::pin`] makes long for a supervisor (see the README's threat table).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, FixedOffset};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// An officer's proof key. Never in `Debug` output; wiped when dropped.
#[derive(Clone)]
pub struct ProofKey(zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for ProofKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProofKey(..)")
    }
}

/// What an event says, as its proofs cover it. The payload is covered as its JSON text
/// (serde_json writes a value the same way on both sides: keys in order, numbers exact).
#[derive(Debug, Clone, Copy)]
pub struct EventFacts<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub case_id: Option<Uuid>,
    pub office: &'a str,
    pub officer: &'a str,
    pub device_time: DateTime<FixedOffset>,
    pub payload: &'a serde_json::Value,
}

impl EventFacts<'_> {
    /// The event as its proofs read it: each field behind its length, so no two events
    /// read the same.
    fn message(&self, domain: &str, extra: &str) -> Vec<u8> {
        let case = self.case_id.map(|c| c.to_string()).unwrap_or_default();
        let fields = [
            domain.to_owned(),
            extra.to_owned(),
            self.id.to_string(),
            self.kind.to_owned(),
            case,
            self.office.to_owned(),
            self.officer.to_owned(),
            self.device_time.to_rfc3339(),
            self.payload.to_string(),
        ];
        let mut out = Vec::new();
        for f in fields {
            out.extend_from_slice(&(f.len() as u64).to_be_bytes());
            out.extend_from_slice(f.as_bytes());
        }
        out
    }
}

const EVENT: &str = "loket event v1";
const APPROVAL: &str = "loket approval v2";

impl ProofKey {
    /// The key made from `pin` and the officer's proof salt (Argon2id at the PIN hash's
    /// cost: deliberately slow, on a work thread). `None` only for a salt Argon2 refuses.
    pub fn derive(pin: &str, salt: &str) -> Option<ProofKey> {
        let params = argon2::Params::new(64 * 1024, 3, 1, None).ok()?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(pin.as_bytes(), salt.as_bytes(), key.as_mut())
            .ok()?;
        Some(ProofKey(key))
    }

    /// The key as pusat keeps it (base64url).
    pub fn from_base64(text: &str) -> Option<ProofKey> {
        let bytes = zeroize::Zeroizing::new(URL_SAFE_NO_PAD.decode(text).ok()?);
        let key: [u8; 32] = bytes.as_slice().try_into().ok()?;
        Some(ProofKey(zeroize::Zeroizing::new(key)))
    }

    /// For pusat's records only.
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.0[..])
    }

    fn mac(&self) -> HmacSha256 {
        // An HMAC key may have any length: this cannot fail.
        #[allow(clippy::expect_used)]
        HmacSha256::new_from_slice(self.0.as_ref()).expect("HMAC takes a key of any length")
    }

    fn tag(&self, message: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(message);
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    fn verify(&self, message: &[u8], proof: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(proof) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(message);
        // Constant time (the crate uses `subtle`): a timing difference would tell a forger
        // how much of a guess was right.
        mac.verify_slice(&bytes).is_ok()
    }

    /// The officer's proof of `event` (their own act).
    pub fn sign_event(&self, event: &EventFacts<'_>) -> String {
        self.tag(&event.message(EVENT, ""))
    }

    pub fn verify_event(&self, event: &EventFacts<'_>, proof: &str) -> bool {
        self.verify(&event.message(EVENT, ""), proof)
    }

    /// `supervisor`'s approval of the act `event` carries.
    pub fn approve(&self, event: &EventFacts<'_>, supervisor: &str) -> String {
        self.tag(&event.message(APPROVAL, supervisor))
    }

    pub fn verify_approval(&self, event: &EventFacts<'_>, supervisor: &str, proof: &str) -> bool {
        self.verify(&event.message(APPROVAL, supervisor), proof)
    }
}

/// A new officer's proof salt (pusat makes it when the PIN is set).
pub fn new_salt() -> String {
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
    URL_SAFE_NO_PAD.encode(salt)
}

/// Whether two texts are equal, in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(payload: &serde_json::Value) -> EventFacts<'_> {
        EventFacts {
            id: Uuid::from_u128(7),
            kind: "case.decide",
            case_id: Some(Uuid::from_u128(9)),
            office: "JKS",
            officer: "petugas1",
            device_time: DateTime::parse_from_rfc3339("2027-03-09T10:00:00+08:00").unwrap(),
            payload,
        }
    }

    #[test]
    fn a_proof_covers_every_fact_of_its_event_and_nothing_else_makes_it() {
        let key = ProofKey::derive("48291375", "c2FsdHNhbHRzYWx0").unwrap();
        let payload = serde_json::json!({"action": "decide", "amount": 350000});
        let event = facts(&payload);
        let proof = key.sign_event(&event);
        assert!(key.verify_event(&event, &proof));
        let other_payload = serde_json::json!({"action": "decide", "amount": 0});
        let changed = [
            EventFacts {
                id: Uuid::from_u128(8),
                ..event
            },
            EventFacts {
                kind: "case.resume",
                ..event
            },
            EventFacts {
                case_id: None,
                ..event
            },
            EventFacts {
                office: "MKS",
                ..event
            },
            EventFacts {
                officer: "supervisor1",
                ..event
            },
            EventFacts {
                device_time: event.device_time + chrono::Duration::seconds(1),
                ..event
            },
            EventFacts {
                payload: &other_payload,
                ..event
            },
        ];
        for c in &changed {
            assert!(!key.verify_event(c, &proof), "{c:?}");
        }
        let wrong = ProofKey::derive("48291376", "c2FsdHNhbHRzYWx0").unwrap();
        assert!(!wrong.verify_event(&event, &proof));
        // An event's proof is no approval, and an approval names its supervisor.
        assert!(!key.verify_approval(&event, "supervisor1", &proof));
        let approval = key.approve(&event, "supervisor1");
        assert!(key.verify_approval(&event, "supervisor1", &approval));
        assert!(!key.verify_approval(&event, "supervisor2", &approval));
        assert!(!key.verify_event(&event, &approval));
        assert!(!key.verify_event(&event, "not base64 !"));
        assert_eq!(format!("{key:?}"), "ProofKey(..)");
        let kept = ProofKey::from_base64(&key.to_base64()).unwrap();
        assert!(kept.verify_event(&event, &proof));
    }

    #[test]
    fn same_compares_whole_texts() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
