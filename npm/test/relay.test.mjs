// The relay end to end: the app entry (bcpay/app: no token, no Node API) posts to a merchant
// endpoint on node:http that pays with Client.payFromApp against the sandbox; and the relay
// vectors (tests/vectors/relay.json) through the app entry.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { startSandbox, stopSandboxes } from "../test-support/sandbox.mjs";
import { Client } from "../dist/esm/index.js";
import * as app from "../dist/esm/app.js";

let base, client, server, payUrl;
let served = 0;

// The merchant's endpoint, in full (the README shows the same).
function merchantEndpoint(client) {
  return createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    served++;
    const outcome = await client.payFromApp(body);
    body.fill(0); // it held card data
    res.writeHead(200, { "Content-Type": "application/json" }).end(outcome);
  });
}

before(async () => {
  base = await startSandbox();
  client = new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: base, paymentsBase: base, flowOptions: { settleWindowMs: 600, reconcileDelayMs: 100 } });
  server = merchantEndpoint(client);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  payUrl = `http://127.0.0.1:${server.address().port}/pay`;
});
after(() => {
  server.close();
  stopSandboxes();
});

const card = (number, cvv = "123") => ({ paymentMethodId: "stripe.card", instrument: { type: "card", number, cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: cvv } });

async function order(customerId = 0) {
  const o = await client.createOrder({
    customerId,
    billingAddress: { firstName: "Jane", lastName: "Doe", street1: "1 Main St", city: "Austin", state: "Texas", zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com" },
    products: [{ name: "Poster", quantity: 1, priceIncTax: 30, priceExTax: 30 }],
  });
  return o.id;
}

async function charges(orderId) {
  const ledger = await (await fetch(`${base}/__sandbox/ledger`)).json();
  return ledger.orders.find((o) => o.order_id === orderId)?.charges.length ?? 0;
}

test("a card, a stored card, a decline and an ambiguous outcome through the server", async () => {
  let id = await order();
  const methods = await client.getPaymentMethods({ orderId: id });
  const check = app.checkCard({ number: "4242 4242 4242 4242", cardholderName: "Jane Doe", expiryMonth: "12", expiryYear: "30", verificationValue: "123" }, { acceptedMethods: methods });
  assert.equal(check.complete, true);
  assert.equal(check.paymentMethodId, "stripe.card");
  const receipt = await app.payThroughServer(payUrl, id, card("4242424242424242"), { timeBudgetMs: 30_000 });
  assert.equal(receipt.orderId, id);
  assert.equal(await charges(id), 1);

  id = await order(11);
  const token = (await client.getPaymentMethods({ orderId: id }))[0].storedInstruments[0].token;
  await app.payThroughServer(payUrl, id, { paymentMethodId: "stripe.card", instrument: { type: "stored_card", token, verificationValue: "123" } });

  id = await order();
  await assert.rejects(app.payThroughServer(payUrl, id, card("4000000000009995")), (e) => {
    assert.ok(e instanceof app.DeclinedError, String(e));
    assert.equal(e.code, 30106);
    assert.match(e.shopperMessage, /insufficient funds/);
    return true;
  });

  id = await order();
  await assert.rejects(app.payThroughServer(payUrl, id, card("4000000000003063")), (e) => {
    assert.ok(e instanceof app.AmbiguousOutcomeError, String(e));
    assert.equal(e.retry.type, "reconcile");
    return true;
  });
  assert.equal(await charges(id), 0);
});

test("a bad card is caught on the device and nothing is sent", async () => {
  const before = served;
  const check = app.checkCard({ number: "4242 4242 4242 4241 111", cardholderName: "Jane Doe", expiryMonth: "12", expiryYear: "30", verificationValue: "123" });
  assert.equal(check.fields.find((f) => f.field === "number").state, "invalid");
  await assert.rejects(app.payThroughServer(payUrl, 215, card("4242424242424241")), (e) => {
    assert.ok(e instanceof app.ValidationError);
    assert.deepEqual(e.fieldErrors.map((f) => [f.path, f.code]), [["payment.instrument.number", "luhn_check_failed"]]);
    return true;
  });
  assert.equal(served, before);
});

test("the server refuses what an app may not ask, and a request that never left is not ambiguous", async () => {
  const id = await order();
  const sneaky = JSON.stringify({ type: "bcpay.payment_request", version: 1, order_id: id, payments: [], options: { resend_when_unrecorded: true } });
  const outcome = await client.payFromApp(sneaky);
  assert.throws(() => app.readOutcome(outcome), (e) => e instanceof app.ValidationError && e.fieldErrors[0].path === "options.resendWhenUnrecorded");
  const other = await client.payFromApp(app.paymentRequest(id + 1000, card("4242424242424242")), { expectOrderId: id });
  assert.throws(() => app.readOutcome(other), (e) => e.fieldErrors[0].code === "order_mismatch");
  await assert.rejects(client.payFromApp(42), (e) => e instanceof app.ValidationError && e.fieldErrors[0].path === "body");
  assert.ok(app.outcomeOfFailure("not_sent") instanceof app.NoResponseError);
  assert.ok(app.outcomeOfFailure() instanceof app.AmbiguousOutcomeError);
});

test("request bodies and checks show no card data in their text forms", () => {
  const body = app.paymentRequest(215, card("4242424242424242", "987"));
  assert.match(new TextDecoder().decode(body), /4242424242424242/);
  const check = JSON.stringify(app.checkCard({ number: "4242424242424242", cardholderName: "Jane Doe", expiryMonth: "12", expiryYear: "30", verificationValue: "987" }));
  assert.doesNotMatch(check, /4242424242424242|987/);
});

// -------------------------------------------------------------------------------------------------
// The relay vectors through the app entry
// -------------------------------------------------------------------------------------------------
const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/relay.json", import.meta.url), "utf8"));
const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const camelObject = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));

test("relay vectors: card forms", () => {
  assert.ok(vectors.card_form.length >= 30);
  for (const c of vectors.card_form) {
    const methods = c.methods ? JSON.parse(JSON.stringify(c.methods).replace(/"([a-z0-9_]+)":/g, (_, k) => `"${camel(k)}":`)) : undefined;
    const check = app.checkCard(camelObject(c.form), { acceptedMethods: methods, nowMs: c.now_ms });
    for (const [field, state] of Object.entries(c.expect.fields)) {
      const f = check.fields.find((x) => x.field === camel(field));
      assert.equal(f.state + (f.code ? `:${f.code}` : ""), state, `${c.name}: ${field}`);
    }
    for (const [key, want] of Object.entries(c.expect)) {
      if (key !== "fields") assert.deepEqual(check[camel(key)], want, `${c.name}: ${key}`);
    }
  }
});

test("relay vectors: outcomes", () => {
  assert.ok(vectors.read_outcome.length >= 10);
  for (const c of vectors.read_outcome) {
    const body = c.body_text ?? JSON.stringify(c.body);
    let receipt, error;
    try {
      receipt = app.readOutcome(body);
    } catch (e) {
      error = e;
    }
    if (c.expect.ok) {
      assert.equal(error, undefined, c.name);
      assert.equal(receipt.orderId, c.expect.ok.order_id, c.name);
      assert.equal(receipt.payments.length, c.expect.ok.payments.length, c.name);
    } else {
      assert.ok(error instanceof app.BcpayError, `${c.name}: ${error}`);
      for (const [key, want] of Object.entries(c.expect.error)) {
        if (key === "field_errors") assert.deepEqual(error.fieldErrors.map((f) => [f.path, f.code]), want.map((f) => [camel(f.path), f.code]), c.name);
        else assert.deepEqual(error[camel(key)], want, `${c.name}: ${key}`);
      }
    }
  }
});

test("relay vectors: request envelopes a server reads (through payFromApp)", async () => {
  const { TransportError } = await import("../dist/esm/index.js");
  // No network: an accepted envelope starts the flow, whose first request then finds no server.
  const offline = new Client({ storeHash: "abc123", apiToken: "t", flowOptions: { maxAttempts: 1 }, transport: async () => {
    throw new TransportError("not_sent", "offline");
  } });
  assert.ok(vectors.read_request.length >= 15);
  for (const c of vectors.read_request) {
    const body = c.body_text ?? JSON.stringify(c.body);
    const outcome = JSON.parse(await offline.payFromApp(body));
    assert.equal(outcome.status, "failed", c.name);
    if (c.expect.ok) {
      assert.equal(outcome.error.kind, "transport", `${c.name}: ${outcome.error.message}`);
    } else {
      assert.equal(outcome.error.kind, "validation", c.name);
      assert.deepEqual(outcome.error.field_errors.map((f) => [f.path, f.code]).sort(), c.expect.error.field_errors.map((f) => [f.path, f.code]).sort(), c.name);
    }
  }
});
