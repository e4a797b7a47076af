#!/usr/bin/env bash
# Installs the Debian packages Loket needs, only those missing. Usage: setup.sh demo|test
#   demo: a C compiler (SQLite is built in); pkg-config and libudev-dev for serialport;
#         libclang-dev for nokhwa's V4L2 bindings (bindgen)
#   test: tmux, for the end-to-end tests that drive the real binary in a terminal
set -euo pipefail

case "${1:-test}" in
  demo) packages=(gcc pkg-config libudev-dev libclang-dev) ;;
  test) packages=(gcc pkg-config libudev-dev libclang-dev tmux) ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo tidak ditemukan: pasang Rust lewat https://rustup.rs / cargo not found: install Rust with rustup" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "Memasang paket / installing packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
