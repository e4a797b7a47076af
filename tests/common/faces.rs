//! A compliant passport photo made from the faces corpus, shared by the photo tests.
#![allow(dead_code)] // each test binary uses its own part of this module

use image::{Rgb, RgbImage, imageops};
use loket::photo;

pub const LIGHT: Rgb<u8> = Rgb([232, 232, 230]);

pub fn corpus(name: &str) -> RgbImage {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/faces")
        .join(name);
    image::open(path).unwrap().to_rgb8()
}

/// The portrait made compliant: enlarged, room above the head, and everything outside an
/// ellipse around the head replaced by a plain light backdrop.
pub fn compliant() -> RgbImage {
    let big = imageops::resize(
        &corpus("portrait-astronaut.png"),
        1536,
        1536,
        imageops::FilterType::CatmullRom,
    );
    let mut canvas = RgbImage::from_pixel(1536, 1736, LIGHT);
    imageops::replace(&mut canvas, &big, 0, 200);
    let face = only_face(&canvas);
    let (cx, cy) = (face.x + face.w / 2.0, face.y + face.h * 0.35);
    let (rx, ry) = (face.w * 0.62, face.h * 1.1);
    for (x, y, p) in canvas.enumerate_pixels_mut() {
        let (dx, dy) = ((x as f64 - cx) / rx, (y as f64 - cy) / ry);
        if dx * dx + dy * dy > 1.0 {
            *p = LIGHT;
        }
    }
    canvas
}

pub fn only_face(img: &RgbImage) -> photo::Face {
    let faces = photo::faces(&image::DynamicImage::ImageRgb8(img.clone()).to_luma8());
    assert_eq!(faces.len(), 1, "{faces:?}");
    faces[0]
}

/// The picture turned by `deg` degrees (clockwise on screen) about (cx, cy), the corners
/// filled with the backdrop: a head tilted to one shoulder.
pub fn rotated(img: &RgbImage, deg: f64, (cx, cy): (f64, f64)) -> RgbImage {
    let (s, c) = deg.to_radians().sin_cos();
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        let (sx, sy) = (c * dx + s * dy + cx, -s * dx + c * dy + cy);
        if sx < 0.0 || sy < 0.0 || sx >= w || sy >= h {
            LIGHT
        } else {
            *img.get_pixel(sx as u32, sy as u32)
        }
    })
}
