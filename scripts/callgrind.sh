#!/usr/bin/env bash
# Instruction counts, by callgrind: repeatable where timings on this machine are not. A benchmark,
# not a test: it prints figures; nothing asserts them.
#   1. The core per payment flow (methods → token → process through a Session, canned responses).
#   2. Per payment over loopback, client and sandbox in one process: bcpay's Client::pay against
#      the hand-written reqwest flows, one call after another and with the methods and token
#      together as bcpay sends them (bindings/rust/benches/instructions.rs), and the ratios.
#   3. With --two-workers (~2 min more): the same per payment on the loopback bench's own two-worker
#      runtime (bindings/rust/benches/loopback.rs, two rounds of 600), with cachegrind's simulated
#      first-level cache misses and branch mispredictions: where the bench's timed gap is not
#      explained by instructions, these say whether it is memory.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
count() {
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$@" 2>&1 | awk '/Collected/ {print $NF}'
  rm -f "$out"
}
cargo build --quiet --release --locked -p bcpay-core --example flow_instructions
bin=target/release/examples/flow_instructions
base=$(count "$bin" 0)
many=$(count "$bin" 200)
echo "core, instructions per payment flow: $(( (many - base) / 200 ))"
bench=$(bench_executable instructions)
none=$(count "$bench" none 200)
sdk=$(( ($(count "$bench" sdk 200) - none) / 200 ))
hand=$(( ($(count "$bench" hand 200) - none) / 200 ))
together=$(( ($(count "$bench" together 200) - none) / 200 ))
echo "loopback, instructions per payment (client + sandbox): bcpay $sdk; hand-written reqwest $hand (ratio $(python3 -c "print(f'{$hand / $sdk:.3f}')")), with methods and token together $together (ratio $(python3 -c "print(f'{$together / $sdk:.3f}')"))"

[ "${1:-}" = --two-workers ] || exit 0
loopback=$(bench_executable loopback)
# Payments in the two rounds each flow runs (PER_ROUND in loopback.rs is 600).
payments=1200
# Prints "instructions I1-misses D1-misses mispredicts" of the loopback bench running flow $1.
simulate() {
  local out
  out=$(mktemp)
  BCPAY_BENCH_FLOW=$1 BCPAY_BENCH_ROUNDS=2 valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes --cachegrind-out-file="$out" "$loopback" >/dev/null 2>&1
  cg_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(/\([^)]*\)|,/, ""); print $1, $2, $5 + $8, $11 + $13; exit}'
  rm -f "$out"
}
read -r -a none <<<"$(simulate none)"
for flow in bcpay hand-written together; do
  read -r -a counts <<<"$(simulate "$flow")"
  per=()
  for i in 0 1 2 3; do per+=($(( (counts[i] - none[i]) / payments ))); done
  echo "two-worker loopback, per payment ($flow): ${per[0]} instructions, ${per[1]} I1 misses, ${per[2]} D1 misses, ${per[3]} mispredicted branches"
done
