#!/usr/bin/env bash
# Whose CPU time a loopback payment takes, sampled: perf's cpu-clock (a software event, so it works
# in a VM without hardware counters) on the Rust loopback bench built with frame pointers, one flow
# per run. Each sample goes to the code nearest the top of its stack that is bcpay's core, bcpay's
# client or another crate, so bcpay's figures include the malloc, copies and page faults its own
# code causes, and not the transport's work it awaits ("other crates" has the hand-written flows'
# own code too). Unlike callgrind's counts this includes cache misses; unlike a timing it says
# whose time it is.
# A benchmark, not a test: it prints figures; nothing asserts them.
#   bash scripts/profile.sh [repetitions, 2] [rounds per run, 30]
# Runs alternate flows and medians are printed. Totals of runs of one flow differ by up to ±10% on
# this machine; bcpay's own share within a run much less.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 1; }
repetitions=${1:-2}
rounds=${2:-30}
# Its own target directory: frame pointers change every crate's build.
export CARGO_TARGET_DIR=target/frame-pointers RUSTFLAGS="-C force-frame-pointers=yes"
bench=$(bench_executable loopback)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 0; r < repetitions; r++)); do
  for flow in none bcpay hand-written together; do
    BCPAY_BENCH_FLOW=$flow BCPAY_BENCH_ROUNDS=$rounds perf record -q -e cpu-clock -F 1000 -g -o "$out/data" "$bench" >/dev/null 2>&1
    perf script -i "$out/data" -F ip,sym 2>/dev/null >"$out/$flow.$r"
  done
done
# Payments per run: PER_ROUND (600) in loopback.rs, times the rounds.
python3 - "$out" "$repetitions" $((rounds * 600)) <<'EOF'
import re, statistics, sys
out, repetitions, payments = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
PARTS = ["bcpay core", "  of it reading JSON", "bcpay client", "other crates", "kernel, unattributed", "all"]
OTHER = re.compile(r"\b(reqwest|hyper|hyper_util|tokio|h2|http|http_body_util|mio|axum|tower|bcpay_sandbox|serde_json|url|bytes|futures_util|loopback)::")

def owner(frame):
    if "bcpay_core::" in frame:
        return "bcpay core"
    if "bcpay::" in frame:
        return "bcpay client"
    if OTHER.search(frame):
        return "other crates"
    return None

def samples(flow, r):
    counts = dict.fromkeys(PARTS, 0)
    # perf script: a stack is its frames (leaf first), one per line, then a blank line.
    for stack in open(f"{out}/{flow}.{r}").read().split("\n\n"):
        frames = [line.split(None, 1)[1] for line in stack.splitlines() if len(line.split(None, 1)) == 2]
        if not frames:
            continue
        # Kernel work, and samples with no crate on their stack: glibc keeps no frame pointers, so
        # a sample inside malloc can lose its caller (bcpay's figures are, if anything, low).
        part = next(filter(None, map(owner, frames)), "kernel, unattributed")
        counts[part] += 1
        counts["all"] += 1
        if part == "bcpay core" and any("bcpay_core::read::" in f or "FromJson" in f for f in frames):
            counts["  of it reading JSON"] += 1
    return counts

# Every run also makes its orders (through the bcpay client) and warms up: `none` is that alone.
per_payment = {}
for flow in ["bcpay", "hand-written", "together"]:
    runs = []
    for r in range(repetitions):
        paying, making = samples(flow, r), samples("none", r)
        # A sample is 1,000 µs of CPU (1,000 a second).
        runs.append({p: (paying[p] - making[p]) * 1000 / payments for p in PARTS})
    per_payment[flow] = {p: statistics.median(run[p] for run in runs) for p in PARTS}
print(f"CPU µs per loopback payment, client and sandbox (median of {repetitions} run(s) of {payments} payments; perf cpu-clock, 1 kHz)")
print(f"{'':22}" + "".join(f"{flow:>14}" for flow in per_payment))
for p in PARTS:
    print(f"{p:22}" + "".join(f"{per_payment[flow][p]:14.1f}" for flow in per_payment))
bcpay = per_payment["bcpay"]
own = bcpay["bcpay core"] + bcpay["bcpay client"]
# The share is what stays put when the machine's speed drifts between runs.
print(f"bcpay's own code: {own:.1f} µs per payment, {own / bcpay['all']:.1%} of its payment's CPU "
      f"({bcpay['  of it reading JSON'] / bcpay['all']:.1%} reading JSON); at 0.95 of a hand-written flow's "
      f"throughput, CPU-bound, bcpay may add {1 / 0.95 - 1:.1%} of that flow's CPU in all")
EOF
