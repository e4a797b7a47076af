//! QR reading: read rate and time per image, plain rqrr beside the pipeline, on the real
//! corpus (tests/fixtures/qr-real) and on synthetic 1280×720 frames.
//! Run with `cargo bench --bench qr`; read rates and medians are printed first.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up must stop

#[path = "../tests/common/corpus.rs"]
mod corpus;
#[path = "../tests/common/synth.rs"]
mod synth;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use image::GrayImage;
use loket::devices::qr::{self, Binarizer, Scale, Variant};

const PLAIN: Variant = Variant {
    scale: Scale::AsIs,
    binarizer: Binarizer::Rows,
    invert: false,
    mirror: false,
    blur: 0,
};

fn corpus() -> Vec<(GrayImage, String)> {
    corpus::labelled()
        .into_iter()
        .map(|(f, text)| (image::open(&f).unwrap().to_luma8(), text))
        .collect()
}

fn synthetic() -> Vec<(GrayImage, String)> {
    (0..30)
        .map(|i| {
            (
                synth::frame(&synth::payload(i), 1000 + i),
                synth::payload(i),
            )
        })
        .collect()
}

/// Reads every image once: (read count, median time, mean time).
fn survey(
    set: &[(GrayImage, String)],
    read: impl Fn(&GrayImage) -> Vec<String>,
) -> (usize, Duration, Duration) {
    let mut times = Vec::new();
    let mut ok = 0;
    for (img, expected) in set {
        let t0 = Instant::now();
        let texts = read(img);
        times.push(t0.elapsed());
        ok += usize::from(texts.iter().any(|t| corpus::fold(t) == *expected));
    }
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    times.sort();
    (ok, times[times.len() / 2], mean)
}

fn bench(c: &mut Criterion) {
    for (name, set) in [
        ("real corpus", corpus()),
        ("synthetic 1280x720", synthetic()),
    ] {
        for (reader, f) in [
            (
                "plain rqrr",
                &(|i: &GrayImage| qr::read_variant(i, PLAIN)) as &dyn Fn(&GrayImage) -> Vec<String>,
            ),
            ("pipeline", &qr::read),
        ] {
            let (ok, median, mean) = survey(&set, f);
            println!(
                "{name}, {reader}: read {ok}/{}, median {median:.2?}, mean {mean:.2?} per image",
                set.len()
            );
        }
        let mut group = c.benchmark_group(format!("qr {name}"));
        group.sample_size(10);
        let mut i = 0;
        group.bench_function("plain rqrr, one image", |b| {
            b.iter(|| {
                i = (i + 1) % set.len();
                black_box(qr::read_variant(&set[i].0, PLAIN))
            })
        });
        group.bench_function("pipeline, one image", |b| {
            b.iter(|| {
                i = (i + 1) % set.len();
                black_box(qr::read(&set[i].0))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
