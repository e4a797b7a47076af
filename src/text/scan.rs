//! Scans in words an officer can act on: why a scan was refused.

use crate::devices::framing::Refusal;
use crate::domain::booking_code::CodeError;
use crate::domain::format;
use crate::domain::payload::PayloadError;
use crate::photo::Check;

use super::Strings;

pub fn code_error_text(text: &str, e: CodeError, s: &Strings) -> String {
    let why = match e {
        CodeError::Length(n) => fill!(s.code_err_length, length = n),
        CodeError::Character(c) => fill!(s.code_err_char, character = c),
        CodeError::Checksum | CodeError::Empty => s.code_err_checksum.to_owned(),
    };
    fill!(s.code_garbled, typed = text, why = why)
}

pub fn payload_error_text(text: &str, e: &PayloadError, s: &Strings) -> String {
    match e {
        PayloadError::Empty => s.pe_empty.to_owned(),
        PayloadError::TooLong(n) => fill!(s.pe_too_long, length = n),
        PayloadError::Binary => s.pe_binary.to_owned(),
        PayloadError::Garbled(c) => code_error_text(text, *c, s),
        PayloadError::UrlWithoutCode => s.pe_url.to_owned(),
        PayloadError::TokenMalformed => s.pe_token_malformed.to_owned(),
        PayloadError::TokenForged => s.pe_token_forged.to_owned(),
        PayloadError::NoKey => s.pe_no_key.to_owned(),
        PayloadError::TokenExpired(day) => {
            fill!(s.pe_token_expired, day = format::date_short(*day))
        }
        PayloadError::TokenOtherOffice(office) => fill!(s.pe_token_other_office, office = office),
    }
}

pub fn refusal_text(r: &Refusal, s: &Strings) -> String {
    match r {
        Refusal::Binary => s.pe_binary.to_owned(),
        Refusal::TooLong(n) => fill!(s.pe_too_long, length = n),
        Refusal::Cut => s.pe_cut.to_owned(),
    }
}

pub fn photo_check_name(c: Check, s: &Strings) -> &'static str {
    match c {
        Check::OneFace => s.pc_one_face,
        Check::HeadSize => s.pc_head_size,
        Check::Position => s.pc_position,
        Check::EyesLevel => s.pc_eyes_level,
        Check::Brightness => s.pc_brightness,
        Check::Contrast => s.pc_contrast,
        Check::Sharpness => s.pc_sharpness,
        Check::Background => s.pc_background,
        Check::ColourCast => s.pc_colour,
    }
}

/// What a failing photo check measured, in the officer's language.
pub fn photo_measure(m: &crate::photo::Measure, s: &Strings) -> String {
    use crate::photo::Measure as M;
    let n = |v: f64| format!("{v:.0}");
    match m {
        M::Faces(count) => fill!(s.pm_faces, faces = count),
        M::HeadPx { have, need } => fill!(s.pm_head, have = n(*have), need = need),
        M::OffCentre(pct) => fill!(s.pm_off_centre, percent = format!("{pct:+.0}")),
        M::CropOutside => s.pm_crop_outside.to_owned(),
        M::EyesTilt(deg) => fill!(
            s.pm_eyes_tilt,
            degrees = format!("{:.0}", deg.abs()),
            side = (if *deg > 0.0 { s.pm_right } else { s.pm_left })
        ),
        M::EyesNotFound => s.pm_eyes_not_found.to_owned(),
        M::Luminance(v) => fill!(s.pm_luminance, value = n(*v)),
        M::Contrast(v) => fill!(s.pm_contrast, value = n(*v)),
        M::Sharpness(v) => fill!(s.pm_sharpness, value = n(*v)),
        M::Background {
            luminance,
            variation,
        } => fill!(
            s.pm_background,
            luminance = n(*luminance),
            variation = n(*variation)
        ),
        M::Cast { cast, r, g, b } => {
            fill!(s.pm_cast, cast = n(*cast), r = n(*r), g = n(*g), b = n(*b))
        }
    }
}

/// What to do when a photo check fails.
pub fn photo_check_advice(c: Check, s: &Strings) -> &'static str {
    match c {
        Check::OneFace => s.pa_one_face,
        Check::HeadSize => s.pa_head_size,
        Check::Position => s.pa_position,
        Check::EyesLevel => s.pa_eyes_level,
        Check::Brightness => s.pa_brightness,
        Check::Contrast => s.pa_contrast,
        Check::Sharpness => s.pa_sharpness,
        Check::Background => s.pa_background,
        Check::ColourCast => s.pa_colour,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_low_resolution_head_names_the_photo_area_not_the_head() {
        let m = crate::photo::Measure::HeadPx {
            have: 408.0,
            need: 531,
        };
        let text = photo_measure(&m, super::super::Lang::Id.strings());
        assert_eq!(
            text,
            "area pas foto hanya 408 px tinggi, perlu 531 px; dekatkan kamera"
        );
        assert!(!text.contains("kepala 408"));
    }
}
