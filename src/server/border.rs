//! What pusat takes from a counter's push before anything is projected: every text is one
//! PostgreSQL can store, and every kind is one pusat knows.
//!
//! A NUL character (U+0000) cannot be stored in PostgreSQL's `text` or `jsonb`. An event
//! carrying one in any field (its kind, officer, proofs or any string or key of its
//! payload) used to fail the whole push with 500: the event was neither stored nor refused,
//! so the counter resent it forever and its sync stopped for good. Now such an event is
//! stored with each NUL replaced by U+FFFD and recorded as refused, so the sequence goes on.

use std::borrow::Cow;

use crate::protocol::WireEvent;

/// The kinds of events a counter writes besides `case.*` and `ticket.*` (whose payload
/// names its own kind, checked where they are applied).
pub const OTHER_KINDS: [&str; 4] = [
    "booking.walk_in",
    "audit.view",
    "approval.answer",
    "officer.pin_failed",
];

/// Whether pusat knows events of `kind`.
pub fn known_kind(kind: &str) -> bool {
    kind.strip_prefix("case.")
        .or_else(|| kind.strip_prefix("ticket."))
        .is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
        || OTHER_KINDS.contains(&kind)
}

fn has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(list) => list.iter().any(has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn without_nul(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if s.contains('\0') => *s = s.replace('\0', "\u{FFFD}"),
        serde_json::Value::Array(list) => list.iter_mut().for_each(without_nul),
        serde_json::Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    without_nul(&mut v);
                    map.insert(k.replace('\0', "\u{FFFD}"), v);
                }
            } else {
                map.values_mut().for_each(without_nul);
            }
        }
        _ => {}
    }
}

/// `event` as it can be stored, and whether it had to be changed for that (it then is
/// refused: its officer's proof no longer covers it, and its text was not what a counter
/// types).
pub fn storable(event: &WireEvent) -> (Cow<'_, WireEvent>, bool) {
    let texts = [
        Some(event.kind.as_str()),
        Some(event.office.as_str()),
        Some(event.officer.as_str()),
        event.proof.as_deref(),
        event.signed.as_deref(),
    ];
    let nul = texts.iter().flatten().any(|t| t.contains('\0')) || has_nul(&event.payload);
    if !nul {
        return (Cow::Borrowed(event), false);
    }
    let clean = |s: &str| s.replace('\0', "\u{FFFD}");
    let mut e = event.clone();
    e.kind = clean(&e.kind);
    e.office = clean(&e.office);
    e.officer = clean(&e.officer);
    e.proof = e.proof.as_deref().map(clean);
    e.signed = e.signed.as_deref().map(clean);
    without_nul(&mut e.payload);
    (Cow::Owned(e), true)
}

/// The reason an event with a NUL is refused.
pub const NUL_REFUSED: &str = "a text field holds a NUL character (U+0000), which no counter types: stored with U+FFFD in its place, not applied";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_a_counter_writes_are_known_and_others_are_not() {
        for kind in [
            "case.decide",
            "ticket.call",
            "booking.walk_in",
            "audit.view",
        ] {
            assert!(known_kind(kind), "{kind}");
        }
        for kind in [
            "case.",
            "shell.exec",
            "case.DECIDE",
            "ticket.call\u{1b}[2J",
            "",
        ] {
            assert!(!known_kind(kind), "{kind}");
        }
    }
}
