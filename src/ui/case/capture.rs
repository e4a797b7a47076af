//! The case screen at the photo step: camera frames in, a capture checked on the work
//! thread, a photo kept (or accepted with a reason) and stored on the work thread, the
//! fingerprints taken at the biometric station.

use super::*;

impl CaseScreen {
    /// Whether the photo step is open for taking a picture (the camera sends previews).
    pub fn taking_photo(&self) -> bool {
        self.camera && self.photo_open() && !matches!(self.case.photo, PhotoState::Taken { .. })
    }

    /// Whether the photo step is on screen and can still take the photo or the
    /// fingerprints: as the current step, or for a case decided but waiting for them.
    pub(super) fn photo_open(&self) -> bool {
        self.viewing == Step::Photo
            && (self.editing() == Some(Step::Photo)
                || (self.case.status == CaseStatus::AwaitingPhoto && self.case.photo_outstanding()))
    }

    /// The fingerprints as a photo action records them: as the officer marked them at this
    /// step, else still to be taken.
    pub(super) fn biometrics_now(&self) -> Option<Biometrics> {
        Some(match &self.case.biometrics {
            b @ Biometrics::Captured { .. } => b.clone(),
            _ => Biometrics::Pending,
        })
    }

    /// B at the photo step: the applicant's fingerprints were taken at the biometric
    /// station (pressed again before the step is done: not taken after all).
    pub(super) fn mark_fingerprints(&mut self, ctx: &mut Ctx<'_>) {
        let captured = matches!(self.case.biometrics, Biometrics::Captured { .. });
        let biometrics = match (captured, self.case.status.is_open()) {
            (true, true) => Biometrics::Pending,
            (true, false) => return,
            (false, _) => Biometrics::Captured {
                by: ctx.officer.username.clone(),
                at: ctx.local_now(),
            },
        };
        let was = self.case.status;
        if self.apply(ctx, Action::RecordBiometrics { biometrics }) {
            self.say_photo_progress(was, ctx);
        }
    }

    /// After a photo or fingerprints recorded for a case that waited for them.
    pub(super) fn say_photo_progress(&self, was: CaseStatus, ctx: &mut Ctx<'_>) {
        if was == CaseStatus::AwaitingPhoto && self.case.status == CaseStatus::Continued {
            ctx.say(Level::Ok, |s| s.awaiting_photo_done.to_owned());
        } else if was == CaseStatus::AwaitingPhoto {
            ctx.say(Level::Warn, |s| s.awaiting_photo_hint.to_owned());
        }
    }

    pub fn on_frame(
        &mut self,
        frame: std::sync::Arc<image::RgbImage>,
        picker: Option<&ratatui_image::picker::Picker>,
        work: &Work,
    ) {
        self.photo.on_frame(frame, picker, work, self.case.id);
    }

    /// Keeps the captured photo: JPEG under its hash, the case action, the pending upload.
    pub(super) fn accept_photo(&mut self, ctx: &mut Ctx<'_>, reason: Option<String>) {
        let s = ctx.s();
        let Some(capture) = &self.photo.captured else {
            return;
        };
        let Some(crop) = &capture.crop else { return };
        // Events and the audit trail carry stable check codes, the officer reads names.
        let failed: Vec<String> = capture
            .failed()
            .iter()
            .map(|c| c.code().to_owned())
            .collect();
        if !failed.is_empty() && reason.is_none() {
            let names: Vec<&str> = capture
                .failed()
                .iter()
                .map(|c| crate::text::scan::photo_check_name(*c, s))
                .collect();
            let message = names.join(", ");
            let dialog = Dialog::reason(|s| s.photo_reason_title, message, |s| s.photo_reason);
            self.dialog = Some((dialog, Pending::PhotoReason));
            return;
        }
        if self.photo.saving {
            return;
        }
        // Encoding and the durable write run on the work thread; `on_stored` records.
        let (crop, data_dir, case) = (crop.clone(), ctx.data_dir.to_owned(), self.case.id);
        let biometrics = self.biometrics_now();
        self.photo.saving = true;
        ctx.work.submit(move || Done::Stored {
            case,
            stored: crate::store::write_photo(&data_dir, &crop).map_err(|e| e.to_string()),
            failed_checks: failed,
            reason,
            biometrics,
        });
    }

    /// The accepted photo is on disk: the case records it (or the officer is told why not,
    /// and the captured photo stays to be accepted again).
    pub fn on_stored(
        &mut self,
        stored: Result<StoredPhoto, String>,
        failed_checks: Vec<String>,
        reason: Option<String>,
        biometrics: Option<Biometrics>,
        ctx: &mut Ctx<'_>,
    ) {
        self.photo.saving = false;
        let stored = match stored {
            Ok(stored) => stored,
            Err(e) => {
                ctx.say(Level::Error, |s| fill!(s.err_store, why = e));
                return;
            }
        };
        let actor = ctx.actor();
        let was = self.case.status;
        match ctx.desk.record_photo(
            &actor,
            self.case.id,
            &stored,
            failed_checks,
            reason,
            biometrics,
        ) {
            Ok(case) => {
                self.case = case;
                self.photo.captured = None;
                if was == CaseStatus::AwaitingPhoto {
                    self.say_photo_progress(was, ctx);
                } else {
                    self.viewing = self.case.current_step().unwrap_or(Step::Decision);
                    ctx.say(Level::Ok, |s| {
                        fill!(s.step_done, step = s.step(Step::Photo))
                    });
                }
            }
            Err(CounterError::Store(StoreError::Case(e))) => {
                ctx.say(Level::Error, |s| explain(&e, s))
            }
            Err(e) => ctx.counter_failed(&e),
        }
    }

    pub(super) fn on_photo_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) {
        match self.photo.on_key(key, ctx.work, self.case.id) {
            Some(PhotoOut::Accept) => self.accept_photo(ctx, None),
            Some(PhotoOut::Message(m)) => ctx.say(Level::Warn, |s| m(s).to_owned()),
            None => {}
        }
    }
}
