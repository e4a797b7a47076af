#!/usr/bin/env bash
# One command from a bare Debian 12 to a working kiosk: installs the loket package, names the
# scanner for udev, enrolls with pusat, enables the terminal and its nightly backup, and runs
# `loket doctor`. Run it again and it changes nothing, and says so.
#
#   deploy/kiosk-install.sh --server URL --code CODE [--ca-file F] [--scanner-usb vvvv:pppp]
#                           [--counter N] [--deb FILE]
#
# Exit status: doctor's (0 ready, 1 ready with warnings, 2 not ready), or 3 when a step before
# it failed (the message says which and what to do).
set -euo pipefail

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 3
}
say() { printf '%s\n' "$*"; }
die() { printf 'kiosk-install: %s\n' "$*" >&2; exit 3; }

server="" code="" ca_file="" scanner_usb="" counter="" deb=""
while [ $# -gt 0 ]; do
    case "$1" in
        --server) server="${2:-}"; shift 2 ;;
        --code) code="${2:-}"; shift 2 ;;
        --ca-file) ca_file="${2:-}"; shift 2 ;;
        --scanner-usb) scanner_usb="${2:-}"; shift 2 ;;
        --counter) counter="${2:-}"; shift 2 ;;
        --deb) deb="${2:-}"; shift 2 ;;
        -h|--help) usage ;;
        *) say "kiosk-install: tidak dikenal / unknown: $1" >&2; usage ;;
    esac
done
[ -n "$server" ] && [ -n "$code" ] || usage
[ "$(id -u)" -eq 0 ] || die "jalankan sebagai root (sudo) / run as root"
if [ -n "$scanner_usb" ] && ! [[ "$scanner_usb" =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$ ]]; then
    die "--scanner-usb ditulis vvvv:pppp, mis. 05e0:1200 (lihat lsusb) / --scanner-usb is vvvv:pppp"
fi
if [ -n "$counter" ] && ! [[ "$counter" =~ ^[0-9]+$ ]]; then
    die "--counter adalah nomor loket, mis. 3 / --counter is the counter's number"
fi
if [ -n "$ca_file" ] && [ ! -r "$ca_file" ]; then
    die "--ca-file $ca_file tidak terbaca / cannot be read"
fi

changed=0
data=/var/lib/loket

# 1. The package.
if [ -n "$deb" ]; then
    [ -r "$deb" ] || die "$deb tidak terbaca / cannot be read"
    want=$(dpkg-deb -f "$deb" Version)
    have=$(dpkg-query -W -f='${Version}' loket 2>/dev/null || true)
    if [ "$have" = "$want" ] && dpkg-query -W -f='${Status}' loket 2>/dev/null | grep -q "install ok installed"; then
        say "✓ Paket loket $have sudah terpasang / already installed"
    else
        say "… Memasang paket loket $want / installing"
        if ! DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >/dev/null; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -f -qq >/dev/null \
                || die "paket tidak dapat dipasang; cek cermin paket (apt-get update) / the package cannot be installed"
        fi
        changed=$((changed + 1))
    fi
elif dpkg-query -W -f='${Status}' loket 2>/dev/null | grep -q "install ok installed"; then
    say "✓ Paket loket sudah terpasang / already installed"
else
    say "… Memasang paket loket dari cermin / installing from the mirror"
    apt-get update -qq || die "cermin paket tidak terjangkau / the package mirror cannot be reached"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq loket >/dev/null \
        || die "paket loket tidak ada di cermin; beri --deb FILE / not on the mirror: give --deb FILE"
    changed=$((changed + 1))
fi

# 2. The scanner's stable name (the rule is loket's own: `loket scan --udev-rule`).
if [ -n "$scanner_usb" ]; then
    said=$(loket scan --udev-rule "$scanner_usb") || die "aturan udev tidak dapat ditulis / cannot write the udev rule: $said"
    say "✓ $said"
    case "$said" in
        *"tidak berubah"*) ;;
        *) changed=$((changed + 1)) ;;
    esac
fi

# 3. The agency's CA, where the loket user can read it.
ca_args=()
if [ -n "$ca_file" ]; then
    ca_kept=/etc/loket/pusat-ca.pem
    if ! cmp -s "$ca_file" "$ca_kept" 2>/dev/null; then
        install -m 0644 "$ca_file" "$ca_kept"
        changed=$((changed + 1))
    fi
    ca_args=(--ca-file "$ca_kept")
fi

# 4. Enrollment.
as_loket() { runuser -u loket -- env LOKET_DATA_DIR="$data" LOKET_CONFIG=/etc/loket/config.toml LOKET_SECRET_DIR=/etc/loket/secret "$@"; }
enrolled_server() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["server"])' "$data/credential.json" 2>/dev/null \
        || sed -n 's/.*"server": *"\([^"]*\)".*/\1/p' "$data/credential.json"
}
if [ -f "$data/credential.json" ] && [ "$(enrolled_server)" = "${server%/}" ]; then
    say "✓ Kios sudah terdaftar di $server / already enrolled"
else
    say "… Mendaftarkan kios ke $server / enrolling"
    if ! as_loket loket enroll --server "$server" --code "$code" "${ca_args[@]}"; then
        die "pendaftaran gagal (alasan di atas); minta kode baru bila kode sudah dipakai atau kedaluwarsa / enrollment failed (reason above)"
    fi
    changed=$((changed + 1))
fi
if [ -n "$counter" ]; then
    got=$(sed -n 's/.*"counter": *\([0-9]*\).*/\1/p' "$data/credential.json" | head -1)
    if [ "$got" != "$counter" ]; then
        die "kode ini mendaftarkan loket $got, bukan $counter; minta kode untuk loket $counter / the code enrolled counter $got, not $counter"
    fi
fi

# 5. The units.
for unit in loket-backup.timer loket.service; do
    if [ "$(systemctl is-enabled "$unit" 2>/dev/null || true)" = "enabled" ]; then
        say "✓ $unit sudah aktif saat boot / already enabled"
    else
        systemctl enable "$unit" >/dev/null 2>&1 || die "systemctl enable $unit gagal / failed"
        say "✓ $unit aktif saat boot / enabled"
        changed=$((changed + 1))
    fi
done
if [ -d /run/systemd/system ]; then
    for unit in loket-backup.timer loket.service; do
        if ! systemctl is-active --quiet "$unit"; then
            systemctl start "$unit" || say "! $unit tidak mau mulai: journalctl -u $unit -b / does not start"
            changed=$((changed + 1))
        fi
    done
else
    say "! systemd tidak berjalan di sini: layanan mulai saat boot berikutnya / systemd is not running: the units start at the next boot"
fi

if [ "$changed" -eq 0 ]; then
    say "Tidak ada yang berubah: kios ini sudah terpasang / nothing changed: this kiosk is already installed"
fi

# 6. The doctor's word.
say ""
set +e
as_loket loket doctor
status=$?
set -e
if [ "$status" -eq 2 ]; then
    say "Perbaiki yang bertanda ✗ di atas, lalu jalankan skrip ini lagi / fix what is marked ✗, then run this again"
fi
exit "$status"
