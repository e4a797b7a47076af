#!/usr/bin/env bash
# Runs every test: unit and property tests, screen snapshots, the end-to-end test of the
# real binary under tmux. .ci/run calls this script.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh test
# CI=true makes insta fail on a missing snapshot instead of writing it.
export CI="${CI:-true}"
cargo test --locked --all-features
