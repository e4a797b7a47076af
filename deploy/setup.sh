#!/usr/bin/env bash
# Installs the Debian packages Loket needs, only those missing. Usage: setup.sh demo|test
#   demo: a C compiler (SQLCipher, the encrypting SQLite, is built in); libssl-dev for the
#         AES it encrypts with; pkg-config and libudev-dev for serialport; libclang-dev for
#         nokhwa's V4L2 bindings (bindgen); libtss2-dev for the device key in the kiosk's TPM
#   test: tmux, for the end-to-end tests that drive the real binary in a terminal;
#         postgresql (server binaries only: the tests start their own throwaway cluster);
#         python3-venv, for the OpenAPI validator the tests fetch from PyPI; swtpm, a
#         software TPM, for the tests of a device key held in a TPM; faketime, for the
#         date sweep (deploy/test-dates.sh)
set -euo pipefail

case "${1:-test}" in
  demo) packages=(gcc pkg-config libssl-dev libudev-dev libclang-dev libtss2-dev) ;;
  test) packages=(gcc pkg-config libssl-dev libudev-dev libclang-dev libtss2-dev tmux postgresql python3-venv swtpm faketime) ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo tidak ditemukan: pasang Rust lewat https://rustup.rs / cargo not found: install Rust with rustup" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "Memasang paket / installing packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The package starts a cluster of its own; the tests do not use it.
if [[ " ${missing[*]:-} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
  $sudo systemctl disable --now postgresql >/dev/null 2>&1 || true
fi
