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

/// A captured frame, checked and cropped: what the photo step shows and keeps.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The passport crop, when a face was found to crop around.
    pub crop: Option<image::RgbImage>,
    pub results: Vec<CheckResult>,
}

impl Capture {
    /// Checks and crops `frame` (slow: face and eye detection; off the screen's thread).
    pub fn of(frame: &image::RgbImage) -> Capture {
        Capture {
            crop: crop_passport(frame),
            results: check_image(frame),
        }
    }

    /// The checks that failed.
    pub fn failed(&self) -> Vec<Check> {
        self.results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .map(|r| r.check)
            .collect()
    }
}
