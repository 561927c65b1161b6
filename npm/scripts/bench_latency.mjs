// Payment latency when each request costs a round trip: the sandbox waits 50 ms (`--latency-ms`)
// before each answer. One payment at a time; the variants interleaved in rounds in one run, so
// machine noise hits them alike. Prints each variant's median latency and its ratio to the
// hand-written three-call fetch flow (#17's goals: ≤ 0.70 unprepared, ≤ 0.40 prepared). "Prepared"
// times `pay` alone on an order `prepare`d beforehand (when the checkout opened): what the
// shopper waits for after pressing "pay".
//
//   node scripts/bench_latency.mjs      (after scripts/build.sh; the sandbox from target/debug)
import { Client } from "../dist/esm/index.js";
import { startSandbox, stopSandboxes } from "../test-support/sandbox.mjs";

const LATENCY_MS = 50;
const ROUNDS = 7;
const PER_ROUND = 10;
const base = await startSandbox(["--latency-ms", String(LATENCY_MS), "--payments-quota", "100000"]);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const settings = { storeHash: "abc123", apiToken: "sandbox-token", apiBase: base, paymentsBase: base };
const full = new Client(settings);
const knownMethod = new Client({ ...settings, flowOptions: { fetchMethods: false } });
const card = { type: "card", number: "4242424242424242", cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: "123" };
const payment = { instrument: card, paymentMethodId: "stripe.card" };
const newOrder = async () =>
  (await full.createOrder({
    customerId: 0,
    billingAddress: { firstName: "Jane", lastName: "Doe", street1: "1 Main St", city: "Austin", state: "Texas", zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com" },
    products: [{ name: "Poster", quantity: 1, priceIncTax: 10, priceExTax: 10 }],
  })).id;

const store = `${base}/stores/abc123`;
const auth = { "X-Auth-Token": "sandbox-token", Accept: "application/json" };
async function handWritten(orderId) {
  await (await fetch(`${store}/v3/payments/methods?order_id=${orderId}`, { headers: auth })).json();
  const token = await fetch(`${store}/v3/payments/access_tokens`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ order: { id: orderId } }) });
  const pat = (await token.json()).data.id;
  const paid = await fetch(`${store}/payments`, {
    method: "POST",
    headers: { Accept: "application/vnd.bc.v1+json", "Content-Type": "application/json", Authorization: `PAT ${pat}` },
    body: JSON.stringify({ payment: { instrument: { type: "card", number: "4242424242424242", cardholder_name: "Jane Doe", expiry_month: 12, expiry_year: 2030, verification_value: "123" }, payment_method_id: "stripe.card" } }),
  });
  if (paid.status !== 201) throw new Error(`hand-written flow got ${paid.status}`);
  await paid.json();
}

const variants = [
  ["hand-written fetch (3 calls)", handWritten],
  ["bcpay", (id) => full.pay(id, payment)],
  ["bcpay, fetchMethods: false", (id) => knownMethod.pay(id, payment)],
  ["bcpay prepared (pay only)", (id) => full.pay(id, payment), (id) => full.prepare(id)],
];
const ms = variants.map(() => []);
for (let i = 0; i < 3; i++) await full.pay(await newOrder(), payment); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < variants.length; k++) {
    const v = (k + round) % variants.length; // rotate which goes first
    const [, pay, before] = variants[v];
    for (let i = 0; i < PER_ROUND; i++) {
      const id = await newOrder();
      if (before) await before(id);
      const t0 = performance.now();
      await pay(id);
      ms[v].push(performance.now() - t0);
    }
  }
}
const hand = median(ms[0]);
console.log(`payment latency at ${LATENCY_MS} ms per request (median of ${ROUNDS * PER_ROUND} payments each, ${ROUNDS} interleaved rounds):`);
variants.forEach(([name], v) => console.log(`  ${name.padEnd(30)} ${median(ms[v]).toFixed(1).padStart(7)} ms   ${(median(ms[v]) / hand).toFixed(2)} of hand-written`));
stopSandboxes();
