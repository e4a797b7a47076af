#!/usr/bin/env bash
# The date sweep: every test binary that reads the date or the clock, run again as if the
# machine's clock said another day (libfaketime, Debian `faketime`). A test that passes
# today and fails on New Year's Eve, a leap day or just before midnight in an office's zone
# turns this red. Usage:
#
#   deploy/test-dates.sh                      the dates below and one drawn at random
#   deploy/test-dates.sh "2027-01-01 00:00:30 +0900" ...   only the dates given
#
# Each test binary starts at the date given (the offset is taken when it starts, so a slow
# build or an earlier binary does not move it) and its clock then runs as usual; the
# monotonic clock is left alone, so timeouts wait as long as they say. A test still running
# when the office's day changes (a queue called across midnight) fails: see the README. PostgreSQL, tmux and
# the real binaries a test starts inherit the same offset.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh test
export CI="${CI:-true}"

if (($#)); then
    dates=("$@")
else
    # A random moment between 2026 and 2035, printed so a red run can be repeated.
    random=$(date -u -d "@$((1767225600 + RANDOM * 32768 % 283996800 + RANDOM * 9))" '+%Y-%m-%d %H:%M:%S +0000')
    dates=(
        "2026-12-07 10:00:00 +0700"   # the day this sweep was written (WIB morning)
        "2026-12-31 23:59:00 +0700"   # New Year's Eve, a minute before midnight in WIB
        "2027-01-01 00:00:30 +0700"   # New Year in WIB while UTC is still in 2026
        "2027-03-09 23:58:00 +0800"   # two minutes before midnight in WITA
        "2027-08-17 00:00:30 +0900"   # just past midnight in WIT (UTC: the day before)
        "2028-02-29 06:30:00 +0700"   # a leap day, early (UTC: 28 February)
        "$random"
    )
fi

# The tests that read the date: sync and the queue at pusat, the terminal and its CLI, the
# doctor's clock checks, the day's reports. (The camera, QR and photo tests read no date.)
tests=(sync sync_faults queue approvals security bookings_api cli_sync cli e2e_tmux doctor display printer screens tpm)
args=(--locked --all-features --no-fail-fast --lib)
for t in "${tests[@]}"; do args+=(--test "$t"); done
cargo test "${args[@]}" --no-run

export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$PWD/deploy/faketime-run.sh"
failed=()
for d in "${dates[@]}"; do
    start=$(date -d "$d" +%s) || { echo "test-dates.sh: not a date: $d" >&2; exit 2; }
    echo "== test-dates.sh: the tests at $d (WIB $(TZ=Asia/Jakarta date -d "@$start" '+%Y-%m-%d %H:%M'))"
    if ! LOKET_FAKE_START="$start" cargo test "${args[@]}"; then
        failed+=("$d")
    fi
done
if ((${#failed[@]})); then
    printf 'test-dates.sh: red at %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "test-dates.sh: green at ${#dates[@]} dates: ${dates[*]}"
