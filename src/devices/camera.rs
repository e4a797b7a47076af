//! The counter's webcam as a booking-code reader: a thread that opens the configured camera,
//! takes frames only while a screen waits for a booking code, always decodes the newest
//! frame (stale ones are dropped, never queued) and reopens the camera by itself when it is
//! missing, busy or unplugged. The frame source is a trait: nokhwa on a real machine, image
//! files or rendered frames in tests (a physical webcam cannot exist here).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use image::RgbImage;
use serde::Deserialize;

use super::framing::Deduper;
use super::qr;

const RETRY: Duration = Duration::from_secs(2);
const IDLE: Duration = Duration::from_millis(100);
/// Time one frame may take in the QR pipeline before the next frame is worth more.
const DECODE_BUDGET: Duration = Duration::from_millis(60);
/// A frame that arrives faster than this was already waiting in the driver's queue.
const QUEUED: Duration = Duration::from_millis(3);

/// The `[camera]` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CameraConfig {
    /// Camera index ("0") or device path ("/dev/video0"); empty for no camera.
    pub device: String,
    pub width: u32,
    pub height: u32,
    /// "mjpeg" or "yuyv".
    pub format: String,
    pub fps: u32,
}

impl Default for CameraConfig {
    fn default() -> Self {
        CameraConfig {
            device: String::new(),
            width: 1280,
            height: 720,
            format: "mjpeg".into(),
            fps: 30,
        }
    }
}

impl CameraConfig {
    pub fn is_configured(&self) -> bool {
        !self.device.trim().is_empty()
    }
}

/// Where frames come from.
pub trait FrameSource {
    /// The next frame, blocking until the camera delivers one.
    fn frame(&mut self) -> Result<RgbImage, String>;
}

/// What the screens want from the camera now; the UI flips these, the thread reads them.
#[derive(Debug, Default)]
pub struct Wanted {
    /// A screen waits for a booking code: decode QR codes.
    pub code: AtomicBool,
    /// The photo step is open: send preview frames.
    pub preview: AtomicBool,
}

/// Preview frames go to the screen at most this often (10 per second).
const PREVIEW_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraEvent {
    Opened(String),
    /// Missing, busy or gone, with the reason; the thread keeps retrying.
    Failed(String),
    Scan(String),
    /// The newest frame, for the photo step's preview and capture.
    Frame(Arc<RgbImage>),
}

/// Runs the camera loop until `sink` returns false. `open` opens the camera; `wanted` says
/// whether a screen is waiting for a booking code.
pub fn run<S: FrameSource>(
    mut open: impl FnMut() -> Result<(String, S), String>,
    wanted: &Wanted,
    mut sink: impl FnMut(CameraEvent) -> bool,
) {
    let mut dedup = Deduper::new(Duration::from_secs(3));
    let mut last_failure = None;
    loop {
        let (name, mut source) = match open() {
            Ok(opened) => opened,
            Err(why) => {
                if last_failure.as_ref() != Some(&why) && !sink(CameraEvent::Failed(why.clone())) {
                    return;
                }
                last_failure = Some(why);
                std::thread::sleep(RETRY);
                continue;
            }
        };
        if !sink(CameraEvent::Opened(name)) {
            return;
        }
        let why = loop {
            let (code, preview) = (
                wanted.code.load(Ordering::Relaxed),
                wanted.preview.load(Ordering::Relaxed),
            );
            if !code && !preview {
                std::thread::sleep(IDLE);
                continue;
            }
            let started = Instant::now();
            let frame = match newest_frame(&mut source) {
                Ok(f) => f,
                Err(why) => break why,
            };
            if preview {
                if !sink(CameraEvent::Frame(Arc::new(frame))) {
                    return;
                }
                std::thread::sleep(PREVIEW_EVERY.saturating_sub(started.elapsed()));
                continue;
            }
            let gray = image::DynamicImage::ImageRgb8(frame).to_luma8();
            let deadline = Instant::now() + DECODE_BUDGET;
            for text in qr::read_until(&gray, Some(deadline)) {
                if dedup.accept(&text, Instant::now()) && !sink(CameraEvent::Scan(text)) {
                    return;
                }
            }
        };
        if !sink(CameraEvent::Failed(why.clone())) {
            return;
        }
        last_failure = Some(why);
        std::thread::sleep(RETRY);
    }
}

/// Takes frames until one had to be waited for: the ones before it were stale.
fn newest_frame(source: &mut impl FrameSource) -> Result<RgbImage, String> {
    let t0 = Instant::now();
    let mut frame = source.frame()?;
    if t0.elapsed() >= QUEUED {
        return Ok(frame);
    }
    for _ in 0..8 {
        let t0 = Instant::now();
        let next = source.frame()?;
        let waited = t0.elapsed() >= QUEUED;
        frame = next;
        if waited {
            break;
        }
    }
    Ok(frame)
}

/// The V4L2 index of a camera given as an index (`0`), a device path (`/dev/video0`) or a
/// link to one (`/dev/loket-camera`, `/dev/v4l/by-id/…`), as config.toml and `--camera`
/// allow.
pub fn video_index(device: &str) -> Result<u32, String> {
    if let Ok(n) = device.parse::<u32>() {
        return Ok(n);
    }
    let mut path = std::path::PathBuf::from(device);
    // Follow links (udev's stable names) to the /dev/videoN they point at.
    for _ in 0..8 {
        match std::fs::read_link(&path) {
            Ok(target) => {
                path = match path.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                }
            }
            Err(_) => break,
        }
    }
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("video"))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            format!(
                "{device:?} bukan kamera V4L2: tulis indeks (0) atau /dev/videoN / not a V4L2 camera: give an index (0) or /dev/videoN"
            )
        })
}

/// A real camera through nokhwa (V4L2 on Linux).
pub struct Nokhwa(nokhwa::Camera);

impl Nokhwa {
    pub fn open(config: &CameraConfig) -> Result<(String, Nokhwa), String> {
        use nokhwa::pixel_format::RgbFormat;
        use nokhwa::utils::{
            CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
            Resolution,
        };
        let device = config.device.trim();
        // nokhwa's V4L2 backend takes a number only: a path is turned into its index.
        let index = CameraIndex::Index(video_index(device)?);
        let format = if config.format.eq_ignore_ascii_case("yuyv") {
            FrameFormat::YUYV
        } else {
            FrameFormat::MJPEG
        };
        let wanted = CameraFormat::new(
            Resolution::new(config.width, config.height),
            format,
            config.fps,
        );
        let requested = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
        let mut camera = nokhwa::Camera::new(index, requested).map_err(|e| e.to_string())?;
        camera.open_stream().map_err(|e| e.to_string())?;
        Ok((
            format!("{device} {}", camera.camera_format()),
            Nokhwa(camera),
        ))
    }
}

impl FrameSource for Nokhwa {
    fn frame(&mut self) -> Result<RgbImage, String> {
        use nokhwa::pixel_format::RgbFormat;
        let buffer = self.0.frame().map_err(|e| e.to_string())?;
        let res = buffer.resolution();
        let mut data = vec![0u8; 3 * res.width() as usize * res.height() as usize];
        buffer
            .decode_image_to_buffer::<RgbFormat>(&mut data)
            .map_err(|e| e.to_string())?;
        RgbImage::from_raw(res.width(), res.height(), data)
            .ok_or_else(|| "frame size mismatch".to_owned())
    }
}

/// Starts the camera thread for the configured camera.
pub fn spawn(
    config: CameraConfig,
    wanted: Arc<Wanted>,
    sink: impl FnMut(CameraEvent) -> bool + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        qr::quiet_thread();
        let mut sink = sink;
        // A panic in the camera driver is contained: report it and start over.
        while std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(|| Nokhwa::open(&config), &wanted, &mut sink)
        }))
        .is_err()
        {
            if !sink(CameraEvent::Failed("camera driver panicked".into())) {
                return;
            }
            std::thread::sleep(RETRY);
        }
    })
}
