#!/usr/bin/env bash
# The Debian packages, tested as a technician meets them: both .debs built with cargo-deb,
# lintian on each (an error fails), then the kiosk's package installed into a clean Debian 12
# root made with debootstrap from the package mirror. There: the service user and its groups,
# the data folder and its mode, the units enabled and passing `systemd-analyze verify`, and
# `loket doctor --json` reporting what a bare kiosk lacks (enrollment, scanner, camera). An
# upgrade backs the database up first; removal and purge keep the data unless told.
# deploy/test.sh runs this; LOKET_SKIP_PACKAGE=1 skips it (say so when you do).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test-package.sh: $*" >&2; exit 1; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# Tools: cargo-deb from crates.io, lintian and debootstrap from the package mirror.
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install --locked cargo-deb
fi
missing=()
for pkg in lintian debootstrap dpkg-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

out=target/debian
rm -f "$out"/*.deb
cargo deb --locked --strip -o "$out/"
cargo deb --locked --strip --variant pusat -o "$out/"
kiosk_deb=$(ls "$out"/loket_*.deb)
pusat_deb=$(ls "$out"/pusat_*.deb)

# What each package carries: the kiosk no server, pusat no terminal.
dpkg-deb -c "$kiosk_deb" | grep -q ' ./usr/bin/loket$' || fail "the kiosk package has no /usr/bin/loket"
dpkg-deb -c "$kiosk_deb" | grep -q '/usr/bin/pusat' && fail "the kiosk package carries pusat"
dpkg-deb -c "$pusat_deb" | grep -q '/usr/bin/loket' && fail "pusat's package carries the terminal"
dpkg-deb -f "$pusat_deb" Depends | grep -q libudev && fail "pusat's package depends on libudev"

# Lintian: errors fail. Tags that do not apply to a package built outside a Debian source
# tree are named here, each with why.
#   no-manual-page: the commands document themselves (--help) and in README.md.
#   initial-upload-closes-no-bugs, no-changelog: not uploaded to Debian's archive.
#   maintainer-script-calls-systemctl: the postinst fragments are cargo-deb's own.
#   embedded-library: mozjpeg, which the webcam library (nokhwa) builds in for MJPEG frames.
lintian --fail-on error --tag-display-limit 0 \
    --suppress-tags no-manual-page,no-changelog,initial-upload-closes-no-bugs,maintainer-script-calls-systemctl,embedded-library \
    "$kiosk_deb" "$pusat_deb"

# A clean Debian 12 root, cached by content in the user's cache (not in target/, so a fresh
# clone on this machine reuses it): its name is the hash of what makes it, so a change of
# the packages included or of the mirror makes a new one.
mirror="${LOKET_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
include=systemd,udev,adduser,libudev1,libssl3,libtss2-esys-3.0.2-0,libtss2-tctildr0
cache="${XDG_CACHE_HOME:-$HOME/.cache}/loket/debootstrap"
key=$(printf '%s\n' bookworm minbase "$include" "$mirror" | sha256sum | cut -c1-16)
base="$cache/bookworm-$key.tar"
if [ ! -f "$base" ]; then
    mkdir -p "$cache"
    tmp="$cache/bookworm-$key.tmp"
    $sudo rm -rf "$tmp"
    if ! $sudo debootstrap --variant=minbase --include="$include" \
        bookworm "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
        tail -20 "$cache/debootstrap.log" >&2
        fail "debootstrap from $mirror failed: is the package mirror reachable? Set LOKET_DEBIAN_MIRROR to a reachable one."
    fi
    $sudo tar -C "$tmp" -cf "$base.part" .
    mv "$base.part" "$base"
    $sudo rm -rf "$tmp"
fi
root=$(mktemp -d /tmp/loket-kiosk-root.XXXXXX)
cleanup() {
    $sudo umount "$root/proc" 2>/dev/null || true
    $sudo rm -rf "$root"
}
trap cleanup EXIT
$sudo tar -C "$root" -xf "$base"
# dpkg and adduser mostly do without /proc; where mounting is not allowed, go on without.
$sudo mount -t proc proc "$root/proc" 2>/dev/null || echo "test-package.sh: /proc not mounted in the root; going on" >&2
in_root() { $sudo chroot "$root" "$@"; }
as_loket() { in_root runuser -u loket -- env LOKET_DATA_DIR=/var/lib/loket LOKET_CONFIG=/etc/loket/config.toml LOKET_SECRET_DIR=/etc/loket/secret "$@"; }

cp "$kiosk_deb" "$root/tmp/loket.deb"
cp "$pusat_deb" "$root/tmp/pusat.deb"
DEBIAN_FRONTEND=noninteractive in_root dpkg -i /tmp/loket.deb >/dev/null

# The user, its groups, its folder.
in_root getent passwd loket >/dev/null || fail "no loket user"
groups=$(in_root id -nG loket)
for g in dialout video tss; do
    [[ " $groups " == *" $g "* ]] || fail "loket is not in group $g ($groups)"
done
mode=$(in_root stat -c '%a %U' /var/lib/loket)
[ "$mode" = "700 loket" ] || fail "/var/lib/loket is '$mode', not '700 loket'"
[ -f "$root/etc/loket/config.toml" ] || fail "no /etc/loket/config.toml"
# The kiosk's secret, outside the data folder: it seals the PIN hashes and the device key.
mode=$(in_root stat -c '%a %U' /etc/loket/secret)
[ "$mode" = "700 loket" ] || fail "/etc/loket/secret is '$mode', not '700 loket'"
mode=$(in_root stat -c '%a %U %s' /etc/loket/secret/kiosk.secret)
[ "$mode" = "600 loket 32" ] || fail "/etc/loket/secret/kiosk.secret is '$mode', not '600 loket 32'"
[ -f "$root/lib/udev/rules.d/60-loket.rules" ] || fail "no udev rules"

# The units: enabled, and valid.
for unit in loket.service loket-backup.timer; do
    state=$(in_root systemctl is-enabled "$unit" || true)
    [ "$state" = "enabled" ] || fail "$unit is '$state', not enabled"
done
in_root systemd-analyze verify /usr/lib/systemd/system/loket.service \
    /usr/lib/systemd/system/loket-backup.service /usr/lib/systemd/system/loket-backup.timer
# Their sandboxing as installed: exposure under 5.0 each (systemd's scale, 10 = none).
for unit in loket.service loket-backup.service; do
    in_root systemd-analyze security --offline=yes --threshold=50 \
        "/usr/lib/systemd/system/$unit" >/dev/null \
        || fail "$unit is exposed above 5.0: $(in_root systemd-analyze security --offline=yes "/usr/lib/systemd/system/$unit" | tail -1)"
done

# Doctor in the root: a bare kiosk is not enrolled, and its scanner and camera are missing.
set +e
report=$(as_loket loket doctor --json)
status=$?
set -e
[ "$status" = 2 ] || fail "doctor exited $status on a bare kiosk, not 2: $report"
for check in credential scanner camera; do
    echo "$report" | python3 -c "
import json, sys
findings = [f for f in json.load(sys.stdin)['findings'] if f['check'] == '$check']
assert findings and findings[0]['level'] == 'fail' and findings[0].get('fix'), findings
" || fail "doctor did not report the missing $check: $report"
done

# kiosk-install.sh against a real pusat (a throwaway PostgreSQL cluster, pusat from its own
# package): enrolls, enables, runs doctor; a second run changes nothing; a used code is
# reported as used.
pusat_dir=$(mktemp -d /tmp/loket-pkg-pusat.XXXXXX)
dpkg-deb -x "$pusat_deb" "$pusat_dir/x"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || fail "PostgreSQL server binaries not found: run deploy/setup.sh test"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres: "$pusat_dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pgbin/initdb" -D "$pusat_dir/pg" -U postgres --auth=trust >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pusat_dir/pg" -l "$pusat_dir/pg.log" -w \
    -o "-p $port -k $pusat_dir -c listen_addresses=127.0.0.1" start >/dev/null
cleanup_pusat() {
    [ -n "${pusat_pid:-}" ] && kill "$pusat_pid" 2>/dev/null || true
    as_pg "$pgbin/pg_ctl" -D "$pusat_dir/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pusat_dir"
    cleanup
}
trap cleanup_pusat EXIT
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
export RUST_LOG=warn
pusat_bin="$pusat_dir/x/usr/bin/pusat"
"$pusat_bin" office add --code JKS --name "Kantor Imigrasi Jakarta Selatan" --zone WIB >/dev/null
code=$("$pusat_bin" enroll-code --office JKS --counter 3 | tr -d '[:space:]')
"$pusat_bin" serve --listen 127.0.0.1:0 >"$pusat_dir/serve.log" 2>&1 &
pusat_pid=$!
for _ in $(seq 50); do
    url=$(sed -n 's/^pusat listening on \(http[^ ]*\).*/\1/p' "$pusat_dir/serve.log")
    [ -n "$url" ] && break
    sleep 0.2
done
[ -n "$url" ] || fail "pusat did not start: $(cat "$pusat_dir/serve.log")"
cp deploy/kiosk-install.sh "$root/tmp/kiosk-install.sh"
set +e
first=$(in_root /tmp/kiosk-install.sh --deb /tmp/loket.deb --server "$url" --code "$code" --counter 3 2>&1)
first_status=$?
second=$(in_root /tmp/kiosk-install.sh --deb /tmp/loket.deb --server "$url" --code "$code" --counter 3 2>&1)
second_status=$?
set -e
# Enrolled, pusat reached; the scanner and camera are still missing, so not ready (2).
[ "$first_status" = 2 ] || fail "kiosk-install exited $first_status, not 2: $first"
echo "$first" | grep -q "Terdaftar: JKS loket 3" || fail "kiosk-install did not enroll: $first"
grep -q '^sealed2:' "$root/var/lib/loket/device.key" || fail "device.key is kept in plain in the data folder"
echo "$first" | grep -q "✓ Pusat $url: terhubung" || fail "doctor did not reach pusat: $first"
[ "$second_status" = 2 ] || fail "the second run exited $second_status: $second"
echo "$second" | grep -q "Tidak ada yang berubah" || fail "the second run changed something: $second"
# The same code once more on a kiosk that lost its credential: used, and said so.
mv "$root/var/lib/loket/credential.json" "$pusat_dir/credential.json"
set +e
reused=$(in_root /tmp/kiosk-install.sh --deb /tmp/loket.deb --server "$url" --code "$code" 2>&1)
reused_status=$?
set -e
[ "$reused_status" = 3 ] || fail "a used code exited $reused_status, not 3: $reused"
echo "$reused" | grep -qi "sudah dipakai" || fail "a used code was not reported as used: $reused"
mv "$pusat_dir/credential.json" "$root/var/lib/loket/credential.json"

# An upgrade backs the database up before the new program touches it.
DEBIAN_FRONTEND=noninteractive in_root dpkg -i /tmp/loket.deb >/dev/null
ls "$root"/var/lib/loket/backups/loket-*/loket.db >/dev/null 2>&1 || fail "no backup before the upgrade"
[ -f "$root/var/lib/loket/loket.db" ] || fail "the upgrade lost the database"

# Removal keeps data and config; purge with no one to answer keeps the data too; purge
# answered "yes" deletes it.
DEBIAN_FRONTEND=noninteractive in_root dpkg --remove loket >/dev/null
[ -f "$root/var/lib/loket/loket.db" ] || fail "removal deleted the data"
DEBIAN_FRONTEND=noninteractive in_root dpkg --purge loket >/dev/null 2>&1
[ -f "$root/var/lib/loket/loket.db" ] || fail "purge deleted the data without asking"
DEBIAN_FRONTEND=noninteractive in_root dpkg -i /tmp/loket.deb >/dev/null
echo "loket loket/purge-data boolean true" | in_root debconf-set-selections
DEBIAN_FRONTEND=noninteractive in_root dpkg --purge loket >/dev/null 2>&1
[ ! -e "$root/var/lib/loket" ] || fail "purge answered yes kept the data"

# pusat's package: its user, its settings file private, its unit valid.
DEBIAN_FRONTEND=noninteractive in_root dpkg -i /tmp/pusat.deb >/dev/null
env_mode=$(in_root stat -c '%a %U %G' /etc/pusat/pusat.env)
[ "$env_mode" = "640 root pusat" ] || fail "/etc/pusat/pusat.env is '$env_mode'"
in_root systemd-analyze verify /usr/lib/systemd/system/pusat.service
in_root systemd-analyze security --offline=yes --threshold=50 /usr/lib/systemd/system/pusat.service \
    >/dev/null || fail "pusat.service is exposed above 5.0"
in_root pusat --help >/dev/null

echo "test-package.sh: both packages built, linted, installed and checked"
