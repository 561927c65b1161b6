// The host vectors (tests/host/scenarios.json) through the npm package's public Client, with a
// scripted transport: the same error classes, kinds, codes, messages, request counts and pages as
// every other host. Inputs are camelCase, as a user writes them; field paths come back camelCase.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Client, BcpayError, ERROR_CLASSES, PaymentAccessToken, TransportError, toCamel } from "../dist/esm/index.js";

const vectors = JSON.parse(readFileSync(new URL("../../tests/host/scenarios.json", import.meta.url), "utf8"));
const enc = new TextEncoder();
const camelPath = (p) => p.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/**
 * Answers each request with its script step (the first unused one meant for its endpoint, else the
 * next unused); records which steps were used, by what, and the most requests held at once.
 */
function scripted(script, meantFor) {
  const usedBy = script.map(() => undefined);
  const pastScript = [];
  let held = 0;
  const record = { mostHeld: 0, asked: () => [...usedBy.filter((e) => e !== undefined), ...pastScript] };
  const take = (endpoint) => {
    const free = (i) => usedBy[i] === undefined;
    let i = script.findIndex((_, j) => free(j) && meantFor[j] === endpoint);
    if (i < 0) i = script.findIndex((_, j) => free(j));
    if (i < 0) {
      pastScript.push(endpoint);
      return { status: 599, body_text: "script ran out" };
    }
    usedBy[i] = endpoint;
    return script[i];
  };
  const answer = (step, signal) => {
    if ("hang_ms" in step) {
      return new Promise((_, reject) => {
        const timer = setTimeout(() => reject(new TransportError("timed_out", "hung")), step.hang_ms);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(new TransportError("timed_out", "aborted"));
        });
      });
    }
    if ("throw" in step) {
      return Promise.reject(step.throw === "foreign" ? new TypeError("a bug in a custom transport") : new TransportError(step.throw, "scripted", { reason: step.cause }));
    }
    const headers = Object.entries(step.headers ?? {}).map(([name, value]) => ({ name, value }));
    const body = "body_text" in step ? enc.encode(step.body_text) : enc.encode(JSON.stringify(step.body));
    return Promise.resolve({ status: step.status, headers, body });
  };
  const transport = async (request, { signal } = {}) => {
    record.mostHeld = Math.max(record.mostHeld, ++held);
    try {
      const step = take(request.endpoint);
      if (step.delay_ms) await new Promise((r) => setTimeout(r, step.delay_ms));
      return await answer(step, signal);
    } finally {
      held--;
    }
  };
  return { transport, record };
}

/** A receipt as the vectors check it. */
const summary = (r) => ({ payments: r.payments.length, requestsSent: r.requestsSent, orderState: r.orderState, amountPaid: r.amountPaid, amountRemaining: r.amountRemaining });

async function run(client, c, signal) {
  const a = toCamel(c.args);
  switch (c.call) {
    case "pay":
      return summary(await client.pay(a.orderId, a.payments, { signal }));
    case "prepare_and_pay":
      await client.prepare(a.orderId);
      return summary(await client.pay(a.orderId, a.payments, { signal }));
    case "get_order_payment_status":
      return client.getOrderPaymentStatus(a.orderId);
    case "get_order":
      return client.getOrder(a.orderId);
    case "create_order":
      return client.createOrder(a.order);
    case "get_payment_methods":
      return client.getPaymentMethods({ orderId: a.orderId });
    case "create_payment_access_token":
      await client.createAccessToken(a.orderId);
      return {};
    case "process_payment":
      return client.processPayment(new PaymentAccessToken(a.pat, null, Date.now(), Date.now() + 3_600_000), a.payment);
    case "get_order_transactions":
      return client.getTransactions(a.orderId);
    case "capture_payment":
      return client.capture(a.orderId);
    case "create_refund_quote":
      return client.createRefundQuote(a.orderId, a.request.items);
    case "create_refund":
      return client.createRefund(a.orderId, a.request);
    case "refund":
      return client.refund(a.orderId, a.items);
    case "list_refunds":
      return client.listRefunds(a.orderId);
    case "get_stored_instruments":
      return client.getStoredInstruments(a.customerId);
    default:
      throw new Error(`no call ${c.call}`);
  }
}

function checkOk(want, got) {
  for (const [k, w] of Object.entries(want)) {
    const g = k === "len" ? got.length : got[camelPath(k)];
    assert.deepEqual(g, w, k);
  }
}

function checkError(want, e) {
  assert.ok(e instanceof BcpayError, `not a BcpayError: ${e?.stack ?? e}`);
  assert.equal(e.name, want.class_name, "class name");
  assert.ok(e instanceof ERROR_CLASSES[want.class_name], "class");
  assert.equal(e.kind, want.kind, "kind");
  if (want.retry) assert.deepEqual(e.retry, want.retry, "retry");
  if ("code" in want) assert.equal(e.code, want.code, "code");
  if ("status" in want) assert.equal(e.status, want.status, "status");
  if (want.field) assert.equal(e.fieldErrors[0]?.path, camelPath(want.field), "field");
  if (want.field_code) assert.equal(e.fieldErrors[0]?.code, want.field_code, "field code");
  if ("server_request_id" in want) assert.equal(e.serverRequestId ?? "", want.server_request_id, "server request id");
  if (want.message) assert.ok(e.message.startsWith(want.message), `message ${JSON.stringify(e.message)}`);
}

/** An event as tests/host/README.md ("Events") projects it; `wait` decisions are left out. */
function projected(e) {
  switch (e.type) {
    case "request":
      return `request ${e.endpoint} ${e.attempt}`;
    case "response":
      return `response ${e.endpoint} ${e.status}`;
    case "transport_failure":
      return `transport_failure ${e.endpoint} ${e.failure}${e.cause ? `: ${e.cause}` : ""}`;
    default:
      return e.decision === "wait" ? undefined : e.decision;
  }
}

async function scenario(c) {
  const { transport, record } = scripted(c.script, c.expect.requests);
  const client = new Client({ storeHash: vectors.config.store_hash, apiToken: vectors.config.api_token, transport, flowOptions: toCamel(c.options ?? {}) });
  const events = [];
  client.on("event", (e) => {
    const line = projected(e);
    if (line) events.push(line);
  });
  const abort = new AbortController();
  if (c.cancel_after_ms !== undefined) setTimeout(() => abort.abort(), c.cancel_after_ms);
  const started = Date.now();
  let got, err;
  try {
    got = await run(client, c, abort.signal);
  } catch (e) {
    err = e;
  }
  const elapsed = Date.now() - started;
  if (c.expect.ok) {
    assert.ok(!err, `unexpected error ${err?.stack ?? err}`);
    checkOk(c.expect.ok, got ?? null);
  } else {
    assert.ok(err, `expected an error, got ${JSON.stringify(got)}`);
    checkError(c.expect.error, err);
  }
  assert.deepEqual(record.asked(), c.expect.requests, "requests");
  if (c.expect.max_in_flight !== undefined) assert.equal(record.mostHeld, c.expect.max_in_flight, "the most requests out at once");
  if (c.expect.events) assert.deepEqual(events, c.expect.events, "events");
  assert.ok(elapsed <= c.max_ms, `took ${elapsed} ms`);
}

test(`every host vector (${vectors.scenarios.length})`, async () => {
  assert.ok(vectors.scenarios.length >= 40);
  const results = await Promise.allSettled(vectors.scenarios.map(scenario));
  const failures = results.flatMap((r, i) => (r.status === "rejected" ? [`${vectors.scenarios[i].name}: ${r.reason?.message ?? r.reason}`] : []));
  assert.deepEqual(failures, []);
});

test("every kind the core names has its class", () => {
  assert.deepEqual(Object.keys(ERROR_CLASSES), vectors.class_names);
});

test("a time budget that runs out is reported as such, even when Date.now() reads behind the timer", async () => {
  // Node runs timers on the loop's cached clock: the deadline's timer may fire while Date.now()
  // still reads a moment before the deadline. Played here by a clock that falls 50 ms behind once
  // the request is out; the stop must still be the time budget's, not a cancellation.
  const realNow = Date.now;
  const transport = (_request, { signal } = {}) =>
    new Promise((_, reject) => {
      Date.now = () => realNow() - 50;
      signal?.addEventListener("abort", () => reject(new TransportError("timed_out", "aborted")));
    });
  const client = new Client({ storeHash: "abc123", apiToken: "t", transport, flowOptions: { timeBudgetMs: 100 } });
  try {
    await assert.rejects(client.getOrder(215), (e) => {
      assert.equal(e.name, "CancelledError");
      assert.match(e.message, /ran out of time/);
      return true;
    });
  } finally {
    Date.now = realNow;
  }
});
