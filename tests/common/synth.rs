#![allow(dead_code)] // each test binary uses its own part of this module
//! Synthetic camera frames: a QR code rendered into a 1280×720 scene under rotation,
//! perspective, blur, glare, noise and JPEG artefacts, all drawn from a fixed seed.

use image::{GrayImage, Luma};

pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 720;

/// SplitMix64, so the same seed draws the same frame everywhere.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// Solves the 8 unknowns of the homography taking `from[i]` to `to[i]`.
fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> [f64; 9] {
    let mut a = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let ((x, y), (u, v)) = (from[i], to[i]);
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8)
            .max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, p) in row.iter_mut().zip(pivot_row.iter()).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    let h: Vec<f64> = (0..8).map(|i| a[i][8] / a[i][i]).collect();
    [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]
}

/// A frame holding `text` as a QR code, disturbed as drawn from `seed`.
pub fn frame(text: &str, seed: u64) -> GrayImage {
    let mut rng = Rng(seed);
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let n = code.width();
    let colors = code.to_colors();
    let quiet = 4.0;
    let side = n as f64 + 2.0 * quiet;
    // Where the code lands: size, centre, rotation and a perspective tilt.
    let size = rng.range(220.0, 420.0);
    let (cx, cy) = (
        rng.range(size, WIDTH as f64 - size),
        rng.range(size * 0.7, HEIGHT as f64 - size * 0.7),
    );
    let angle = rng.range(-0.6, 0.6);
    let tilt = size * 0.12;
    let corners = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)].map(|(x, y): (f64, f64)| {
        let (x, y) = (
            x * size + rng.range(-tilt, tilt),
            y * size + rng.range(-tilt, tilt),
        );
        (
            cx + x * angle.cos() - y * angle.sin(),
            cy + x * angle.sin() + y * angle.cos(),
        )
    });
    let h = homography(
        corners,
        [(0.0, 0.0), (side, 0.0), (side, side), (0.0, side)],
    );
    let (dark, light) = (rng.range(10.0, 70.0), rng.range(170.0, 250.0));
    let (bg, gradient) = (rng.range(60.0, 160.0), rng.range(-0.05, 0.05));
    let mut img = GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let (fx, fy) = (x as f64, y as f64);
        let w = h[6] * fx + h[7] * fy + 1.0;
        let (u, v) = (
            (h[0] * fx + h[1] * fy + h[2]) / w,
            (h[3] * fx + h[4] * fy + h[5]) / w,
        );
        let value = if (0.0..side).contains(&u) && (0.0..side).contains(&v) {
            let (mx, my) = (u - quiet, v - quiet);
            let inside = mx >= 0.0 && my >= 0.0 && (mx as usize) < n && (my as usize) < n;
            if inside && colors[my as usize * n + mx as usize] == qrcode::Color::Dark {
                dark
            } else {
                light
            }
        } else {
            bg + gradient * (fx - WIDTH as f64 / 2.0)
        };
        Luma([value.clamp(0.0, 255.0) as u8])
    });
    img = image::imageops::blur(&img, rng.range(0.2, 1.6) as f32);
    // Glare: a bright spot somewhere near the code.
    let (gx, gy, gr, ga) = (
        cx + rng.range(-size, size),
        cy + rng.range(-size, size),
        rng.range(40.0, 160.0),
        rng.range(0.0, 90.0),
    );
    let noise = rng.range(0.0, 10.0);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let d2 = (x as f64 - gx).powi(2) + (y as f64 - gy).powi(2);
        let n: f64 = (0..4).map(|_| rng.unit()).sum::<f64>() - 2.0;
        let value = p.0[0] as f64 + ga * (-d2 / (gr * gr)).exp() + n * noise;
        p.0[0] = value.clamp(0.0, 255.0) as u8;
    }
    let quality = rng.range(30.0, 80.0) as u8;
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
        .encode_image(&img)
        .unwrap();
    image::load_from_memory(&jpeg).unwrap().to_luma8()
}

/// What a booking QR holds: codes, URLs and signed tokens of varying length.
pub fn payload(i: u64) -> String {
    let code = loket::domain::BookingCode::from_number(i * 7_919 + 13);
    match i % 3 {
        0 => code.to_string(),
        1 => format!("https://antrian.imigrasi.go.id/booking?kode={code}"),
        _ => format!(
            "LKT1.eyJjb2RlIjoi{}Iiwib2ZmaWNlIjoiSktTIn0.{}",
            code.as_str(),
            "A".repeat(40)
        ),
    }
}
