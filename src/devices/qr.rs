//! Reading QR codes from pictures: the camera's frames and image files go through the same
//! pipeline. rqrr alone reads well-lit, sharp, square-on codes; real photographs need more,
//! so a frame that plain rqrr cannot read is tried again on other binarisations, scales,
//! inverted and mirrored, until one reads. rqrr 0.11 panics on some real images: each
//! attempt is contained, counted and never reaches the officer.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use image::GrayImage;
use image::imageops::{self, FilterType};

/// Decoder panics contained since start (the technician's screen shows them).
pub static PANICS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static THREAD_PANICS: Cell<u64> = const { Cell::new(0) };
}

/// Decoder panics contained on the calling thread: what one caller's decodes caused, apart
/// from those of other threads that [`PANICS`] also counts.
pub fn panics_on_this_thread() -> u64 {
    THREAD_PANICS.with(Cell::get)
}

/// A decoder panic must not print over the terminal nor run the terminal-restoring hook:
/// while a decode runs on this thread, the panic is only counted.
/// Marks the calling (device) thread so that a panic in it is counted, not printed and
/// not passed to the terminal-restoring hook: a device thread that dies must not take the
/// officer's screen with it.
pub fn quiet_thread() {
    quiet_panics();
    QUIET.with(|q| q.set(true));
}

fn quiet_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                PANICS.fetch_add(1, Ordering::Relaxed);
                THREAD_PANICS.with(|n| n.set(n.get() + 1));
            } else {
                previous(info);
            }
        }));
    });
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binarizer {
    /// rqrr's own: a moving average along each row.
    Rows,
    /// Mean of a square window (side = image's shorter side / `div`), via an integral image.
    LocalMean { div: u32 },
    /// One global threshold (Otsu's method).
    Otsu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub scale: Scale,
    pub binarizer: Binarizer,
    pub invert: bool,
    pub mirror: bool,
    /// Smooth before thresholding (noise, moiré, JPEG blocks), with this sigma ×10.
    pub blur: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    AsIs,
    /// Scale so the longest side is this long.
    Long(u32),
    /// Enlarge this many times (small codes have too few pixels a module for rqrr).
    Times(u32),
}

const fn v(scale: Scale, binarizer: Binarizer, invert: bool, mirror: bool) -> Variant {
    Variant {
        scale,
        binarizer,
        invert,
        mirror,
        blur: 0,
    }
}

const fn blurred(scale: Scale, binarizer: Binarizer, blur: u8) -> Variant {
    Variant {
        scale,
        binarizer,
        invert: false,
        mirror: false,
        blur,
    }
}

use Scale::{AsIs, Long, Times};

/// The order variants are tried in: chosen greedily on the real corpus
/// (tests/fixtures/qr-real) by codes gained per millisecond spent, so a clear frame reads
/// on the first try and a hard one pays for the expensive variants only when it must.
pub const PIPELINE: &[Variant] = &[
    v(AsIs, Binarizer::Otsu, false, false),
    blurred(AsIs, Binarizer::LocalMean { div: 8 }, 10),
    v(Long(400), Binarizer::LocalMean { div: 8 }, false, false),
    v(AsIs, Binarizer::Rows, true, false),
    v(AsIs, Binarizer::Rows, false, true),
    v(AsIs, Binarizer::LocalMean { div: 4 }, false, false),
    blurred(Times(2), Binarizer::LocalMean { div: 8 }, 10),
    v(AsIs, Binarizer::LocalMean { div: 8 }, false, true),
    v(Times(2), Binarizer::LocalMean { div: 8 }, false, false),
    blurred(Times(3), Binarizer::Otsu, 20),
    v(Times(3), Binarizer::Otsu, false, false),
    v(Times(3), Binarizer::LocalMean { div: 8 }, true, false),
    v(Times(3), Binarizer::LocalMean { div: 8 }, false, true),
    v(Long(2400), Binarizer::LocalMean { div: 16 }, false, false),
];

/// No variant enlarges past this: beyond it rqrr's cost grows and nothing more is read.
const MAX_SIDE: u32 = 2400;

fn scaled(img: &GrayImage, scale: Scale) -> GrayImage {
    let (w, h) = img.dimensions();
    let f = match scale {
        Scale::AsIs => return img.clone(),
        Scale::Long(side) if side == w.max(h) => return img.clone(),
        Scale::Long(side) => side as f64 / w.max(h) as f64,
        Scale::Times(n) => n as f64,
    };
    let f = f.min(MAX_SIDE as f64 / w.max(h).max(1) as f64);
    let (nw, nh) = (
        ((w as f64 * f).round() as u32).max(1),
        ((h as f64 * f).round() as u32).max(1),
    );
    imageops::resize(img, nw, nh, FilterType::Triangle)
}

/// A QR code's bytes as text: UTF-8 when they are, else Shift_JIS (what Kanji mode and
/// Japanese byte-mode codes carry), else ISO-8859-1, the standard's default.
fn text_of(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if !had_errors {
        return text.into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn padded(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let pad = (w.min(h) / 16).max(4);
    let mut out = GrayImage::from_pixel(w + 2 * pad, h + 2 * pad, image::Luma([255]));
    imageops::replace(&mut out, img, i64::from(pad), i64::from(pad));
    out
}

fn otsu(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in img.as_raw() {
        hist[*p as usize] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, c)| i as f64 * *c as f64)
        .sum();
    let (mut sum_b, mut w_b, mut best, mut threshold) = (0.0, 0u64, 0.0, 128u8);
    for (t, &c) in hist.iter().enumerate() {
        w_b += c;
        if w_b == 0 {
            continue;
        }
        let w_f = total - w_b;
        if w_f == 0 {
            break;
        }
        sum_b += t as f64 * c as f64;
        let (m_b, m_f) = (sum_b / w_b as f64, (sum - sum_b) / w_f as f64);
        let between = w_b as f64 * w_f as f64 * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            threshold = t as u8;
        }
    }
    threshold
}

/// Black where darker than the window's mean by a margin (a light margin keeps flat areas
/// white instead of turning noise into modules).
fn local_mean(img: &GrayImage, div: u32) -> Vec<bool> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let r = ((w.min(h) as u32 / div.max(1)).max(8) / 2) as usize;
    let mut integral = vec![0u64; (w + 1) * (h + 1)];
    let px = img.as_raw();
    for y in 0..h {
        let mut row = 0u64;
        for x in 0..w {
            row += u64::from(px[y * w + x]);
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
        }
    }
    let mut out = vec![false; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let s = integral[y1 * (w + 1) + x1] + integral[y0 * (w + 1) + x0]
                - integral[y0 * (w + 1) + x1]
                - integral[y1 * (w + 1) + x0];
            let n = ((y1 - y0) * (x1 - x0)) as u64;
            out[y * w + x] = u64::from(px[y * w + x]) * n * 100 < s * 93;
        }
    }
    out
}

/// Every text the variant reads in the image (a panic reads nothing).
pub fn read_variant(img: &GrayImage, variant: Variant) -> Vec<String> {
    quiet_panics();
    let mut img = scaled(img, variant.scale);
    if variant.mirror {
        imageops::flip_horizontal_in_place(&mut img);
    }
    if variant.blur > 0 {
        img = imageops::blur(&img, f32::from(variant.blur) / 10.0);
    }
    if variant.invert {
        imageops::invert(&mut img);
    }
    // Codes cropped to their edge have no quiet zone, which rqrr's finder needs.
    let img = padded(&img);
    let was_quiet = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(|| {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let mut prepared = match variant.binarizer {
            Binarizer::Rows => {
                rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img.as_raw()[y * w + x])
            }
            Binarizer::Otsu => {
                let t = otsu(&img);
                rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| img.as_raw()[y * w + x] <= t)
            }
            Binarizer::LocalMean { div } => {
                let bits = local_mean(&img, div);
                rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| bits[y * w + x])
            }
        };
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|g| {
                let mut bytes = Vec::new();
                g.decode_to(&mut bytes).ok().map(|_| text_of(&bytes))
            })
            .collect::<Vec<String>>()
    }));
    QUIET.with(|q| q.set(was_quiet));
    result.unwrap_or_default()
}

/// Reads an image through the pipeline: the texts of the first variant that reads any.
pub fn read(img: &GrayImage) -> Vec<String> {
    read_until(img, None)
}

/// As [`read`], but gives up when `deadline` passes: for a camera, the next frame is worth
/// more than the rest of the pipeline on this one.
pub fn read_until(img: &GrayImage, deadline: Option<std::time::Instant>) -> Vec<String> {
    for variant in PIPELINE {
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            break;
        }
        let texts = read_variant(img, *variant);
        if !texts.is_empty() {
            return texts;
        }
    }
    Vec::new()
}

/// Reads an image file (PNG, JPEG, WebP) through the pipeline.
pub fn read_file(path: &std::path::Path) -> Result<Vec<String>, image::ImageError> {
    Ok(read(&image::open(path)?.to_luma8()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_on_a_quiet_thread_is_only_counted() {
        let before = PANICS.load(Ordering::Relaxed);
        let (caught, counted) = std::thread::spawn(|| {
            quiet_thread();
            let caught = std::panic::catch_unwind(|| panic!("driver fault")).is_err();
            (caught, panics_on_this_thread())
        })
        .join()
        .unwrap();
        assert!(caught);
        assert_eq!(
            counted, 1,
            "the panic is counted on the thread it happened on"
        );
        assert!(PANICS.load(Ordering::Relaxed) > before);
    }

    #[test]
    fn text_of_reads_utf8_shift_jis_and_latin1() {
        assert_eq!(text_of("Jalan Sudirman".as_bytes()), "Jalan Sudirman");
        // "ﾃﾞｻﾞｲﾝ" in Shift_JIS half-width katakana.
        assert_eq!(text_of(&[0xC3, 0xDE, 0xBB, 0xDE, 0xB2, 0xDD]), "ﾃﾞｻﾞｲﾝ");
        assert_eq!(text_of(&[0x41, 0xFF, 0x80]), "A\u{FF}\u{80}");
    }
}
