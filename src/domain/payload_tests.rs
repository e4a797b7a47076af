use super::*;
use proptest::prelude::*;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}
fn payload() -> TokenPayload {
    TokenPayload {
        code: BookingCode::from_number(99),
        office: "JKS".into(),
        date: today(),
        applicants: 3,
    }
}
fn parse_with(raw: &str, vk: &VerifyingKey) -> Result<Scanned, PayloadError> {
    parse(
        raw,
        &ScanContext {
            key: Some(vk),
            office: "JKS",
            today: today(),
        },
    )
}

#[test]
fn bare_code_and_urls() {
    let vk = key().verifying_key();
    let code = BookingCode::from_number(99);
    let shown = code.to_string();
    assert_eq!(parse_with(&shown, &vk), Ok(Scanned::Code(code.clone())));
    for url in [
        format!("https://antrian.imigrasi.go.id/booking?kode={shown}"),
        format!("http://x.example/b?lang=id&kode_booking={}", code.as_str()),
        format!("https://m-paspor.example/booking/{shown}/"),
    ] {
        assert_eq!(
            parse_with(&url, &vk),
            Ok(Scanned::Code(code.clone())),
            "{url}"
        );
    }
    assert_eq!(
        parse_with("https://imigrasi.go.id/", &vk),
        Err(PayloadError::UrlWithoutCode)
    );
    assert_eq!(
        parse_with("https://imigrasi.go.id/berita", &vk),
        Err(PayloadError::UrlWithoutCode)
    );
}

#[test]
fn signed_token_is_verified() {
    let vk = key().verifying_key();
    let token = sign(&payload(), &key());
    assert_eq!(parse_with(&token, &vk), Ok(Scanned::Token(payload())));
    let url = format!("https://antrian.imigrasi.go.id/t?t={token}");
    assert_eq!(parse_with(&url, &vk), Ok(Scanned::Token(payload())));
    assert_eq!(
        parse(
            &token,
            &ScanContext {
                key: None,
                office: "JKS",
                today: today()
            }
        ),
        Err(PayloadError::NoKey)
    );
}

#[test]
fn forged_truncated_expired_and_other_office_tokens_are_refused() {
    let vk = key().verifying_key();
    let other = SigningKey::from_bytes(&[8u8; 32]);
    assert_eq!(
        parse_with(&sign(&payload(), &other), &vk),
        Err(PayloadError::TokenForged)
    );
    // The payload altered after signing (five applicants instead of three).
    let token = sign(&payload(), &key());
    let (_, sig) = token.rsplit_once('.').unwrap();
    let mut altered = payload();
    altered.applicants = 5;
    let forged_body = sign(&altered, &other);
    let (body, _) = forged_body.rsplit_once('.').unwrap();
    assert_eq!(
        parse_with(&format!("{body}.{sig}"), &vk),
        Err(PayloadError::TokenForged)
    );
    // Cut off by a scanner or a disconnect.
    assert_eq!(
        parse_with(&token[..token.len() - 10], &vk),
        Err(PayloadError::TokenMalformed)
    );
    assert_eq!(
        parse_with(&token[..20], &vk),
        Err(PayloadError::TokenMalformed)
    );
    let mut old = payload();
    old.date = today().pred_opt().unwrap();
    assert_eq!(
        parse_with(&sign(&old, &key()), &vk),
        Err(PayloadError::TokenExpired(old.date))
    );
    let mut elsewhere = payload();
    elsewhere.office = "MKS".into();
    assert_eq!(
        parse_with(&sign(&elsewhere, &key()), &vk),
        Err(PayloadError::TokenOtherOffice("MKS".into()))
    );
}

#[test]
fn garbage_is_refused_with_its_reason() {
    let vk = key().verifying_key();
    assert_eq!(parse_with("  ", &vk), Err(PayloadError::Empty));
    assert_eq!(parse_with("AB\u{0}CD", &vk), Err(PayloadError::Binary));
    assert_eq!(
        parse_with(&"A".repeat(2000), &vk),
        Err(PayloadError::TooLong(2000))
    );
    assert!(matches!(
        parse_with("HELLO WORLD", &vk),
        Err(PayloadError::Garbled(_))
    ));
}

#[test]
fn public_key_reads_from_config_text() {
    let vk = key().verifying_key();
    let text = URL_SAFE_NO_PAD.encode(vk.as_bytes());
    assert_eq!(verifying_key(&text), Some(vk));
    assert_eq!(verifying_key("not a key"), None);
}

proptest! {
    #[test]
    fn no_input_makes_the_parser_panic(s in "\\PC{0,300}") {
        let vk = key().verifying_key();
        let _ = parse_with(&s, &vk);
        let _ = parse_with(&format!("LKT1.{s}"), &vk);
        let _ = parse_with(&format!("https://{s}"), &vk);
    }

    #[test]
    fn no_bytes_make_the_parser_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let vk = key().verifying_key();
        let _ = parse_with(&String::from_utf8_lossy(&bytes), &vk);
    }

    #[test]
    fn any_altered_token_character_is_refused(pos in 0usize..200, c in "[A-Za-z0-9_-]") {
        let vk = key().verifying_key();
        let token = sign(&payload(), &key());
        let pos = 5 + pos % (token.len() - 5);
        let mut chars: Vec<char> = token.chars().collect();
        let replacement = c.chars().next().unwrap();
        prop_assume!(chars[pos] != replacement && chars[pos] != '.');
        chars[pos] = replacement;
        let altered: String = chars.into_iter().collect();
        prop_assert!(parse_with(&altered, &vk).is_err());
    }
}
