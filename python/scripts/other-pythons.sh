#!/usr/bin/env bash
# The wheels users install, tested where billing scripts run: CPython 3.9 on Debian 11 (glibc
# 2.31) and CPython 3.13 on Debian 13, each in a Debian chroot kept outside the clone
# (BCPAY_PY_CHROOTS, default /var/cache/bcpay; built with debootstrap on first use, ~1.5 min
# each). In each: a fresh venv installs the manylinux2014 `bcpay` wheel and the `bcpay-sandbox`
# wheel (the sandbox's own command, as a package user gets it) from target/wheels, and runs the
# conformance vectors, host vectors, types, end-to-end, hostile, relay and batch tests against
# that installed sandbox. Needs root (chroot). Prints each Python's count and seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
base=${BCPAY_PY_CHROOTS:-/var/cache/bcpay}
[ "$(id -u)" = 0 ] || { echo "the Python chroots need root" >&2; exit 1; }
ls target/wheels/bcpay-*manylinux2014*.whl target/wheels/bcpay_sandbox-*.whl >/dev/null
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

ensure_chroot() {  # dir suite packages...
  local dir=$1 suite=$2; shift 2
  [ -x "$dir/usr/bin/python3" ] && return
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  rm -rf "$dir.tmp" && mkdir -p "$(dirname "$dir")"
  debootstrap --variant=minbase "$suite" "$dir.tmp" "$mirror" >/dev/null
  chroot "$dir.tmp" apt-get install -y -qq "$@" >/dev/null
  mv "$dir.tmp" "$dir"
}

mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

tests="tests/test_vectors.py tests/test_host_vectors.py tests/test_types.py tests/test_e2e.py tests/test_hostile.py tests/test_relay.py tests/test_batch.py"
summary=()
run_in() {  # dir
  local dir=$1 started log
  started=$(date +%s) log=$(mktemp)
  mkdir -p "$dir/src" "$dir/proc" "$dir/dev"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  # This machine's CA bundle: PyPI may be reached through a proxy with its own CA.
  cp /etc/ssl/certs/ca-certificates.crt "$dir/tmp/host-ca.crt"
  mount -t proc proc "$dir/proc" && mounts+=("$dir/proc")
  mount --bind /dev "$dir/dev" && mounts+=("$dir/dev")
  mount --bind "$root" "$dir/src" && mounts+=("$dir/src")
  # PyPI for httpx and pytest; the wheels from the checkout. Tests run from outside the source tree.
  if ! chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin PIP_CERT=/tmp/host-ca.crt SSL_CERT_FILE=/tmp/host-ca.crt bash -euc "
      rm -rf /tmp/venv && python3 -m venv /tmp/venv
      /tmp/venv/bin/pip install --quiet --disable-pip-version-check /src/target/wheels/bcpay-*manylinux2014*.whl /src/target/wheels/bcpay_sandbox-*.whl 'httpx>=0.24' pytest
      cd /tmp && /tmp/venv/bin/python -c 'import bcpay, sys; assert \"site-packages\" in bcpay.__file__; print(sys.version.split()[0], bcpay.__version__)'
      cd /src/python && BCPAY_SANDBOX_BIN=/tmp/venv/bin/bcpay-sandbox /tmp/venv/bin/python -m pytest -q -p no:cacheprovider $tests
    " >"$log" 2>&1; then
    cat "$log" >&2
    echo "the Python tests failed in $dir" >&2
    exit 1
  fi
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  mounts=()
  local version passed glibc
  # (awk, not `| head`: a pipe closed early is an error under pipefail)
  version=$(awk '/^[0-9]+\.[0-9]+/ {print $1; exit}' "$log")
  passed=$(awk '/[0-9]+ passed/ {for (i = 1; i < NF; i++) if ($(i + 1) ~ /^passed/) n = $i} END {print n " passed"}' "$log")
  glibc=$(chroot "$dir" ldd --version | awk 'NR == 1 {print $NF}')
  summary+=("CPython $version on glibc $glibc: $passed in $(( $(date +%s) - started )) s")
  rm -f "$log"
}

ensure_chroot "$base/py39-bullseye" bullseye python3 python3-venv python3-pip
run_in "$base/py39-bullseye"
ensure_chroot "$base/py313-trixie" trixie python3 python3-venv
run_in "$base/py313-trixie"
printf '%s\n' "${summary[@]}"
