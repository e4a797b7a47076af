#!/usr/bin/env bash
# Runs every test: the style gates (rustfmt, clippy with warnings as errors), unit and
# property tests, screen snapshots, the end-to-end tests of the real binaries under tmux, and
# sync against a real PostgreSQL (a throwaway cluster the tests start and remove, unless
# DATABASE_URL names a server), then the Debian packages. .ci/run calls this script.
#
#   deploy/test.sh            everything, as CI runs it
#   deploy/test-dates.sh      the date-sensitive tests again at fixed and random dates
#                             (libfaketime): see the README, "Tests on any day"
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
# Each phase says when it starts, so a slow CI run shows where its time went.
phase() { echo "== test.sh $(( $(date +%s) - started ))s: $*"; }

phase "system packages"
deploy/setup.sh test
# A CI run builds once from nothing: incremental state would only be written, never read.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
# CI=true makes insta fail on a missing snapshot instead of writing it.
export CI="${CI:-true}"

# The house style is a gate, not a habit: a finding fails the command before any test runs.
# clippy comes after the test build, whose build scripts and macros it then reuses (first,
# it built them again: minutes on two cores).
phase "rustfmt"
cargo fmt --all --check
phase "test build"
cargo test --locked --all-features --no-run
phase "clippy"
cargo clippy --locked --all-features --all-targets -- -D warnings

phase "cargo test"
cargo test --locked --all-features

# The two binaries build apart (issue: kiosks carry no server, pusat needs no camera or
# scanner headers): their dependency trees are checked, and each builds on its own.
phase "split builds"
split_fail() { echo "test.sh: $1" >&2; exit 1; }
if cargo tree --locked --no-default-features --features server -e normal,build \
    | grep -E 'clang-sys|libudev|nokhwa|serialport|tss-esapi'; then
    split_fail "pusat's build pulls in the camera, scanner or TPM stack (above)"
fi
if cargo tree --locked --no-default-features --features kiosk -e normal \
    | grep -E 'tokio-postgres|axum|deadpool'; then
    split_fail "the kiosk's build pulls in the server (above)"
fi
# The packages below build each binary alone, with its own features, in release; without
# them, check that each builds on its own here.
if [ "${LOKET_SKIP_PACKAGE:-}" = 1 ]; then
    cargo check --locked --no-default-features --features server --bin pusat
    cargo check --locked --no-default-features --features kiosk --bin loket
fi

# pusat's API document (made from its handlers) is valid OpenAPI 3.1 by a third party's
# validator (openapi-spec-validator, from PyPI, in a virtual environment kept in the user's
# cache, named by what it holds, so a fresh clone does not install it again).
phase "OpenAPI document"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/loket/openapi-venv-0.7"
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7,<0.8'
fi
# The pusat that `cargo test` built: `cargo run` leaves out the dev-dependencies, whose
# features then differ on shared crates, and rebuilt thirty of them and pusat (minutes).
target/debug/pusat openapi > target/openapi.json
"$venv/bin/openapi-spec-validator" target/openapi.json

# The Debian packages: built, linted, installed into a clean Debian 12 root and checked there
# (deploy/test-package.sh says what). LOKET_SKIP_PACKAGE=1 skips them, for a quick local run.
if [ "${LOKET_SKIP_PACKAGE:-}" != 1 ]; then
    phase "Debian packages"
    deploy/test-package.sh
fi
phase "done"
