//! Photo quality checks on one 1280×720 frame (target: under 100 ms), and drawing the
//! half-block preview of a frame at 80×24 (target: at least 10 frames a second).
//! Run with `cargo bench --bench photo`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up must stop

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use image::{Rgb, RgbImage, imageops};
use ratatui_image::picker::{Picker, ProtocolType};

fn frame() -> RgbImage {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/faces/portrait-astronaut.png");
    let portrait = image::open(path).unwrap().to_rgb8();
    let head = imageops::resize(&portrait, 720, 720, imageops::FilterType::CatmullRom);
    let mut frame = RgbImage::from_pixel(1280, 720, Rgb([225, 225, 222]));
    imageops::replace(&mut frame, &head, 280, 0);
    frame
}

fn bench(c: &mut Criterion) {
    let frame = frame();
    let results = loket::photo::check_image(&frame);
    assert!(
        results.len() > 1,
        "the frame must hold one face: {results:?}"
    );
    c.bench_function("photo quality checks, one 1280x720 frame", |b| {
        b.iter(|| black_box(loket::photo::check_image(&frame)))
    });
    // The eye cascade alone, inside the face the detector found (part of the checks above).
    let gray = image::DynamicImage::ImageRgb8(frame.clone()).to_luma8();
    let [face] = loket::photo::faces(&gray)[..] else {
        panic!("the frame must hold one face")
    };
    let face = (face.x, face.y, face.w, face.h);
    assert!(loket::photo::find_eyes(&gray, face).is_some());
    c.bench_function("eyes in the face of one 1280x720 frame", |b| {
        b.iter(|| black_box(loket::photo::find_eyes(&gray, face)))
    });
    let area = ratatui::layout::Rect::new(0, 0, 80, 24);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    c.bench_function("half-block preview of a 1280x720 frame at 80x24", |b| {
        b.iter(|| {
            loket::ui::preview::render(&frame, area, &mut buf, true);
            black_box(&buf);
        })
    });
    // Real pixels: scale, outline and encode one frame for the photo step's picture area
    // (36×19 cells of 8×16 px on an 80×24 screen), per frame, on the UI thread.
    let picture = ratatui::layout::Rect::new(0, 0, 36, 19);
    for protocol in [ProtocolType::Kitty, ProtocolType::Sixel] {
        #[allow(deprecated)] // a benchmark cannot query a terminal for its font size
        let mut picker = Picker::from_fontsize((8, 16));
        picker.set_protocol_type(protocol);
        c.bench_function(
            &format!("{protocol:?} picture of a 1280x720 frame, 36x19 cells"),
            |b| b.iter(|| black_box(loket::ui::picture::encode(&picker, &frame, picture))),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
