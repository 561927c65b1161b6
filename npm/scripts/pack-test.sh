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
# The Workers entry ships with the module file it imports (test-support/workerd.test.mjs runs it).
for f in dist/esm/workerd.js dist/esm/workerd.d.ts dist/esm/generated/bcpay_wasm.wasm; do
  [ -f "$project/node_modules/bcpay/$f" ] || { echo "the tarball lacks $f" >&2; exit 1; }
done
"$bin" --port 0 > "$project/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 50); do grep -q listening "$project/sandbox.log" && break; sleep 0.1; done
url=$(sed -n 's/listening on //p' "$project/sandbox.log")
(cd "$project" && node example.mjs "$url" && node example.cjs)
# The app entry resolves from the tarball, as ESM and as CommonJS.
(cd "$project" && node --input-type=module -e 'import { checkCard } from "bcpay/app"; if (checkCard({ number: "4" }).brand !== "VISA") process.exit(1);' \
  && node -e 'if (require("bcpay/app").checkCard({ number: "34" }).brand !== "AMEX") process.exit(1);' \
  && node --input-type=module -e 'import { checkCard } from "bcpay/app-js"; if (checkCard({ number: "5019" }).brand !== "DANKORT") process.exit(1);')
# The billing entry resolves too (ESM and CommonJS) and pays under a journal that needs no
# database: one order of the running sandbox, then skipped from the record it kept.
(cd "$project" && node --input-type=module -e '
import { Client, payJournaled } from "bcpay/billing";
const url = process.argv[1];
const c = new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: url, paymentsBase: url });
const records = new Map();
const journal = { get: (o) => records.get(o), put: (o, s, r) => records.set(o, r) };
const order = await c.createOrder({ customerId: 0, billingAddress: { firstName: "J", lastName: "D", street1: "1", city: "A", state: "T", zip: "1", country: "US", countryIso2: "US", email: "j@d.com" }, products: [{ name: "P", quantity: 1, priceIncTax: 5, priceExTax: 5 }] });
const payment = { instrument: { type: "gift_certificate", giftCertificateCode: "GC-500" }, paymentMethodId: "bigcommerce.gift_certificate" };
const first = await payJournaled(c, order.id, payment, journal);
const again = await payJournaled(c, order.id, payment, journal);
if (first.state !== "paid" || !again.skipped) process.exit(1);
' "$url" && node -e 'if (typeof require("bcpay/billing").Batch !== "function") process.exit(1);')
(cd "$project" && node_modules/.bin/tsc --strict --noEmit --module nodenext --moduleResolution nodenext --target es2022 --types node example.ts)
echo "pack test passed: tarball installs, ESM and CJS run (bcpay, bcpay/app and bcpay/billing; bcpay/app-js as ESM), the Workers entry ships with its module, TypeScript example type-checks"
