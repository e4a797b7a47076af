//! The status line under every screen: the devices (scanner, camera) and sync — online or
//! why not, what waits, the last success. It draws only what events told it (the sync
//! worker's reports, the counts read after this terminal wrote); never the database.

use chrono::{DateTime, Duration, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{Strings, fill, theme};
use crate::domain::Zone;
use crate::store::SyncCounts;

#[derive(Default)]
pub struct Status {
    /// The serial scanner: None when none is configured, else connected (port) or not (why;
    /// empty while still connecting).
    pub scanner: Option<Result<String, String>>,
    /// The camera: None when none is configured, else ready (name) or not (why).
    pub camera: Option<Result<String, String>>,
    /// Whether this counter syncs with pusat, and the worker's last report.
    pub syncing: bool,
    pub sync: Option<crate::sync::SyncStatus>,
    /// What waits to be synced.
    pub counts: SyncCounts,
}

impl Status {
    pub fn render(
        &self,
        area: Rect,
        buf: &mut Buffer,
        s: &'static Strings,
        zone: Zone,
        now: DateTime<Utc>,
    ) {
        let mut spans = Vec::new();
        spans.extend(device_status(
            &self.scanner,
            s.scanner_connected,
            s.scanner_lost,
            s.scanner_connecting,
        ));
        spans.extend(device_status(
            &self.camera,
            s.camera_opened,
            s.camera_failed,
            s.camera_connecting,
        ));
        if self.syncing {
            spans.extend(self.sync_status(s, zone, now));
        } else {
            let n = self.counts.events;
            spans.push(Span::styled(
                fill!(s.pending_events, events = n),
                theme::dim(),
            ));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }

    /// Sync's part of the status line: online or why not, what waits, the last success.
    fn sync_status(
        &self,
        s: &'static Strings,
        zone: Zone,
        now: DateTime<Utc>,
    ) -> Vec<Span<'static>> {
        use crate::sync::SyncState;
        let (head, style) = match self.sync.as_ref().map(|st| &st.state) {
            None | Some(SyncState::Connecting) => (s.sync_connecting.to_owned(), theme::dim()),
            Some(SyncState::Online) => (s.sync_online.to_owned(), theme::ok()),
            Some(SyncState::Offline { error, retry_in }) => (
                fill!(
                    s.sync_offline,
                    why = super::sync_error_text(s, error),
                    seconds = retry_in.as_secs().max(1)
                ),
                if error.needs_person() {
                    theme::error()
                } else {
                    theme::warn()
                },
            ),
        };
        let counts = &self.counts;
        let mut tail = fill!(
            s.sync_pending,
            events = counts.events,
            photos = counts.photos
        );
        tail += &match counts.last_success {
            Some(t) => fill!(
                s.sync_last,
                time = zone.local(t.to_utc()).format("%d-%m %H:%M")
            ),
            None => s.sync_never.to_owned(),
        };
        let mut spans = vec![Span::styled(head, style)];
        // What pusat refused of this counter's work comes before everything but the state:
        // the officer must not read "0 events waiting" and believe all is well.
        if counts.refused > 0 {
            spans.push(Span::styled(
                fill!(s.refused_status, count = counts.refused),
                theme::error(),
            ));
        }
        // The counter renews its credential a month ahead; two weeks ahead, a person must
        // know. Before the counts, so that an 80-column line still shows it.
        if let Some(expires) = self.sync.as_ref().and_then(|st| st.credential_expires)
            && expires - now < Duration::days(14)
        {
            let day = zone.local(expires).format("%d-%m-%Y");
            spans.push(Span::styled(
                fill!(s.sync_expires_soon, day = day),
                theme::warn(),
            ));
        }
        spans.push(Span::styled(tail, theme::dim()));
        spans
    }
}

/// A device's part of the status line: connected, still connecting, or lost and why.
fn device_status(
    state: &Option<Result<String, String>>,
    ok: &str,
    lost: &str,
    connecting: &str,
) -> Option<Span<'static>> {
    let (text, style) = match state.as_ref()? {
        Ok(port) => (fill!(ok, port = port), theme::dim()),
        Err(why) if why.is_empty() => (connecting.to_owned(), theme::dim()),
        Err(why) => (fill!(lost, why = why), theme::warn()),
    };
    Some(Span::styled(text + " · ", style))
}
