//! The photo checks on tests/fixtures/faces and on variants of its portrait made here,
//! each failing for the right reason; the passport crop's geometry; `loket photo check`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot set up must fail loudly

use image::{GenericImageView, Rgb, RgbImage, imageops};
use loket::photo::{self, Check, Outcome};

use common_faces::{LIGHT, compliant, corpus, only_face, rotated};

#[path = "common/faces.rs"]
mod common_faces;

fn failures(img: &RgbImage) -> Vec<Check> {
    photo::check_image(img)
        .into_iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| r.check)
        .collect()
}

#[test]
fn corpus_images() {
    assert_eq!(failures(&corpus("noface-cat.png")), vec![Check::OneFace]);
    assert_eq!(failures(&corpus("noface-coffee.png")), vec![Check::OneFace]);
    assert_eq!(
        failures(&corpus("group-solvay-1927.jpg")),
        vec![Check::OneFace]
    );
    // The portrait has a face but a busy background, and is too small for a passport crop.
    let portrait = failures(&corpus("portrait-astronaut.png"));
    assert!(
        portrait.contains(&Check::Background) && portrait.contains(&Check::HeadSize),
        "{portrait:?}"
    );
    assert!(!portrait.contains(&Check::OneFace));
    // Its head leans about 3°, within the 8° allowed.
    assert!(!portrait.contains(&Check::EyesLevel), "{portrait:?}");
}

#[test]
fn a_compliant_photo_passes_every_check() {
    assert_eq!(failures(&compliant()), vec![]);
}

#[test]
fn darkened() {
    let mut img = compliant();
    for p in img.pixels_mut() {
        p.0 = p.0.map(|c| (f64::from(c) * 0.3) as u8);
    }
    assert!(
        failures(&img).contains(&Check::Brightness),
        "{:?}",
        failures(&img)
    );
}

#[test]
fn blurred() {
    let img = imageops::blur(&compliant(), 7.0);
    let f = failures(&img);
    assert!(f.contains(&Check::Sharpness), "{f:?}");
    assert!(!f.contains(&Check::Background), "{f:?}");
}

#[test]
fn off_centre() {
    let img = compliant();
    let mut wide = RgbImage::from_pixel(img.width() * 2, img.height(), LIGHT);
    imageops::replace(&mut wide, &img, 0, 0);
    assert_eq!(failures(&wide), vec![Check::Position]);
}

#[test]
fn too_small() {
    let img = compliant();
    let small = imageops::resize(
        &img,
        img.width() * 2 / 5,
        img.height() * 2 / 5,
        imageops::FilterType::Triangle,
    );
    assert!(
        failures(&small).contains(&Check::HeadSize),
        "{:?}",
        failures(&small)
    );
}

#[test]
fn busy_or_tinted_background() {
    let mut busy = compliant();
    for (x, y, p) in busy.enumerate_pixels_mut() {
        if *p == LIGHT && ((x / 24 + y / 24) % 2 == 0) {
            *p = Rgb([90, 90, 90]);
        }
    }
    assert_eq!(failures(&busy), vec![Check::Background]);
    let mut tinted = compliant();
    for p in tinted.pixels_mut() {
        if *p == LIGHT {
            *p = Rgb([175, 205, 250]);
        }
    }
    assert!(
        failures(&tinted).contains(&Check::ColourCast),
        "{:?}",
        failures(&tinted)
    );
}

#[test]
fn two_faces() {
    let img = compliant();
    let mut two = RgbImage::from_pixel(img.width() * 2, img.height(), LIGHT);
    imageops::replace(&mut two, &img, 0, 0);
    imageops::replace(&mut two, &img, i64::from(img.width()), 0);
    assert_eq!(failures(&two), vec![Check::OneFace]);
}

fn tilt_of(img: &RgbImage) -> Option<f64> {
    let face = only_face(img);
    let gray = image::DynamicImage::ImageRgb8(img.clone()).to_luma8();
    photo::find_eyes(&gray, (face.x, face.y, face.w, face.h))
        .map(|(left, right)| photo::eyes_tilt(left, right))
}

fn eyes_outcome(img: &RgbImage) -> Outcome {
    photo::check_image(img)
        .into_iter()
        .find(|r| r.check == Check::EyesLevel)
        .map(|r| r.outcome)
        .expect("the eyes are checked when there is one face")
}

#[test]
fn the_eyes_are_found_where_they_are() {
    let img = compliant();
    let face = only_face(&img);
    let gray = image::DynamicImage::ImageRgb8(img.clone()).to_luma8();
    let (left, right) =
        photo::find_eyes(&gray, (face.x, face.y, face.w, face.h)).expect("both eyes");
    // On a frontal face the eyes sit in the upper half of the box, a third of its width apart
    // or more, one each side of its middle.
    let mid = face.x + face.w / 2.0;
    assert!(left.x < mid && right.x > mid, "{left:?} {right:?} {face:?}");
    assert!((right.x - left.x) > face.w / 3.0, "{left:?} {right:?}");
    for eye in [left, right] {
        assert!(
            eye.y > face.y && eye.y < face.y + face.h / 2.0,
            "{eye:?} {face:?}"
        );
    }
    // A mirrored face tilts the other way by as much.
    let mirrored = imageops::flip_horizontal(&img);
    let (a, b) = (tilt_of(&img).unwrap(), tilt_of(&mirrored).unwrap());
    assert!((a + b).abs() < 1.5, "{a:.1}° and mirrored {b:.1}°");
}

#[test]
fn tilted_head() {
    let img = compliant();
    let face = only_face(&img);
    let centre = (face.x + face.w / 2.0, face.y + face.h / 2.0);
    let upright = tilt_of(&img).unwrap();
    // Turning the picture turns the eye line by as much.
    for deg in [-12.0, 12.0] {
        let turned = rotated(&img, deg, centre);
        let tilt = tilt_of(&turned).unwrap();
        assert!(
            (tilt - upright - deg).abs() < 3.0,
            "turned {deg}°: measured {tilt:.1}° from {upright:.1}°"
        );
        assert_eq!(failures(&turned), vec![Check::EyesLevel], "turned {deg}°");
        match eyes_outcome(&turned) {
            Outcome::Fail(photo::Measure::EyesTilt(t)) => {
                assert_eq!(t.signum(), deg.signum(), "{t:.1}° for {deg}°")
            }
            other => panic!("turned {deg}°: {other:?}"),
        }
        // `loket photo check` tells the technician which way, in Indonesian.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("turned.png");
        turned.save(&file).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
            .arg("--data-dir")
            .arg(dir.path().join("d"))
            .args(["photo", "check"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        let side = if deg > 0.0 { "kanan" } else { "kiri" };
        assert!(
            text.contains("GAGAL  Mata sejajar: kepala miring")
                && text.contains(&format!("° ke {side} gambar")),
            "{text}"
        );
    }
    // A slight tilt back towards level passes.
    let level = rotated(&img, -upright, centre);
    assert!(tilt_of(&level).unwrap().abs() < 2.0);
    assert_eq!(failures(&level), vec![]);
}

#[test]
fn eyes_hidden() {
    let mut img = compliant();
    let face = only_face(&img);
    let gray = image::DynamicImage::ImageRgb8(img.clone()).to_luma8();
    let (left, right) = photo::find_eyes(&gray, (face.x, face.y, face.w, face.h)).unwrap();
    // A band the colour of the forehead over both eyes, as a fringe of hair or glare would.
    let skin = *img.get_pixel(
        (face.x + face.w / 2.0) as u32,
        (face.y + face.h * 0.12) as u32,
    );
    let r = face.w * 0.09;
    for (x, y, p) in img.enumerate_pixels_mut() {
        let (x, y) = (f64::from(x), f64::from(y));
        if x > left.x - 2.0 * r && x < right.x + 2.0 * r && (y - (left.y + right.y) / 2.0).abs() < r
        {
            *p = skin;
        }
    }
    assert_eq!(
        eyes_outcome(&img),
        Outcome::Fail(photo::Measure::EyesNotFound)
    );
}

#[test]
fn passport_crop_geometry() {
    let out = photo::crop_passport(&compliant()).unwrap();
    assert_eq!(out.dimensions(), (photo::OUT_W, photo::OUT_H));
    let face = only_face(&out);
    let centre = (face.x + face.w / 2.0) / f64::from(photo::OUT_W);
    assert!(
        (centre - 0.5).abs() < 0.05,
        "face centre at {centre:.2} of the width"
    );
    // Crown to chin: 70–80 % of the height (ICAO 9303).
    let head = face.h * 1.55 / f64::from(photo::OUT_H);
    assert!(
        (0.68..=0.82).contains(&head),
        "head {head:.2} of the height"
    );
    let (jpeg, hash) = photo::encode_jpeg(&out).unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(
        image::load_from_memory(&jpeg).unwrap().dimensions(),
        (photo::OUT_W, photo::OUT_H)
    );
    assert!(
        photo::crop_passport(&corpus("portrait-astronaut.png")).is_none(),
        "too small to crop"
    );
}

#[test]
fn photo_check_command() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.png");
    compliant().save(&good).unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
            .args([
                "--data-dir",
                &dir.path().join("d").display().to_string(),
                "photo",
                "check",
            ])
            .arg(file)
            .output()
            .unwrap()
    };
    let out = run(&good);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        String::from_utf8(out.stdout)
            .unwrap()
            .matches("LULUS")
            .count(),
        photo::Check::ALL.len()
    );
    let portrait = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/faces/portrait-astronaut.png");
    let out = run(&portrait);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("GAGAL  Latar polos dan terang"), "{text}");
    // The measurement speaks the same language as the line it sits in.
    assert!(text.contains("latar: kecerahan"), "{text}");
    assert!(!text.contains("background luminance"), "{text}");
    let broken = dir.path().join("x.png");
    std::fs::write(&broken, b"no").unwrap();
    assert_eq!(run(&broken).status.code(), Some(2));
}

#[test]
fn capture_without_a_camera_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
        .args([
            "photo",
            "capture",
            "--camera",
            "/dev/video-missing",
            "--out",
        ])
        .arg(dir.path().join("x.jpg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("kamera /dev/video-missing")
    );
    assert!(!dir.path().join("x.jpg").exists());
}
