#!/usr/bin/env bash
# Runs the counter terminal on a demo office (embedded SQLite, no server needed).
# Extra arguments go to `loket demo`, e.g. --seed 7 or --data-dir /tmp/loket-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh demo
cargo build --release --locked --bin loket
# --data-dir is a global flag: put what the caller gave before the subcommand's own.
exec target/release/loket demo "$@"
