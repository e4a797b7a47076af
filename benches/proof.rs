//! What one guess costs in an offline search of a PIN from what a kiosk holds: one
//! Argon2id run at the roster's parameters (64 MiB, three passes), here as the proof key's
//! derivation (the PIN hash's check costs the same). The README's threat section turns this
//! figure into the time an exhaustive search of a 6- and a 10-digit PIN takes on 2 cores.

use criterion::{Criterion, criterion_group, criterion_main};

fn one_guess(c: &mut Criterion) {
    let mut group = c.benchmark_group("offline_search");
    group.sample_size(10);
    group.bench_function("one_pin_guess_argon2id_64mib_t3", |b| {
        b.iter(|| {
            loket::proof::ProofKey::derive(std::hint::black_box("4829137065"), "c2FsdHNhbHRzYWx0")
        })
    });
    group.finish();
}

criterion_group!(benches, one_guess);
criterion_main!(benches);
