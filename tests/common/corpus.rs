//! The real QR photographs of tests/fixtures/qr-real, for the pipeline tests, the camera
//! tests and the QR benchmark.
#![allow(dead_code)] // each user takes its own part

use std::path::{Path, PathBuf};

/// Every photograph in the corpus, sorted.
pub fn images() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qr-real");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("tests/fixtures/qr-real is in the repository") {
        let dir = dir.expect("corpus folder").path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("corpus folder") {
            let f = f.expect("corpus file").path();
            if matches!(
                f.extension().and_then(|e| e.to_str()),
                Some("png" | "jpg" | "webp")
            ) {
                files.push(f);
            }
        }
    }
    files.sort();
    files
}

/// The photographs with an expected text (parts of a structured-append code have none of
/// their own), with that text folded.
pub fn labelled() -> Vec<(PathBuf, String)> {
    images()
        .into_iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f.with_extension("txt")).ok()?;
            Some((f, fold(&text)))
        })
        .collect()
}

/// Runs of white space fold to one space, as the corpus's reference rates count a read.
pub fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
