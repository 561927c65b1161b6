#!/usr/bin/env bash
# Builds the Swift package and runs `swift test` against the Rust library built here: with the
# `swift` on PATH where there is one (macOS, a Swift machine), otherwise inside a Debian 13
# (trixie) chroot with Debian's Swift 6.0.3, kept outside the clone (BCPAY_SWIFT_CHROOT, default
# /var/cache/bcpay/swift-trixie) so a warm machine reuses it. Needs root for the chroot.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

cargo build --quiet --locked -p bcpay-uniffi -p bcpay-sandbox -p bcpay-cli
libdir=$root/target/debug

# The committed bindings are exactly what uniffi-bindgen makes of the current library.
fresh=$(mktemp -d)
bash swift/scripts/generate.sh "$fresh"
for f in BcpayFFI/BcpayFFI.swift BcpayFFIC/BcpayFFIC.h; do
  cmp -s "$fresh/$f" "swift/Sources/$f" || { echo "swift/Sources/$f is stale: run bash swift/scripts/generate.sh" >&2; exit 1; }
done
rm -rf "$fresh"

# The library in Swift 6 language mode, any warning an error; then the tests (XCTest on Linux
# does not yet build its discovered tests in Swift 6 mode) with complete concurrency checking.
SWIFT6="-Xswiftc -swift-version -Xswiftc 6 -Xswiftc -warnings-as-errors"
if command -v swift >/dev/null 2>&1; then
  (cd swift && export BCPAY_RUST_LIB_DIR="$libdir" LD_LIBRARY_PATH="$libdir" DYLD_LIBRARY_PATH="$libdir" BCPAY_SANDBOX_BIN="$libdir/bcpay-sandbox" BCPAY_APP_SERVER_BIN="$libdir/bcpay" \
    && swift build --target Bcpay $SWIFT6 && swift test -Xswiftc -strict-concurrency=complete "$@")
  exit
fi

chroot_dir=${BCPAY_SWIFT_CHROOT:-/var/cache/bcpay/swift-trixie}
if [ ! -L "$chroot_dir/usr/bin/swift" ] && [ ! -e "$chroot_dir/usr/bin/swift" ]; then
  [ "$(id -u)" = 0 ] || { echo "no swift on PATH, and building the Swift chroot needs root" >&2; exit 1; }
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  rm -rf "$chroot_dir.tmp" && mkdir -p "$(dirname "$chroot_dir")"
  debootstrap --variant=minbase trixie "$chroot_dir.tmp" "$mirror" >/dev/null
  chroot "$chroot_dir.tmp" apt-get install -y -qq swiftlang >/dev/null
  mv "$chroot_dir.tmp" "$chroot_dir"
fi

# The checkout appears at /src inside the chroot; every mount is undone however this ends. The
# whole build and test run is bounded (it takes ~2 minutes): whatever hangs fails CI in time.
mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mkdir -p "$chroot_dir/src" "$chroot_dir/proc" "$chroot_dir/dev"
mount -t proc proc "$chroot_dir/proc" && mounts+=("$chroot_dir/proc")
mount --bind /dev "$chroot_dir/dev" && mounts+=("$chroot_dir/dev")
mount --bind "$root" "$chroot_dir/src" && mounts+=("$chroot_dir/src")
timeout --kill-after=30 1200 chroot "$chroot_dir" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin \
  BCPAY_RUST_LIB_DIR=/src/target/debug LD_LIBRARY_PATH=/src/target/debug BCPAY_SANDBOX_BIN=/src/target/debug/bcpay-sandbox BCPAY_APP_SERVER_BIN=/src/target/debug/bcpay \
  SWIFT6="$SWIFT6" bash -c 'cd /src/swift && swift build --target Bcpay $SWIFT6 2>&1 && swift test -Xswiftc -strict-concurrency=complete "$@" 2>&1' swift-test "$@"
