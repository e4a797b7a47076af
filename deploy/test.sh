#!/usr/bin/env bash
# Runs every test: unit and property tests, screen snapshots, the end-to-end tests of the
# real binaries under tmux, and sync against a real PostgreSQL (a throwaway cluster the
# tests start and remove, unless DATABASE_URL names a server). .ci/run calls this script.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh test
# CI=true makes insta fail on a missing snapshot instead of writing it.
export CI="${CI:-true}"
cargo test --locked --all-features
