//! Finds the two eyes inside a face box, for the "eyes level" check (ICAO 9303 part 3; ISO/IEC
//! 19794-5 allows a head roll of at most 8°).
//!
//! rustface gives only a box, no landmarks, so the eyes are found with the frontal eye
//! detector OpenCV publishes (`assets/models/haarcascade_eye.xml`, a boosted cascade of Haar
//! stumps by Shameem Hameed, under the Intel open-source licence kept in the file's header;
//! taken from Debian's `opencv-data`). It is embedded in the binary and evaluated here the way
//! OpenCV's `CascadeClassifier` does: windows normalised by their standard deviation, each
//! stage's stumps summed against the stage's threshold.

use image::GrayImage;
use std::sync::OnceLock;

static XML: &str = include_str!("../../assets/models/haarcascade_eye.xml");

/// A cascade of boosted stumps over Haar features, in a fixed window.
struct Cascade {
    win: u32,
    stages: Vec<Stage>,
    features: Vec<Feature>,
}

struct Stage {
    threshold: f32,
    stumps: Vec<Stump>,
}

struct Stump {
    feature: usize,
    threshold: f32,
    left: f32,
    right: f32,
}

/// Two or three weighted rectangles: (x, y, width, height, weight); an unused third has
/// weight 0.
struct Feature {
    rects: [(u32, u32, u32, u32, f32); 3],
}

fn numbers<T: std::str::FromStr>(node: roxmltree::Node) -> Option<Vec<T>> {
    node.text()?
        .split_whitespace()
        .map(|t| t.parse().ok())
        .collect()
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn items<'a>(node: roxmltree::Node<'a, 'a>) -> impl Iterator<Item = roxmltree::Node<'a, 'a>> {
    node.children().filter(|c| c.has_tag_name("_"))
}

impl Cascade {
    /// Reads OpenCV's cascade format (stump-based, upright Haar features only).
    fn parse(xml: &str) -> Option<Cascade> {
        let doc = roxmltree::Document::parse(xml).ok()?;
        let cascade = doc.descendants().find(|n| n.has_tag_name("cascade"))?;
        let win: u32 = child(cascade, "width")?.text()?.trim().parse().ok()?;
        let mut stages = Vec::new();
        for stage in items(child(cascade, "stages")?) {
            let threshold = child(stage, "stageThreshold")?
                .text()?
                .trim()
                .parse()
                .ok()?;
            let mut stumps = Vec::new();
            for weak in items(child(stage, "weakClassifiers")?) {
                let nodes: Vec<f32> = numbers(child(weak, "internalNodes")?)?;
                let leaves: Vec<f32> = numbers(child(weak, "leafValues")?)?;
                // A stump: "left right feature threshold", two leaves.
                let (&[_, _, feature, threshold], &[left, right]) = (&nodes[..], &leaves[..])
                else {
                    return None;
                };
                stumps.push(Stump {
                    feature: feature as usize,
                    threshold,
                    left,
                    right,
                });
            }
            stages.push(Stage { threshold, stumps });
        }
        let mut features = Vec::new();
        for feature in items(child(cascade, "features")?) {
            if child(feature, "tilted")
                .and_then(|t| t.text())
                .map(str::trim)
                == Some("1")
            {
                return None;
            }
            let mut rects = [(0, 0, 0, 0, 0.0); 3];
            for (i, rect) in items(child(feature, "rects")?).enumerate() {
                let v: Vec<f32> = numbers(rect)?;
                let (&[x, y, w, h, weight], Some(slot)) = (&v[..], rects.get_mut(i)) else {
                    return None;
                };
                *slot = (x as u32, y as u32, w as u32, h as u32, weight);
            }
            features.push(Feature { rects });
        }
        let fits = |f: &Feature| f.rects.iter().all(|r| r.0 + r.2 <= win && r.1 + r.3 <= win);
        let known = stages
            .iter()
            .flat_map(|s| &s.stumps)
            .all(|s| features.get(s.feature).is_some_and(fits));
        known.then_some(Cascade {
            win,
            stages,
            features,
        })
    }
}

fn cascade() -> &'static Cascade {
    static CASCADE: OnceLock<Cascade> = OnceLock::new();
    CASCADE.get_or_init(|| {
        // The file is embedded at build time and checked by a test: failing here is a broken build.
        Cascade::parse(XML).unwrap_or_else(|| unreachable!("eye cascade does not parse"))
    })
}

/// Summed-area tables of an image and of its squares, one row and column of zeros in front.
struct Integral {
    stride: usize,
    sum: Vec<i64>,
    sq: Vec<i64>,
}

impl Integral {
    fn new(img: &GrayImage) -> Integral {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let stride = w + 1;
        let mut sum = vec![0i64; stride * (h + 1)];
        let mut sq = vec![0i64; stride * (h + 1)];
        for y in 0..h {
            let (mut row, mut row_sq) = (0i64, 0i64);
            for x in 0..w {
                let v = i64::from(img.as_raw()[y * w + x]);
                row += v;
                row_sq += v * v;
                let i = (y + 1) * stride + x + 1;
                sum[i] = sum[i - stride] + row;
                sq[i] = sq[i - stride] + row_sq;
            }
        }
        Integral { stride, sum, sq }
    }

    fn rect(table: &[i64], stride: usize, x: u32, y: u32, w: u32, h: u32) -> i64 {
        let (x, y, w, h) = (x as usize, y as usize, w as usize, h as usize);
        table[(y + h) * stride + x + w] - table[y * stride + x + w] - table[(y + h) * stride + x]
            + table[y * stride + x]
    }
}

impl Cascade {
    /// Whether the window at (x, y) passes every stage.
    fn accepts(&self, ii: &Integral, x: u32, y: u32) -> bool {
        // Normalised by the standard deviation of the window less a one-pixel border; a window
        // flatter than 10 grey levels is never an eye.
        let n = self.win - 2;
        let area = f64::from(n * n);
        let s = Integral::rect(&ii.sum, ii.stride, x + 1, y + 1, n, n) as f64;
        let sq = Integral::rect(&ii.sq, ii.stride, x + 1, y + 1, n, n) as f64;
        let nf = area * sq - s * s;
        if nf <= 0.0 || area / nf.sqrt() >= 0.1 {
            return false;
        }
        let inv = 1.0 / nf.sqrt();
        self.stages.iter().all(|stage| {
            let sum: f32 = stage
                .stumps
                .iter()
                .map(|stump| {
                    let raw: f64 = self.features[stump.feature]
                        .rects
                        .iter()
                        .filter(|r| r.4 != 0.0)
                        .map(|&(rx, ry, rw, rh, weight)| {
                            f64::from(weight)
                                * Integral::rect(&ii.sum, ii.stride, x + rx, y + ry, rw, rh) as f64
                        })
                        .sum();
                    if ((raw * inv) as f32) < stump.threshold {
                        stump.left
                    } else {
                        stump.right
                    }
                })
                .sum();
            sum >= stage.threshold
        })
    }

    /// Every accepted window in `gray` whose side lies between `min` and `max` pixels, as
    /// (centre x, centre y, side). The image is scaled down so that the cascade's fixed
    /// window covers each size in turn, 10 % apart.
    fn detect(&self, gray: &GrayImage, min: f64, max: f64) -> Vec<(f64, f64, f64)> {
        let mut hits = Vec::new();
        let win = f64::from(self.win);
        let mut side = min.max(win);
        while side <= max {
            let k = win / side;
            let (w, h) = (
                (f64::from(gray.width()) * k).round() as u32,
                (f64::from(gray.height()) * k).round() as u32,
            );
            if w < self.win || h < self.win {
                break;
            }
            let small = image::imageops::resize(gray, w, h, image::imageops::FilterType::Triangle);
            let ii = Integral::new(&small);
            // As OpenCV: every pixel of a much-reduced picture, every other one otherwise.
            let step = if side / win > 2.0 { 1 } else { 2 };
            for y in (0..=h - self.win).step_by(step) {
                for x in (0..=w - self.win).step_by(step) {
                    if self.accepts(&ii, x, y) {
                        let c = |v: u32| (f64::from(v) + win / 2.0) / k;
                        hits.push((c(x), c(y), side));
                    }
                }
            }
            side *= 1.1;
        }
        hits
    }
}

/// An eye's centre in the picture's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eye {
    pub x: f64,
    pub y: f64,
}

/// The strongest group of hits: those whose centres lie within half a window of the hit with
/// the most such neighbours, averaged. `None` when no hit has `min_neighbours` others near it
/// (a lone hit is more often an eyebrow or a nostril than an eye).
fn strongest(hits: &[(f64, f64, f64)], min_neighbours: usize) -> Option<(Eye, usize)> {
    let near = |a: &(f64, f64, f64), b: &(f64, f64, f64)| {
        let r = a.2.min(b.2) * 0.5;
        (a.0 - b.0).abs() <= r && (a.1 - b.1).abs() <= r
    };
    let best = hits
        .iter()
        .max_by_key(|a| hits.iter().filter(|b| near(a, b)).count())?;
    let group: Vec<_> = hits.iter().filter(|b| near(best, b)).collect();
    if group.len() <= min_neighbours {
        return None;
    }
    let n = group.len() as f64;
    let eye = Eye {
        x: group.iter().map(|h| h.0).sum::<f64>() / n,
        y: group.iter().map(|h| h.1).sum::<f64>() / n,
    };
    Some((eye, group.len()))
}

/// The eyes inside a face box (x, y, width, height): the one on the picture's left, then the
/// one on its right. Each is searched in its own half of the box's upper part, at sizes
/// from a sixth to two fifths of the box's width. `None` when either is not found (closed,
/// hidden by hair or glare, or the face turned away).
pub fn find(gray: &GrayImage, face: (f64, f64, f64, f64)) -> Option<(Eye, Eye)> {
    let (fx, fy, fw, fh) = face;
    let cascade = cascade();
    let half = |left: bool| {
        let x0 = if left { fx } else { fx + fw * 0.5 };
        let (x0, y0) = (x0.max(0.0), (fy + fh * 0.05).max(0.0));
        let x1 = (x0 + fw * 0.5).min(f64::from(gray.width()));
        let y1 = (fy + fh * 0.65).min(f64::from(gray.height()));
        if x1 - x0 < 20.0 || y1 - y0 < 20.0 {
            return None;
        }
        let part = image::imageops::crop_imm(
            gray,
            x0 as u32,
            y0 as u32,
            (x1 - x0) as u32,
            (y1 - y0) as u32,
        )
        .to_image();
        let hits = cascade.detect(&part, fw / 6.0, fw * 0.4);
        let (eye, _) = strongest(&hits, 2)?;
        Some(Eye {
            x: eye.x + x0,
            y: eye.y + y0,
        })
    };
    Some((half(true)?, half(false)?))
}

/// The slope of the line through both eyes, in degrees: positive when the eye on the
/// picture's right sits lower.
pub fn tilt(left: Eye, right: Eye) -> f64 {
    (right.y - left.y).atan2(right.x - left.x).to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_cascade_parses_whole() {
        let c = Cascade::parse(XML).expect("parses");
        assert_eq!(c.win, 20);
        assert_eq!(c.stages.len(), 24);
        // Each stage's stump count matches the file's maxWeakCount for it.
        let counts: Vec<usize> = c.stages.iter().map(|s| s.stumps.len()).collect();
        assert_eq!(counts[..4], [6, 12, 9, 16]);
        assert!(c.features.len() > 1000);
    }

    #[test]
    fn a_broken_cascade_is_refused() {
        assert!(Cascade::parse("<opencv_storage/>").is_none());
        let truncated = &XML[..XML.len() / 2];
        assert!(Cascade::parse(truncated).is_none());
    }

    #[test]
    fn a_flat_picture_has_no_eyes() {
        let flat = GrayImage::from_pixel(300, 300, image::Luma([180]));
        assert_eq!(find(&flat, (50.0, 50.0, 200.0, 200.0)), None);
    }
}
