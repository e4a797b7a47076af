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

# The two binaries build apart (issue: kiosks carry no server, pusat needs no camera or
# scanner headers): their dependency trees are checked, and each builds on its own.
split_fail() { echo "test.sh: $1" >&2; exit 1; }
if cargo tree --locked --no-default-features --features server -e normal,build \
    | grep -E 'clang-sys|libudev|nokhwa|serialport|tss-esapi'; then
    split_fail "pusat's build pulls in the camera, scanner or TPM stack (above)"
fi
if cargo tree --locked --no-default-features --features kiosk -e normal \
    | grep -E 'tokio-postgres|axum|deadpool'; then
    split_fail "the kiosk's build pulls in the server (above)"
fi
cargo check --locked --no-default-features --features server --bin pusat
cargo check --locked --no-default-features --features kiosk --bin loket

# pusat's API document (made from its handlers) is valid OpenAPI 3.1 by a third party's
# validator (openapi-spec-validator, from PyPI, in a virtual environment under target/).
venv=target/openapi-venv
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7'
fi
cargo run --locked --quiet --all-features --bin pusat -- openapi > target/openapi.json
"$venv/bin/openapi-spec-validator" target/openapi.json

# The Debian packages: built, linted, installed into a clean Debian 12 root and checked there
# (deploy/test-package.sh says what). LOKET_SKIP_PACKAGE=1 skips them, for a quick local run.
if [ "${LOKET_SKIP_PACKAGE:-}" != 1 ]; then
    deploy/test-package.sh
fi
