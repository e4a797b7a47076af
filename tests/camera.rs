//! The camera loop with frames from files and rendered scenes instead of a webcam (the one
//! part that cannot exist on this machine): decoding only while wanted, newest frame first,
//! a missing or unplugged camera reported and retried, decoder panics contained.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot set up must fail loudly

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/synth.rs"]
mod synth;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use image::RgbImage;
use loket::devices::camera::{self, CameraEvent, FrameSource, Wanted};

/// Frames handed out in order; `queued` of them at once (as a driver's buffers hold them),
/// the rest one every 30 ms; an error when they run out (the camera unplugged).
struct Fake {
    frames: VecDeque<RgbImage>,
    queued: usize,
    taken: Arc<AtomicUsize>,
}

impl FrameSource for Fake {
    fn frame(&mut self) -> Result<RgbImage, String> {
        let n = self.taken.fetch_add(1, Ordering::SeqCst);
        if n >= self.queued {
            std::thread::sleep(Duration::from_millis(30));
        }
        self.frames
            .pop_front()
            .ok_or_else(|| "device unplugged".to_owned())
    }
}

fn blank() -> RgbImage {
    RgbImage::from_pixel(320, 240, image::Rgb([200, 200, 200]))
}

#[test]
fn decodes_the_newest_frame_only_while_wanted() {
    let rgb = |g: image::GrayImage| image::DynamicImage::ImageLuma8(g).to_rgb8();
    let old = rgb(synth::frame("OLD-FRAME", 1));
    let new = rgb(synth::frame("NEW-FRAME", 2));
    let taken = Arc::new(AtomicUsize::new(0));
    let wanted = Arc::new(Wanted::default());
    let (tx, rx) = mpsc::channel();
    let mut opens = 0;
    let source_taken = taken.clone();
    let flag = wanted.clone();
    std::thread::spawn(move || {
        camera::run(
            move || {
                opens += 1;
                let frames = VecDeque::from(vec![
                    old.clone(),
                    old.clone(),
                    new.clone(),
                    blank(),
                    blank(),
                ]);
                Ok((
                    format!("fake{opens}"),
                    Fake {
                        frames,
                        queued: 2,
                        taken: source_taken.clone(),
                    },
                ))
            },
            &flag,
            move |e| tx.send(e).is_ok(),
        )
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        CameraEvent::Opened("fake1".into())
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        taken.load(Ordering::SeqCst),
        0,
        "frames were taken while no screen wanted a code"
    );
    wanted.code.store(true, Ordering::SeqCst);
    // The two stale frames are skipped: the first code read is the newest frame's.
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        CameraEvent::Scan("NEW-FRAME".into())
    );
    // Out of frames: reported, then reopened.
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        CameraEvent::Failed("device unplugged".into())
    );
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        CameraEvent::Opened("fake2".into())
    );
}

#[test]
fn a_missing_camera_is_reported_once_and_retried() {
    let wanted = Wanted::default();
    let mut attempts = 0;
    let mut events = Vec::new();
    camera::run(
        || -> Result<(String, Fake), String> {
            attempts += 1;
            Err("no such device /dev/video9".to_owned())
        },
        &wanted,
        |e| {
            events.push(e);
            false
        },
    );
    assert_eq!(
        events,
        vec![CameraEvent::Failed("no such device /dev/video9".into())]
    );
    assert_eq!(attempts, 1);
}

#[test]
fn a_decoder_panic_in_the_camera_thread_is_contained() {
    // The corpus photograph on which rqrr 0.11 panics, fed as camera frames.
    let images: Vec<RgbImage> = corpus::images()
        .iter()
        .map(|f| image::open(f).unwrap().to_rgb8())
        .collect();
    // Counted on this thread, where camera::run decodes: the other tests of this binary
    // decode in parallel and move the process-wide count too.
    let before = loket::devices::qr::panics_on_this_thread();
    let wanted = Wanted::default();
    wanted.code.store(true, Ordering::SeqCst);
    let taken = Arc::new(AtomicUsize::new(0));
    let mut opened = false;
    let mut scans = 0;
    camera::run(
        || {
            let frames: VecDeque<RgbImage> = images.iter().cloned().collect();
            Ok((
                "corpus".to_owned(),
                Fake {
                    frames,
                    queued: 0,
                    taken: taken.clone(),
                },
            ))
        },
        &wanted,
        |e| match e {
            CameraEvent::Opened(_) if !opened => {
                opened = true;
                true
            }
            CameraEvent::Scan(_) => {
                scans += 1;
                true
            }
            // The frames ran out: the whole corpus went through without a crash.
            _ => false,
        },
    );
    assert!(
        loket::devices::qr::panics_on_this_thread() > before,
        "no decoder panic was contained"
    );
    eprintln!("{scans} codes read");
    assert!(
        scans > 40,
        "only {scans} codes read from the corpus as frames"
    );
}

#[test]
fn the_photo_step_gets_preview_frames_ten_a_second_at_most() {
    let wanted = Wanted::default();
    wanted.preview.store(true, Ordering::SeqCst);
    let taken = Arc::new(AtomicUsize::new(0));
    let mut frames = 0;
    let started = std::time::Instant::now();
    camera::run(
        || {
            let frames: VecDeque<RgbImage> = (0..40).map(|_| blank()).collect();
            Ok((
                "preview".to_owned(),
                Fake {
                    frames,
                    queued: 0,
                    taken: taken.clone(),
                },
            ))
        },
        &wanted,
        |e| match e {
            CameraEvent::Opened(_) => true,
            CameraEvent::Frame(f) => {
                assert_eq!(f.dimensions(), (320, 240));
                frames += 1;
                frames < 5
            }
            other => panic!("{other:?}"),
        },
    );
    assert_eq!(frames, 5);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "previews came faster than 10 a second"
    );
}

#[test]
fn a_camera_given_as_a_path_or_a_link_is_opened_by_its_index() {
    use loket::devices::camera::video_index;
    assert_eq!(video_index("0"), Ok(0));
    assert_eq!(video_index("/dev/video0"), Ok(0));
    assert_eq!(video_index("/dev/video12"), Ok(12));
    // udev's stable name: a link to the device node, relative as udev makes it.
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("loket-camera");
    std::os::unix::fs::symlink("video7", &link).unwrap();
    assert_eq!(video_index(link.to_str().unwrap()), Ok(7));
    let refused = video_index("/dev/ttyUSB0").unwrap_err();
    assert!(refused.contains("/dev/videoN"), "{refused}");
    // The technician's command no longer fails on parsing the path.
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["scan", "--camera", "/dev/video63", "--count", "1"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A missing camera is retried for ever: read what the first attempt said, then stop.
    std::thread::sleep(std::time::Duration::from_secs(2));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.is_empty(), "the failure is reported");
    assert!(!err.contains("invalid digit"), "{err}");
}
