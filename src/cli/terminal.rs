//! `loket run` and `loket demo`: the counter terminal on this data folder.

use super::*;

pub(super) fn run(mut o: Opened, seed: Option<u64>, board_only: bool) -> Result<(), CliError> {
    // One terminal per data folder; `loket restore` waits for none to run.
    let _lock = lock(&o.dir)?;
    let clock = SystemClock;
    let now = o.office.zone.local(clock.now());
    let fees = FeeSchedule::from_toml(config::FEES)?;
    let dir = o.dir.clone();
    let err = store_err(&dir);
    o.store.upsert_office(&o.office).map_err(&err)?;
    o.store
        .ensure_device(now, o.config.counter.number)
        .map_err(&err)?;
    let mut demo_hint = None;
    if let Some(seed) = seed {
        let seeded =
            crate::demo::seed(&mut o.store, seed, now.date_naive(), &fees).map_err(&err)?;
        let accounts: Vec<String> = crate::demo::ACCOUNTS
            .iter()
            .map(|(u, _, _, _, pin)| format!("{u}/{pin}"))
            .collect();
        let accounts = accounts.join(" · ");
        if seeded.bookings > 0 || seeded.officers > 0 {
            println!(
                "Demo: {} booking dibuat di {} / bookings created",
                seeded.bookings,
                o.dir.display()
            );
            println!("Akun demo / demo accounts: {accounts}");
        }
        demo_hint = Some(format!("Demo: {accounts}"));
    }
    let token_key = o.config.token_key()?;
    let desk = crate::counter::Desk::new(o.store)?;
    // The sync worker writes through the desk's store thread: one writer for both.
    let sync = o
        .credential
        .clone()
        .map(|credential| crate::sync::WorkerSetup {
            store: desk.store_thread(),
            data_dir: o.dir.clone(),
            zone: o.office.zone,
            credential,
        });
    let app = App::new(AppSetup {
        token_key,
        desk,
        clock: Box::new(clock),
        config: o.config,
        office: o.office,
        fees,
        data_dir: o.dir,
        demo_hint,
        sync,
        board_only,
    });
    crate::ui::run(app)?;
    Ok(())
}
