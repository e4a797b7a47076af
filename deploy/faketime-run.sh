#!/usr/bin/env bash
# Cargo's runner for the date sweep (deploy/test-dates.sh): starts one test binary with its
# clock at LOKET_FAKE_START (seconds since the epoch), taken as an offset from now so every
# process the test starts (PostgreSQL, tmux, the real binaries) keeps the same clock.
set -euo pipefail
lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$lib" ] || { echo "faketime-run.sh: libfaketime not found: deploy/setup.sh test" >&2; exit 2; }
offset=$(( LOKET_FAKE_START - $(date +%s) ))
export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
# libfaketime reads a signed number of seconds as an offset.
if ((offset >= 0)); then offset="+$offset"; fi
export FAKETIME="$offset" FAKETIME_DONT_FAKE_MONOTONIC=1
exec "$@"
