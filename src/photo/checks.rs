//! Each check passes or fails with its measurement, so the officer sees why.

use image::{GrayImage, RgbImage};

/// The passport format: 35×45 mm, at least 413×531 px.
pub const OUT_W: u32 = 413;
pub const OUT_H: u32 = 531;
/// The head (crown to chin) fills this share of the photo's height (ICAO: 70–80 %).
const HEAD_SHARE: f64 = 0.75;
/// The detector's box spans brow to chin; crown to chin is about this much taller.
const HEAD_PER_BOX: f64 = 1.55;
/// The most the line through the eyes may slope (ISO/IEC 19794-5: head roll within ±8°).
const MAX_TILT_DEG: f64 = 8.0;

static MODEL: &[u8] = include_bytes!(env!("LOKET_FACE_MODEL"));

thread_local! {
    // rustface's detector is not Send: each thread that checks photos keeps its own.
    static DETECTOR: std::cell::RefCell<Option<Box<dyn rustface::Detector>>> = const { std::cell::RefCell::new(None) };
}

fn new_detector() -> Box<dyn rustface::Detector> {
    // The model is embedded at build time; a failure to read it is a broken build.
    let model = rustface::read_model(std::io::Cursor::new(MODEL))
        .unwrap_or_else(|e| unreachable!("face model: {e}"));
    let mut d = rustface::create_detector_with_model(model);
    d.set_min_face_size(40);
    d.set_score_thresh(2.0);
    d.set_pyramid_scale_factor(0.8);
    d.set_slide_window_step(4, 4);
    d
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    OneFace,
    HeadSize,
    Position,
    EyesLevel,
    Brightness,
    Contrast,
    Sharpness,
    Background,
    ColourCast,
}

impl Check {
    pub const ALL: [Check; 9] = [
        Check::OneFace,
        Check::HeadSize,
        Check::Position,
        Check::EyesLevel,
        Check::Brightness,
        Check::Contrast,
        Check::Sharpness,
        Check::Background,
        Check::ColourCast,
    ];

    pub fn from_code(code: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.code() == code)
    }

    /// A stable name for events and the audit trail (the screen shows translated names).
    pub fn code(self) -> &'static str {
        match self {
            Check::OneFace => "one_face",
            Check::HeadSize => "head_size",
            Check::Position => "position",
            Check::EyesLevel => "eyes_level",
            Check::Brightness => "brightness",
            Check::Contrast => "contrast",
            Check::Sharpness => "sharpness",
            Check::Background => "background",
            Check::ColourCast => "colour_cast",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    /// Fails, with what was measured (the screen words it in the officer's language).
    Fail(Measure),
}

/// What a failing check measured.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    Faces(usize),
    /// The head's height in the frame's pixels, and what the passport crop needs.
    HeadPx {
        have: f64,
        need: u32,
    },
    /// How far the face sits from the centre, in % of the frame's width.
    OffCentre(f64),
    CropOutside,
    /// The slope of the line through both eyes, in degrees (positive: the eye on the
    /// picture's right sits lower).
    EyesTilt(f64),
    /// The eyes were not found in the face (closed, hidden by hair or glare).
    EyesNotFound,
    Luminance(f64),
    Contrast(f64),
    /// Laplacian variance at a common face scale.
    Sharpness(f64),
    Background {
        luminance: f64,
        variation: f64,
    },
    Cast {
        cast: f64,
        r: f64,
        g: f64,
        b: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub check: Check,
    pub outcome: Outcome,
}

/// A face box in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The faces the detector finds. A passport face fills much of the frame, so the search runs
/// on a copy whose shorter side is at most 360 px (a 720p frame in a third of the time) and
/// the boxes are scaled back.
pub fn faces(gray: &GrayImage) -> Vec<Face> {
    const SEARCH_SIDE: u32 = 360;
    let short = gray.width().min(gray.height()).max(1);
    let (small, k) = if short > SEARCH_SIDE {
        let k = f64::from(short) / f64::from(SEARCH_SIDE);
        let (w, h) = (
            (f64::from(gray.width()) / k) as u32,
            (f64::from(gray.height()) / k) as u32,
        );
        (
            image::imageops::resize(
                gray,
                w.max(1),
                h.max(1),
                image::imageops::FilterType::Triangle,
            ),
            k,
        )
    } else {
        (gray.clone(), 1.0)
    };
    let image = rustface::ImageData::new(small.as_raw(), small.width(), small.height());
    let found = DETECTOR.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(new_detector)
            .detect(&image)
    });
    found
        .iter()
        .map(|f| {
            let b = f.bbox();
            Face {
                x: f64::from(b.x()) * k,
                y: f64::from(b.y()) * k,
                w: f64::from(b.width()) * k,
                h: f64::from(b.height()) * k,
            }
        })
        .collect()
}

/// The passport crop around a face: (x, y, width, height), maybe reaching outside the frame.
pub fn crop_for(face: Face) -> (f64, f64, f64, f64) {
    let head = face.h * HEAD_PER_BOX;
    let h = head / HEAD_SHARE;
    let w = h * f64::from(OUT_W) / f64::from(OUT_H);
    let cx = face.x + face.w / 2.0;
    // The crown sits above the box by the head's extra height; a little air above it.
    let crown = face.y + face.h - head;
    let y = crown - (h - head) * 0.45;
    (cx - w / 2.0, y, w, h)
}

fn stats(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut n, mut sum, mut sq) = (0.0, 0.0, 0.0);
    for v in values {
        n += 1.0;
        sum += v;
        sq += v * v;
    }
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let mean = sum / n;
    (mean, (sq / n - mean * mean).max(0.0).sqrt())
}

fn fail(check: Check, why: Measure) -> CheckResult {
    CheckResult {
        check,
        outcome: Outcome::Fail(why),
    }
}
fn pass(check: Check) -> CheckResult {
    CheckResult {
        check,
        outcome: Outcome::Pass,
    }
}
fn judge(check: Check, ok: bool, why: impl FnOnce() -> Measure) -> CheckResult {
    if ok { pass(check) } else { fail(check, why()) }
}

/// Runs every check on a colour picture. With no single face, the checks that need one
/// are not run (the first result says why).
pub fn check_image(rgb: &RgbImage) -> Vec<CheckResult> {
    let gray = image::DynamicImage::ImageRgb8(rgb.clone()).to_luma8();
    let found = faces(&gray);
    if found.len() != 1 {
        return vec![fail(Check::OneFace, Measure::Faces(found.len()))];
    }
    let face = found[0];
    let (iw, ih) = (f64::from(gray.width()), f64::from(gray.height()));
    let (cx, cy, cw, ch) = crop_for(face);
    let mut out = vec![pass(Check::OneFace)];
    out.push(judge(Check::HeadSize, ch >= f64::from(OUT_H), || {
        Measure::HeadPx {
            have: ch,
            need: OUT_H,
        }
    }));
    let inside = cx >= 0.0 && cy >= 0.0 && cx + cw <= iw && cy + ch <= ih;
    let off = ((face.x + face.w / 2.0) - iw / 2.0) / iw;
    out.push(judge(Check::Position, inside && off.abs() <= 0.12, || {
        if inside {
            Measure::OffCentre(off * 100.0)
        } else {
            Measure::CropOutside
        }
    }));
    out.push(
        match super::eyes::find(&gray, (face.x, face.y, face.w, face.h)) {
            Some((left, right)) => {
                let tilt = super::eyes::tilt(left, right);
                judge(Check::EyesLevel, tilt.abs() <= MAX_TILT_DEG, || {
                    Measure::EyesTilt(tilt)
                })
            }
            None => fail(Check::EyesLevel, Measure::EyesNotFound),
        },
    );
    let region = |x0: f64, y0: f64, w: f64, h: f64| {
        let (x0, y0) = (x0.max(0.0) as u32, y0.max(0.0) as u32);
        let (x1, y1) = (
            ((x0 as f64 + w) as u32).min(gray.width()),
            ((y0 as f64 + h) as u32).min(gray.height()),
        );
        (x0, y0, x1, y1)
    };
    let (fx0, fy0, fx1, fy1) = region(face.x, face.y, face.w, face.h);
    let face_px = || (fy0..fy1).flat_map(move |y| (fx0..fx1).map(move |x| (x, y)));
    let (mean, sd) = stats(face_px().map(|(x, y)| f64::from(gray.get_pixel(x, y).0[0])));
    out.push(judge(
        Check::Brightness,
        (85.0..=210.0).contains(&mean),
        || Measure::Luminance(mean),
    ));
    out.push(judge(Check::Contrast, sd >= 22.0, || Measure::Contrast(sd)));
    let lap = stats(
        face_px()
            .filter(|(x, y)| *x > fx0 && *y > fy0 && *x + 1 < fx1 && *y + 1 < fy1)
            .map(|(x, y)| {
                let p = |x: u32, y: u32| f64::from(gray.get_pixel(x, y).0[0]);
                4.0 * p(x, y) - p(x - 1, y) - p(x + 1, y) - p(x, y - 1) - p(x, y + 1)
            }),
    )
    .1
    .powi(2);
    // Judged at a common face scale: a large face shows less high-frequency per pixel.
    let sharp = lap * (face.w / 100.0);
    out.push(judge(Check::Sharpness, sharp >= 30.0, || {
        Measure::Sharpness(sharp)
    }));
    // Background: the strips beside and above the head, inside the crop.
    let strips = [
        region(cx, cy, cw * 0.1, ch * 0.5),
        region(cx + cw * 0.9, cy, cw * 0.1, ch * 0.5),
        region(
            cx + cw * 0.1,
            cy,
            cw * 0.8,
            (face.y - cy - face.h * 0.75).max(1.0),
        ),
    ];
    let bg = || {
        strips
            .iter()
            .flat_map(|&(x0, y0, x1, y1)| (y0..y1).flat_map(move |y| (x0..x1).map(move |x| (x, y))))
    };
    let (bg_mean, bg_sd) = stats(bg().map(|(x, y)| f64::from(gray.get_pixel(x, y).0[0])));
    out.push(judge(
        Check::Background,
        bg_mean >= 150.0 && bg_sd <= 25.0,
        || Measure::Background {
            luminance: bg_mean,
            variation: bg_sd,
        },
    ));
    let channel = |c: usize| stats(bg().map(|(x, y)| f64::from(rgb.get_pixel(x, y).0[c]))).0;
    let (r, g, b) = (channel(0), channel(1), channel(2));
    let cast = r.max(g).max(b) - r.min(g).min(b);
    out.push(judge(Check::ColourCast, cast <= 25.0, || Measure::Cast {
        cast,
        r,
        g,
        b,
    }));
    out
}

/// The photo cut to the passport format around its one face, scaled to 413×531.
pub fn crop_passport(rgb: &RgbImage) -> Option<RgbImage> {
    let gray = image::DynamicImage::ImageRgb8(rgb.clone()).to_luma8();
    let [face] = faces(&gray)[..] else {
        return None;
    };
    let (x, y, w, h) = crop_for(face);
    let (iw, ih) = (f64::from(rgb.width()), f64::from(rgb.height()));
    if x < 0.0 || y < 0.0 || x + w > iw || y + h > ih {
        return None;
    }
    let cut = image::imageops::crop_imm(rgb, x as u32, y as u32, w as u32, h as u32).to_image();
    Some(image::imageops::resize(
        &cut,
        OUT_W,
        OUT_H,
        image::imageops::FilterType::Lanczos3,
    ))
}

/// The photo as JPEG and its SHA-256 (hex): the name it is stored and uploaded under.
pub fn encode_jpeg(rgb: &RgbImage) -> Result<(Vec<u8>, String), image::ImageError> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(rgb)?;
    let hash = crate::domain::format::sha256_hex(&jpeg);
    Ok((jpeg, hash))
}
