//! One sync round: push the outbox in order until pusat holds it all, pull the office's
//! changes until none are left, upload the photos waiting. Each step is committed locally
//! as it completes, so a round cut off anywhere resumes where it stopped and sends nothing
//! twice that pusat would store twice.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::{Client, SyncError};
use crate::store::{StoreAccess, read_photo, remove_photo};

/// Events per push.
pub const BATCH: usize = 500;

/// Pulled changes applied per store job. A page holds up to a thousand (a day's bookings
/// imported at once), and applying them in one transaction held the terminal's store
/// thread for about 60 ms, which a key pressed meanwhile waited for; a hundred take a few
/// ms. Each job commits its changes with the position of its last, so a round cut off
/// between two jobs pulls the rest again and applies nothing twice.
pub const APPLY_CHUNK: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Push,
    Pull,
    Photos,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub pushed: usize,
    pub duplicates: usize,
    pub pulled: usize,
    pub photos: usize,
    /// Photos whose file is gone from the data directory (they stay pending).
    pub photos_missing: usize,
}

/// What a round needs besides the store and the client.
pub struct RoundContext<'a> {
    pub data_dir: &'a Path,
    pub today: NaiveDate,
    pub now: &'a (dyn Fn() -> DateTime<FixedOffset> + Sync),
    /// Told (phase, done, total) as work moves.
    pub progress: &'a mut (dyn FnMut(Phase, u64, u64) + Send),
}

/// A round on `store`: the store itself, or the terminal's store thread (each step one job,
/// so the officer's work goes between them).
pub async fn round(
    store: &mut impl StoreAccess,
    client: &Client,
    cx: RoundContext<'_>,
) -> Result<RoundReport, SyncError> {
    let mut report = RoundReport::default();
    push(store, client, &mut report, cx.progress, cx.now).await?;
    loop {
        let cursor = store.with(|s| s.pull_cursor())?;
        let page = client.pull(cursor).await?;
        if page.cursor < cursor || page.changes.iter().any(|c| c.pos <= cursor) {
            return Err(SyncError::Nonsense("the change feed went backwards".into()));
        }
        report.pulled += page.changes.len();
        let (today, more) = (cx.today, page.more);
        for (changes, upto) in chunks(page.changes, page.cursor) {
            store.with(move |s| s.apply_changes(&changes, upto, today))?;
        }
        (cx.progress)(Phase::Pull, report.pulled as u64, 0);
        if !more {
            break;
        }
    }
    let photos = store.with(|s| s.photos_to_upload(usize::MAX >> 1))?;
    let total = photos.len() as u64;
    for (i, photo) in photos.iter().enumerate() {
        match read_photo(cx.data_dir, &photo.sha256) {
            Ok(Some(bytes)) => {
                client.upload_photo(&photo.sha256, &bytes).await?;
                let (sha256, at) = (photo.sha256.clone(), (cx.now)());
                store.with(move |s| s.mark_uploaded(&sha256, at))?;
                // Data minimisation (UU PDP 27/2022): pusat holds the photo now, so the
                // kiosk keeps none. A failure here only leaves the file for the next round.
                if let Err(e) = remove_photo(cx.data_dir, &photo.sha256) {
                    tracing::warn!(error = %e, "an uploaded photo could not be removed");
                }
                report.photos += 1;
            }
            // Gone, unreadable or sealed elsewhere: counted, the others still go.
            Ok(None) | Err(_) => report.photos_missing += 1,
        }
        (cx.progress)(Phase::Photos, i as u64 + 1, total);
    }
    let at = (cx.now)();
    store.with(move |s| s.set_last_success(at))?;
    // Everything of this round is at pusat: what the office keeps no longer may go.
    let actor = crate::store::Actor {
        key: None,
        username: "loket".into(),
        now: (cx.now)(),
    };
    // The round itself succeeded: a purge that fails (a full disk) is tried again at the next
    // round, without turning the sync red.
    let today = cx.today;
    match store.with(move |s| s.purge_daily(&actor, today)) {
        Ok(Some(p)) if p != crate::store::Purged::default() => {
            tracing::info!(cases = p.cases, bookings = p.bookings, "retention purge");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "retention purge failed"),
    }
    Ok(report)
}

/// Pushes what the outbox holds (all of it, in order); how many events pusat took new.
/// A counter does this before it asks pusat to call, so pusat knows what it just did.
pub async fn push_outbox(
    store: &mut impl StoreAccess,
    client: &Client,
    now: &(dyn Fn() -> DateTime<FixedOffset> + Sync),
) -> Result<usize, SyncError> {
    let mut report = RoundReport::default();
    push(store, client, &mut report, &mut |_, _, _| {}, now).await?;
    Ok(report.pushed)
}

async fn push(
    store: &mut impl StoreAccess,
    client: &Client,
    report: &mut RoundReport,
    progress: &mut (dyn FnMut(Phase, u64, u64) + Send),
    now: &(dyn Fn() -> DateTime<FixedOffset> + Sync),
) -> Result<(), SyncError> {
    let total = store.with(|s| s.pending_events())?;
    let mut rewinds = 0;
    while let Some(first) = store.with(|s| s.first_unpushed())? {
        let batch = store.with(move |s| s.outbox_from(first, BATCH))?;
        let Some(last) = batch.last().map(|e| e.seq) else {
            break;
        };
        match client.push(&batch).await {
            Ok(r) => {
                if r.stored_through < last {
                    return Err(SyncError::Nonsense(format!(
                        "pusat stored through {} of a batch ending at {last}",
                        r.stored_through
                    )));
                }
                let at = now();
                let refused = r.refused;
                store.with(move |s| {
                    s.record_refused(&refused, at)?;
                    s.mark_pushed(last, at)
                })?;
                report.pushed += r.inserted;
                report.duplicates += r.duplicates;
                progress(
                    Phase::Push,
                    (report.pushed + report.duplicates) as u64,
                    total,
                );
            }
            // pusat lacks events this counter thought it held (restored from a backup):
            // send them again from where pusat stands.
            Err(SyncError::Gap(expected)) if expected < first && expected >= 1 && rewinds < 3 => {
                rewinds += 1;
                store.with(move |s| s.unmark_pushed_from(expected))?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Splits a pulled page into [`APPLY_CHUNK`]s, each with the cursor to save with it: the
/// position of its last change, and the page's cursor for the last (a page may move the
/// cursor past changes this device is not given). An empty page still moves the cursor.
fn chunks(
    mut changes: Vec<crate::protocol::FeedEntry>,
    cursor: i64,
) -> Vec<(Vec<crate::protocol::FeedEntry>, i64)> {
    let mut out = Vec::with_capacity(changes.len() / APPLY_CHUNK + 1);
    while changes.len() > APPLY_CHUNK {
        let rest = changes.split_off(APPLY_CHUNK);
        let upto = changes.last().map_or(cursor, |c| c.pos);
        out.push((changes, upto));
        changes = rest;
    }
    out.push((changes, cursor));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Change, FeedEntry, OfficeInfo};

    fn entry(pos: i64) -> FeedEntry {
        FeedEntry {
            pos,
            change: Change::Office(OfficeInfo {
                code: "JKS".into(),
                name: "Jakarta Selatan".into(),
                zone: "WIB".into(),
                config: Default::default(),
            }),
        }
    }

    #[test]
    fn a_page_is_applied_in_chunks_each_with_its_own_cursor() {
        let page: Vec<FeedEntry> = (1..=250).map(entry).collect();
        let parts = chunks(page, 260);
        let sizes: Vec<usize> = parts.iter().map(|(c, _)| c.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let cursors: Vec<i64> = parts.iter().map(|(_, upto)| *upto).collect();
        assert_eq!(cursors, [100, 200, 260]);
        // Every change once, in order.
        let positions: Vec<i64> = parts
            .iter()
            .flat_map(|(c, _)| c.iter().map(|e| e.pos))
            .collect();
        assert_eq!(positions, (1..=250).collect::<Vec<_>>());
    }

    #[test]
    fn an_empty_page_still_moves_the_cursor() {
        let parts = chunks(Vec::new(), 42);
        assert_eq!(parts.len(), 1);
        assert!(parts[0].0.is_empty());
        assert_eq!(parts[0].1, 42);
        assert_eq!(chunks((1..=100).map(entry).collect(), 100).len(), 1);
    }
}
