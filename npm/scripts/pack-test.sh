#!/usr/bin/env bash
# npm pack, install the tarball into a fresh project, run the JS examples (ESM against a running
# sandbox, CommonJS) and `tsc --strict --noEmit` on the TypeScript example.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
bin=${BCPAY_SANDBOX_BIN:-$here/../target/debug/bcpay-sandbox}
tarball=$(npm pack --silent | tail -1)
project=$(mktemp -d)
trap 'rm -rf "$project"; kill $sandbox_pid 2>/dev/null || true' EXIT
cp examples/example.mjs examples/example.cjs examples/example.ts "$project/"
(cd "$project" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "$here/$tarball" "$here/node_modules/typescript" "$here/node_modules/@types/node")
rm -f "$tarball"
"$bin" --port 0 > "$project/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 50); do grep -q listening "$project/sandbox.log" && break; sleep 0.1; done
url=$(sed -n 's/listening on //p' "$project/sandbox.log")
(cd "$project" && node example.mjs "$url" && node example.cjs)
# The app entry resolves from the tarball, as ESM and as CommonJS.
(cd "$project" && node --input-type=module -e 'import { checkCard } from "bcpay/app"; if (checkCard({ number: "4" }).brand !== "VISA") process.exit(1);' \
  && node -e 'if (require("bcpay/app").checkCard({ number: "34" }).brand !== "AMEX") process.exit(1);' \
  && node --input-type=module -e 'import { checkCard } from "bcpay/app-js"; if (checkCard({ number: "5019" }).brand !== "DANKORT") process.exit(1);')
(cd "$project" && node_modules/.bin/tsc --strict --noEmit --module nodenext --moduleResolution nodenext --target es2022 --types node example.ts)
echo "pack test passed: tarball installs, ESM and CJS run (bcpay and bcpay/app; bcpay/app-js as ESM), TypeScript example type-checks"
