#!/usr/bin/env bash
# The sandbox for npm users, tested from a fresh install: packs `bcpay-sandbox` and its
# platform package `@bcpay/sandbox-linux-x64` (holding BINARY, the portable sandbox the Python
# step builds: glibc 2.17), installs both with the packed `bcpay` into a new project, and there
# runs `npx bcpay-sandbox` and a payment against `startSandbox()`. Usage: pack-test.sh BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "$1")
# The first project must run the platform package's binary, whatever the caller's environment says.
unset BCPAY_SANDBOX_BIN
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/linux-x64" "$work/platform"
mkdir -p "$work/platform/bin" && cp "$binary" "$work/platform/bin/bcpay-sandbox" && chmod +x "$work/platform/bin/bcpay-sandbox"
tarballs=()
for dir in "$work/platform" "$here/bcpay-sandbox" "$here/.."; do
  tarballs+=("$work/$(cd "$dir" && npm pack --silent --pack-destination "$work" | tail -1)")
done
mkdir "$work/project"
cd "$work/project"
npm init -y >/dev/null
# --offline: the platform package comes from its tarball, never from a registry.
npm install --offline --no-audit --no-fund --silent "${tarballs[@]}"
# The command, as a user's scripts run it (the launcher passes SIGTERM on to the binary).
node_modules/.bin/bcpay-sandbox --port 0 > sandbox.log &
launcher=$!
trap 'kill $launcher 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q listening sandbox.log && break; sleep 0.1; done
url=$(sed -n 's/listening on //p' sandbox.log)
[ -n "$url" ] || { cat sandbox.log; echo "bcpay-sandbox did not start" >&2; exit 1; }
curl -sf "$url/__sandbox/ledger" >/dev/null
kill $launcher && wait $launcher 2>/dev/null || true
if pgrep -f "$work/project/node_modules/@bcpay/sandbox-linux-x64/bin/bcpay-sandbox" >/dev/null; then
  echo "the launcher left the sandbox running after SIGTERM" >&2; exit 1
fi
# The API, as a test suite uses it: a payment against a sandbox it started.
cat > pay.mjs <<'JS'
import { startSandbox, binaryPath } from "bcpay-sandbox";
import { Client } from "bcpay";
// The binary comes from the platform package, or from BCPAY_SANDBOX_BIN when that is set.
if (!binaryPath().includes(process.env.BCPAY_SANDBOX_BIN ?? "node_modules/@bcpay/sandbox-linux-x64/")) throw new Error(`binary from ${binaryPath()}`);
const sandbox = await startSandbox();
try {
  const c = new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: sandbox.url, paymentsBase: sandbox.url });
  const order = await c.createOrder({
    billingAddress: { firstName: "Jane", lastName: "Doe", street1: "1 Main St", city: "Austin", state: "Texas", zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com" },
    products: [{ name: "Poster", quantity: 1, priceIncTax: 40, priceExTax: 40 }],
  });
  const card = { type: "card", number: "4242424242424242", cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: "123" };
  const receipt = await c.pay(order.id, { instrument: card, paymentMethodId: "stripe.card" });
  const ledger = await (await fetch(`${sandbox.url}/__sandbox/ledger`)).json();
  const charges = ledger.orders.find((o) => o.order_id === order.id).charges.length;
  if (receipt.orderState !== "paid" || charges !== 1) throw new Error(`${receipt.orderState}, ${charges} charges`);
  console.log(`npm sandbox: paid order ${order.id} against ${sandbox.url}, charged once`);
} finally {
  sandbox.stop();
}
JS
node pay.mjs
# Without the platform package (as on a platform with no prebuilt binary): a clear error, then
# BCPAY_SANDBOX_BIN (a sandbox `pip install bcpay-sandbox` built from source) is the one run.
mkdir "$work/bare" && cd "$work/bare" && npm init -y >/dev/null
npm install --offline --omit=optional --no-audit --no-fund --silent "${tarballs[@]:1}"
[ ! -e node_modules/@bcpay/sandbox-linux-x64 ] || { echo "the platform package was installed" >&2; exit 1; }
cp ../project/pay.mjs .
refused=$(node -e 'import("bcpay-sandbox").then((m) => m.binaryPath())' 2>&1 || true)
grep -q "BCPAY_SANDBOX_BIN" <<<"$refused" || { echo "no binary, yet binaryPath() said: $refused" >&2; exit 1; }
BCPAY_SANDBOX_BIN="$work/platform/bin/bcpay-sandbox" node pay.mjs
echo "sandbox pack test passed: bcpay-sandbox and @bcpay/sandbox-linux-x64 install from their tarballs; the bcpay-sandbox command starts and stops; startSandbox() serves a payment; without the platform package, BCPAY_SANDBOX_BIN's binary does"
