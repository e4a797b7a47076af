//! The QR pipeline on the real photographs of tests/fixtures/qr-real and on synthetic
//! 1280×720 frames; `loket qr decode` on files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot set up must fail loudly

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/synth.rs"]
mod synth;

use std::path::Path;

use loket::devices::qr;

#[test]
fn reads_the_real_corpus() {
    let files = corpus::labelled();
    assert_eq!(files.len(), 137);
    let read = files
        .iter()
        .filter(|(f, expected)| {
            qr::read_file(f)
                .unwrap()
                .iter()
                .any(|t| corpus::fold(t) == *expected)
        })
        .count();
    // Plain rqrr reads 56, zxing-cpp 123; this pipeline reads 116 (see the benchmark).
    assert!(read >= 114, "the pipeline read only {read} of 137");
}

#[test]
fn contains_decoder_panics() {
    // rqrr 0.11 panics on some of these photographs; the pipeline must count each and go on.
    // Counted on this test's thread: the other tests of this binary decode in parallel and
    // move the process-wide count too.
    let before = qr::panics_on_this_thread();
    for (f, _) in corpus::labelled() {
        let img = image::open(&f).unwrap().to_luma8();
        let plain = qr::Variant {
            scale: qr::Scale::AsIs,
            binarizer: qr::Binarizer::Rows,
            invert: false,
            mirror: false,
            blur: 0,
        };
        let _ = qr::read_variant(&img, plain);
    }
    assert!(
        qr::panics_on_this_thread() > before,
        "no decoder panic was seen"
    );
}

#[test]
fn reads_synthetic_camera_frames() {
    let frames = 24;
    let read = (0..frames)
        .filter(|&i| {
            let text = synth::payload(i);
            let img = synth::frame(&text, 1000 + i);
            assert_eq!(img.dimensions(), (synth::WIDTH, synth::HEIGHT));
            qr::read(&img).contains(&text)
        })
        .count();
    assert!(read >= 22, "read {read} of {frames} synthetic frames");
}

#[test]
fn a_frame_without_a_code_reads_nothing() {
    let img = image::GrayImage::from_fn(640, 480, |x, y| {
        image::Luma([((x * 7 + y * 13) % 256) as u8])
    });
    assert!(qr::read(&img).is_empty());
}

#[test]
fn qr_decode_command() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.png");
    let text = synth::payload(4);
    synth::frame(&text, 7).save(&good).unwrap();
    let blank = dir.path().join("blank.png");
    image::GrayImage::from_pixel(200, 200, image::Luma([255]))
        .save(&blank)
        .unwrap();
    let broken = dir.path().join("broken.png");
    std::fs::write(&broken, b"not a picture").unwrap();
    let run = |files: &[&Path]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_loket"));
        cmd.args([
            "--data-dir",
            &dir.path().join("data").display().to_string(),
            "qr",
            "decode",
        ]);
        cmd.args(files);
        cmd.output().unwrap()
    };
    let out = run(&[&good, &blank]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        format!("{}\t{text}\n{}\t-\n", good.display(), blank.display())
    );
    let out = run(&[&broken, &good]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stdout).unwrap().contains(&text));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("broken.png")
    );
}
