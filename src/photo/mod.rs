//! The passport photo: automatic quality checks on a camera frame or a file, and the crop to
//! the passport format. Thresholds follow ICAO Doc 9303 part 3 and ISO/IEC 19794-5 (face
//! 70–80 % of the photo's height, centred, even light, sharp, plain light background, true
//! colours); they are tuned on tests/fixtures/faces and the variants the tests make.

mod checks;
mod eyes;

pub use checks::{
    Check, CheckResult, Face, Measure, OUT_H, OUT_W, Outcome, check_image, crop_for, crop_passport,
    encode_jpeg, faces,
};
pub use eyes::{Eye, find as find_eyes, tilt as eyes_tilt};
