//! Photo quality checks on one 1280×720 frame (target: under 100 ms).
//! Run with `cargo bench --bench photo`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up must stop

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use image::{Rgb, RgbImage, imageops};

fn frame() -> RgbImage {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/faces/portrait-astronaut.png");
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
