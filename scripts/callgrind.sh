#!/usr/bin/env bash
# Instructions the core spends per payment flow (methods → token → process through a Session,
# canned responses), counted by callgrind: repeatable where timings on this machine are not.
# A benchmark, not a test: prints the figure; nothing asserts it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --quiet --release --locked -p bcpay-core --example flow_instructions
bin=target/release/examples/flow_instructions
count() {
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" 2>&1 | awk '/Collected/ {print $NF}'
  rm -f "$out"
}
base=$(count 0)
many=$(count 200)
echo "instructions per payment flow (core, callgrind): $(( (many - base) / 200 ))"
