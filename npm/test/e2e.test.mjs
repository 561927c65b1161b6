// End to end: the npm package over real HTTP (fetch) against the sandbox, which the test starts
// and stops. BCPAY_SANDBOX_BIN overrides where the sandbox binary is.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { startSandbox, stopSandboxes } from "../test-support/sandbox.mjs";
import { readFileSync } from "node:fs";
import { Client, BcpayError, toCamel } from "../dist/esm/index.js";

let base;
before(async () => {
  base = await startSandbox();
});
after(stopSandboxes);

const clientFor = (b, extra = {}) => new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: b, paymentsBase: b, ...extra });
const card = (number, cvv = "123") => ({ type: "card", number, cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: cvv });

async function order(c, customerId = 0, price = 40) {
  const o = await c.createOrder({
    customerId,
    billingAddress: { firstName: "Jane", lastName: "Doe", street1: "1 Main St", city: "Austin", state: "Texas", zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com" },
    products: [{ name: "Poster", quantity: 1, priceIncTax: price, priceExTax: price }],
  });
  assert.equal(o.statusId, 0);
  return o.id;
}

async function ledgerCharges(b, orderId) {
  const ledger = await (await fetch(`${b}/__sandbox/ledger`)).json();
  return ledger.orders.find((o) => o.order_id === orderId)?.charges.length ?? 0;
}

test("every instrument type", async () => {
  const c = clientFor(base);
  let id = await order(c);
  let r = await c.pay(id, { instrument: card("4242424242424242"), paymentMethodId: "stripe.card" });
  assert.equal(r.payments[0].transactionType, "purchase");
  assert.equal((await c.getOrder(id)).statusId, 11);

  id = await order(c, 11);
  const methods = await c.getPaymentMethods({ orderId: id });
  const stored = (method, type, email) => methods.find((m) => m.id === method).storedInstruments.find((s) => s.type === type && (!email || s.email === email)).token;
  await c.pay(id, { instrument: { type: "stored_card", token: stored("stripe.card", "stored_card"), verificationValue: "123" }, paymentMethodId: "stripe.card" });

  id = await order(c, 11);
  await c.pay(id, { instrument: { type: "stored_paypal_account", token: stored("braintree.paypal", "stored_paypal_account", "jane@example.com") }, paymentMethodId: "braintree.paypal" });

  id = await order(c, 11);
  r = await c.pay(id, { instrument: { type: "stored_bank_account", token: stored("braintree.ach", "stored_bank_account") }, paymentMethodId: "braintree.ach" });
  assert.equal(r.payments[0].status, "pending");

  id = await order(c, 0, 80);
  r = await c.pay(id, [
    { instrument: { type: "gift_certificate", giftCertificateCode: "GC-25-OFF" }, paymentMethodId: "bigcommerce.gift_certificate" },
    { instrument: card("5555555555554444"), paymentMethodId: "stripe.card" },
  ]);
  assert.equal(r.payments.length, 2);
  const tx = await c.getTransactions(id);
  assert.deepEqual(tx.map((t) => [t.method, t.amount]), [["gift_certificate", "25.00"], ["credit_card", "55.00"]]);

  id = await order(c, 11, 40);
  r = await c.pay(id, [{ instrument: { type: "store_credit" }, paymentMethodId: "bigcommerce.store_credit" }, { instrument: card("4242424242424242"), paymentMethodId: "stripe.card" }]);
  assert.equal(r.payments[0].paymentMethodId, "bigcommerce.store_credit");

  id = await order(c);
  await c.pay(id, { instrument: { type: "tokenized_card", token: "K7KW-M9GX-6PQ3", iin: "4111111", lastFourDigits: "1111", expirationMonth: "12", expirationYear: "2030" }, paymentMethodId: "bolt.card" });
});

test("declines are BcpayErrors with shopper message and remedy", async () => {
  const c = clientFor(base);
  const cases = [["4000000000000002", "declined", 30102], ["4000000000000069", "declined", 30103], ["4000000000009995", "declined", 30106], ["4000000000000259", "duplicate_payment", 30105]];
  for (const [number, kind, code] of cases) {
    const id = await order(c);
    await assert.rejects(c.pay(id, { instrument: card(number), paymentMethodId: "stripe.card" }), (e) => {
      assert.ok(e instanceof BcpayError && e instanceof Error);
      assert.equal(e.name, kind === "declined" ? "DeclinedError" : "DuplicatePaymentError");
      assert.equal(e.kind, kind);
      assert.equal(e.code, code);
      assert.ok(e.shopperMessage.length > 0 && e.remedy.length > 0);
      assert.deepEqual(e.retry, { type: "never" });
      return true;
    });
    assert.equal(await ledgerCharges(base, id), 0);
  }
});

test("validation errors never reach the network", async () => {
  let sent = 0;
  const c = clientFor(base, { transport: async () => { sent++; throw new Error("unreachable"); } });
  await assert.rejects(c.pay(215, { instrument: card("4242424242424241", "12"), paymentMethodId: "stripe" }), (e) => e.kind === "validation" && e.fieldErrors.length === 3);
  assert.equal(sent, 0);
});

test("a timeout after the gateway charged is reconciled, charged once", async () => {
  const c = clientFor(base);
  const id = await order(c);
  await fetch(`${base}/__sandbox/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ slow: 1, slow_ms: 800 }) });
  try {
    const impatient = clientFor(base, { timeoutMs: 200, flowOptions: { reconcileDelayMs: 50 } });
    const r = await impatient.pay(id, { instrument: card("4242424242424242"), paymentMethodId: "stripe.card" });
    assert.equal(r.payments[0].reconciled, true);
  } finally {
    await fetch(`${base}/__sandbox/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  }
  assert.equal(await ledgerCharges(base, id), 1);
});

test("connection refused is not_sent, and keeps its cause", async () => {
  // A port that was just free: nothing listens there.
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  await new Promise((r) => server.close(r));
  const c = clientFor(`http://127.0.0.1:${port}`, { flowOptions: { maxAttempts: 2, backoffBaseMs: 1 } });
  const failures = [];
  c.on("transport_failure", (e) => failures.push(e));
  // The runtime's words: Node says ECONNREFUSED, Deno and Bun their own; each says it after the failure.
  const refused = (e) => e.kind === "transport" && e.detail.startsWith("transport failure: not_sent (") && e.detail.length > "transport failure: not_sent ()".length;
  await assert.rejects(c.getOrder(1), refused);
  await assert.rejects(c.pay(5, { instrument: card("4242424242424242"), paymentMethodId: "stripe.card" }), refused);
  // The payment's token went out beside its methods (and failed too); once the methods' last
  // attempt failed, the payment ended.
  assert.deepEqual(failures.map((f) => f.endpoint), ["get_order", "get_order", "get_payment_methods", "create_payment_access_token", "get_payment_methods"]);
  assert.ok(failures.every((f) => f.failure === "not_sent" && f.cause && f.requestId && f.endpoint), JSON.stringify(failures));
});

test("rate limit: no 429 reaches the caller", async () => {
  const b = await startSandbox(["--payments-quota", "5", "--payments-window-ms", "500"]);
  const c = clientFor(b, { rateLimit: { paymentsQuota: 5, paymentsWindowMs: 500 }, flowOptions: { fetchMethods: false } });
  const ids = [];
  for (let i = 0; i < 20; i++) ids.push(await order(c));
  const started = Date.now();
  const results = await Promise.all(ids.map((id) => c.pay(id, { instrument: card("4242424242424242"), paymentMethodId: "stripe.card" })));
  assert.equal(results.length, 20);
  const ledger = await (await fetch(`${b}/__sandbox/ledger`)).json();
  assert.equal(ledger.faults_injected.rate_limited_429 ?? 0, 0);
  // 20 payments at 5 per 500 ms need at least three further windows.
  assert.ok(Date.now() - started >= 1500);
});

test("capture, void, refunds, stored instruments", async () => {
  const c = clientFor(base);
  const id = await order(c, 0, 100);
  const r = await c.pay(id, { instrument: card("4242424242424242"), paymentMethodId: "authorizenet.card" });
  assert.equal(r.payments[0].transactionType, "authorization");
  await c.capture(id);
  assert.equal((await c.getOrder(id)).paymentStatus, "captured");
  const quote = await c.createRefundQuote(id, [{ itemType: "ORDER", itemId: id, amount: 30 }]);
  assert.equal(quote.totalRefundAmount, "30.00");
  const refund = await c.createRefund(id, { items: [{ itemType: "ORDER", itemId: id, amount: 30 }], payments: [{ providerId: quote.refundMethods[0][0].providerId, amount: 30 }] });
  assert.equal(refund.totalAmount, "30.00");
  assert.equal((await c.listRefunds(id)).length, 1);
  const id2 = await order(c, 0, 50);
  await c.pay(id2, { instrument: card("4242424242424242"), paymentMethodId: "authorizenet.card" });
  await c.void(id2);
  const instruments = await c.getStoredInstruments(11);
  assert.equal(instruments[0].type, "stored_card");
  const token = await c.createAccessToken(await order(c));
  assert.equal(JSON.stringify(token).includes(token.expose()), false);
  assert.equal(token.claims.iss, "payments.bigcommerce.com");
});

test("documented codes from the sandbox's trigger cards and orders (shared with every host)", async () => {
  const { base_order: baseOrder, cases } = JSON.parse(readFileSync(new URL("../../tests/sandbox/documented_codes.json", import.meta.url), "utf8"));
  const c = clientFor(base, { flowOptions: { backoffBaseMs: 1, backoffCapMs: 5 } });
  for (const { name, order: extra, payment, expect } of cases) {
    // The triggers are sandbox fields, not bcpay inputs: the order is created over plain HTTP.
    const body = { ...baseOrder, ...extra };
    const created = await (await fetch(`${base}/stores/abc123/v2/orders`, { method: "POST", headers: { "content-type": "application/json", "x-auth-token": "sandbox-token" }, body: JSON.stringify(body) })).json();
    await assert.rejects(c.pay(created.id, toCamel(payment)), (e) => {
      assert.ok(e instanceof BcpayError, name);
      assert.deepEqual([e.kind, e.code, e.retry.type], [expect.kind, expect.code, expect.retry], `${name}: ${e.message}`);
      assert.equal(e.shopperMessage, expect.shopper_message, name);
      return true;
    });
    assert.equal(await ledgerCharges(base, created.id), expect.charged, name);
  }
});

test("a client with no settings reads BCPAY_* from the environment; explicit settings win", async () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { BCPAY_STORE_HASH: "abc123", BCPAY_API_TOKEN: "sandbox-token", BCPAY_API_BASE: base, BCPAY_PAYMENTS_BASE: base });
    const fromEnv = new Client();
    const id = await order(fromEnv);
    assert.equal((await fromEnv.pay(id, { instrument: card("4242424242424242"), paymentMethodId: "stripe.card" })).orderState, "paid");
    // An explicit base wins over the environment's (this one refuses plain http off loopback).
    assert.throws(() => new Client({ apiBase: "http://example.com" }), (e) => e instanceof BcpayError && e.name === "ConfigurationError");
    delete process.env.BCPAY_API_TOKEN;
    assert.throws(() => new Client(), (e) => e instanceof BcpayError && e.fieldErrors[0].path === "apiToken");
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});
