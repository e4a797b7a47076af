//! `loket photo check` and `loket photo capture`: the photo step's checks on a file.

use super::*;

pub(super) fn check(file: &Path) -> u8 {
    use crate::photo::Outcome;
    let s = crate::text::Lang::Id.strings();
    let img = match image::open(file) {
        Ok(img) => img.to_rgb8(),
        Err(e) => {
            eprintln!(
                "{}: tidak dapat dibaca / cannot be read: {e}",
                file.display()
            );
            return 2;
        }
    };
    let results = crate::photo::check_image(&img);
    let mut failed = false;
    for r in &results {
        let name = crate::text::scan::photo_check_name(r.check, s);
        match &r.outcome {
            Outcome::Pass => println!("LULUS  {name}"),
            Outcome::Fail(why) => {
                failed = true;
                println!(
                    "GAGAL  {name}: {} — {}",
                    crate::text::scan::photo_measure(why, s),
                    crate::text::scan::photo_check_advice(r.check, s)
                );
            }
        }
    }
    u8::from(failed)
}

pub(super) fn capture(device: &str, out: &Path) -> u8 {
    use crate::devices::camera::{CameraConfig, FrameSource, Nokhwa};
    let config = CameraConfig {
        device: device.to_owned(),
        ..CameraConfig::default()
    };
    let frame = Nokhwa::open(&config).and_then(|(_, mut camera)| camera.frame());
    match frame.map(|f| f.save(out).map_err(|e| e.to_string())) {
        Ok(Ok(())) => {
            println!("{}", out.display());
            0
        }
        Ok(Err(e)) | Err(e) => {
            eprintln!("kamera {device}: {e} / camera {device}: {e}");
            2
        }
    }
}
