// The hostile world (tests/hostile/scenarios.json) against the npm client and its default fetch
// transport: each scenario on its own sandbox process, all at once. Plus the inputs JavaScript
// would coerce (order ids, timeouts, misspelled options), which must be typed errors.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startSandbox, stopSandboxes } from "../test-support/sandbox.mjs";
import { Client, BcpayError, fetchTransport, toCamel } from "../dist/esm/index.js";

const world = JSON.parse(readFileSync(new URL("../../tests/hostile/scenarios.json", import.meta.url), "utf8"));
after(stopSandboxes);

const clientFor = (base, extra = {}) => new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: base, paymentsBase: base, ...extra });
const admin = async (base, path, body) =>
  (await fetch(`${base}/__sandbox/${path}`, body ? { method: "POST", body: JSON.stringify(body) } : undefined)).json();

async function newOrder(c) {
  const o = await c.createOrder({
    customerId: 0,
    billingAddress: { firstName: "Jane", lastName: "Doe", street1: "1 Main St", city: "Austin", state: "Texas", zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com" },
    products: [{ name: "Poster", quantity: 1, priceIncTax: 20, priceExTax: 20 }],
  });
  return o.id;
}

/** The server-provided text an error keeps, where an echoed secret would land. */
const serverTexts = (e) => [e.title, e.detail ?? "", ...e.fieldErrors.flatMap((f) => [f.path, f.description])].join(" ");

async function run(scenario) {
  const { expect } = scenario;
  const base = await startSandbox();
  const id = await newOrder(clientFor(base));
  const before = (await admin(base, "ledger")).requests;
  await admin(base, "faults", scenario.faults);
  const c = clientFor(base, { timeoutMs: scenario.timeout_ms ?? 10_000, flowOptions: toCamel(scenario.options ?? {}) });
  const events = [];
  c.on("event", (e) => events.push(JSON.stringify(e)));
  const started = performance.now();
  let receipt, error;
  try {
    receipt = await c.pay(id, toCamel(world.payment));
  } catch (e) {
    error = e;
  }
  const seconds = (performance.now() - started) / 1000;
  await admin(base, "faults", {});
  const ledger = await admin(base, "ledger");
  const where = scenario.name;
  if (expect.outcome === "paid") {
    assert.ok(receipt, `${where}: expected paid, got ${error}`);
    if ("reconciled" in expect) assert.equal(receipt.payments[0].reconciled, expect.reconciled, where);
  } else {
    assert.ok(error instanceof BcpayError, `${where}: expected a BcpayError, got ${receipt ? "a receipt" : error}`);
    assert.equal(error.kind, expect.kind, `${where}: ${error.message}`);
    if ("status" in expect) assert.equal(error.status, expect.status, where);
    if ("retry_after_ms" in expect) {
      assert.equal(error.retry.type, "after", where);
      assert.ok(error.retry.ms <= expect.retry_after_ms && error.retry.ms + 1000 >= expect.retry_after_ms, `${where}: retry ${error.retry.ms}`);
    }
    const texts = serverTexts(error);
    for (const s of world.secrets) {
      assert.ok(!texts.includes(s), `${where}: a secret leaked into the error: ${texts}`);
      if (s.length > 3) assert.ok(!String(error).includes(s) && !JSON.stringify(error).includes(s), `${where}: a secret leaked`);
    }
  }
  // Every event the listener heard, whole, holds no secret either.
  assert.ok(events.length > 0, `${where}: the listener heard no event`);
  for (const s of world.secrets.filter((s) => s.length > 3)) {
    const leak = events.find((e) => e.includes(s));
    assert.ok(!leak, `${where}: a secret leaked in an event: ${leak}`);
  }
  const charges = ledger.orders.find((o) => o.order_id === id)?.charges.length ?? 0;
  assert.equal(charges, expect.charges, `${where}: charges`);
  assert.equal(ledger.double_charges, 0, `${where}: double charges`);
  assert.equal(ledger.trap_hits, 0, `${where}: a redirect was followed: ${JSON.stringify(ledger.trap)}`);
  for (const [call, want] of Object.entries(expect.requests ?? {})) {
    assert.equal((ledger.requests[call] ?? 0) - (before[call] ?? 0), want, `${where}: ${call} requests`);
  }
  assert.ok(seconds <= expect.max_seconds, `${where}: took ${seconds.toFixed(1)} s`);
}

test("every hostile scenario", async () => {
  const results = await Promise.allSettled(world.scenarios.map(run));
  const failures = results.filter((r) => r.status === "rejected").map((r) => r.reason.message);
  assert.deepEqual(failures, [], `${failures.length} hostile scenarios failed`);
});

test("insecure base URLs are refused before any request", () => {
  for (const config of world.configs) {
    const extra = config.api_base ? { apiBase: config.api_base } : { paymentsBase: config.payments_base };
    assert.throws(() => new Client({ storeHash: "abc123", apiToken: "t", ...extra }), (e) => {
      assert.ok(e instanceof BcpayError, config.name);
      assert.equal(e.kind, config.expect.kind);
      assert.equal(e.fieldErrors[0].code, config.expect.code);
      return true;
    });
  }
});

test("inputs JavaScript would coerce are typed errors, not other orders", () => {
  const c = new Client({ storeHash: "abc123", apiToken: "t" });
  const payment = toCamel(world.payment);
  for (const orderId of ["0x65", "1e2", "215", [101], true, null, undefined, 1.5, NaN, -1, 2 ** 53]) {
    assert.throws(() => c.newFlow(orderId, payment), (e) => {
      assert.ok(e instanceof BcpayError, `order id ${String(orderId)}: ${e}`);
      assert.equal(e.kind, "validation");
      assert.equal(e.fieldErrors[0].path, "orderId", String(orderId));
      return true;
    });
  }
  for (const timeoutMs of [-1, NaN, 0, Infinity, 1.5, "100"]) {
    assert.throws(() => new Client({ storeHash: "abc123", apiToken: "t", timeoutMs }), (e) => {
      assert.ok(e instanceof BcpayError, `timeoutMs ${String(timeoutMs)}: ${e}`);
      assert.equal(e.fieldErrors[0].path, "timeoutMs", String(timeoutMs));
      return true;
    });
  }
  assert.throws(() => c.newFlow(215, payment, { reconcle: false }), (e) => {
    assert.ok(e instanceof BcpayError);
    assert.equal(e.fieldErrors[0].code, "unknown_field");
    return true;
  });
});

test("the default transport reads at most one byte past the body cap, whatever the headers say", async () => {
  const body = new Uint8Array(1000).fill(65);
  const request = { id: "r1", endpoint: "get_order", method: "GET", url: "http://127.0.0.1:9/", headers: [], body: null };
  const answers = {
    "a Content-Length that understates the body": () => new Response(body, { headers: { "content-length": "5" } }),
    "no Content-Length": () => new Response(new Blob([body]).stream()),
    "a content coding (fetch would inflate it)": () => new Response(body, { headers: { "content-length": "5", "content-encoding": "gzip" } }),
  };
  for (const [name, answer] of Object.entries(answers)) {
    const read = await fetchTransport({ maxBodyBytes: 10, fetch: async () => answer() })(request);
    assert.equal(read.body.length, 11, name);
  }
  // Under the cap, the whole body.
  const small = await fetchTransport({ maxBodyBytes: 10, fetch: async () => new Response("12345", { headers: { "content-length": "5" } }) })(request);
  assert.equal(new TextDecoder().decode(small.body), "12345");
});
