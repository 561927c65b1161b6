// Runs every conformance vector in tests/vectors/ through the npm package's public API, with
// inputs converted to camelCase as a user would pass them. Format: tests/vectors/README.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Client, BcpayError, toCamel, toSnake } from "../dist/esm/index.js";

const load = (name) => JSON.parse(readFileSync(new URL(`../../tests/vectors/${name}`, import.meta.url), "utf8"));
const enc = new TextEncoder();

function client(config, extra = {}) {
  return new Client({ storeHash: config.store_hash, apiToken: config.api_token, host: config.host, ...extra });
}

/** `expected` is contained in `actual` (objects by key, arrays element-wise, numbers by value). */
function subset(expected, actual, path = "") {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    for (const [k, v] of Object.entries(expected)) subset(v, actual == null ? null : actual[k] ?? null, `${path}.${k}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((v, i) => subset(v, actual[i], `${path}[${i}]`));
  } else {
    assert.deepEqual(actual ?? null, expected, path);
  }
}

const pairs = (list) => list.map((f) => `${f.path}|${f.code}`).sort();
// Paths name this package's (camelCase) fields; the vectors name the core's.
const camelPath = (p) => p.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const camelPaths = (list) => list.map((f) => ({ ...f, path: camelPath(f.path) }));

function checkError(expected, err) {
  assert.ok(err instanceof BcpayError, `expected a BcpayError, got ${err}`);
  assert.ok(err instanceof Error);
  const { field_errors, ...rest } = expected;
  if (field_errors) assert.deepEqual(pairs(err.fieldErrors), pairs(camelPaths(field_errors)));
  // Error fields are camelCase properties; values (kinds, endpoints, retry types) are as on the wire.
  const actual = { ...err, fieldErrors: err.fieldErrors };
  subset(toCamel(rest), actual, "error");
}

function responseOf(r) {
  const headers = Object.entries(r.headers ?? {}).map(([name, value]) => ({ name, value }));
  const body = "body_text" in r ? enc.encode(r.body_text) : enc.encode(JSON.stringify(r.body));
  return { status: r.status, headers, body };
}

const build = load("build.json");
test(`build vectors (${build.cases.length})`, () => {
  const c = client(build.config);
  for (const v of build.cases) {
    let request;
    try {
      request = c.buildRequest(v.call, toCamel(v.input));
    } catch (err) {
      assert.ok(v.expect.error, `${v.name}: unexpected ${err}`);
      checkError(v.expect.error, err);
      continue;
    }
    assert.ok(!v.expect.error, `${v.name}: expected an error`);
    assert.equal(request.method, v.expect.method, v.name);
    assert.equal(request.url, v.expect.url, v.name);
    const ua = request.headers.find((h) => h.name.toLowerCase() === "user-agent");
    assert.match(ua.value, /^bcpay\/\S+ \(vectors\)$/, v.name);
    const headers = Object.fromEntries(request.headers.filter((h) => h.name.toLowerCase() !== "user-agent").map((h) => [h.name.toLowerCase(), h.value]));
    assert.deepEqual(headers, v.expect.headers, v.name);
    const body = request.body ? JSON.parse(new TextDecoder().decode(request.body)) : null;
    assert.deepEqual(body, v.expect.body, v.name);
  }
});

const parse = load("parse.json");
test(`parse vectors (${parse.cases.length})`, () => {
  for (const v of parse.cases) {
    const c = client(parse.config, v.max_response_bytes ? { maxResponseBytes: v.max_response_bytes } : {});
    let result;
    try {
      result = c.parseResponse(v.call, "req-vector", responseOf(v.response), toCamel(v.context ?? {}));
    } catch (err) {
      assert.ok(v.expect.error, `${v.name}: unexpected ${err}`);
      checkError(v.expect.error, err);
      continue;
    }
    assert.ok(!v.expect.error, `${v.name}: expected an error, parsed ${JSON.stringify(result)}`);
    subset(toCamel(v.expect.ok), result, v.name);
  }
});

const validate = load("validate.json");
test(`validate vectors (${validate.cases.length})`, () => {
  const c = client({ store_hash: "abc123", api_token: "t", host: "vectors" });
  for (const v of validate.cases) {
    const payments = v.payment ? [v.payment] : v.payments;
    const errors = c.validate(toCamel(payments), v.methods ? toCamel(v.methods) : undefined, v.now_ms);
    assert.deepEqual(pairs(errors), pairs(camelPaths(v.expect_errors)), v.name);
  }
});

const flow = load("flow.json");
test(`flow vectors (${flow.cases.length})`, () => {
  for (const v of flow.cases) {
    const c = client(flow.config);
    let now = v.now_ms;
    const f = c.newFlow(v.order_id, toCamel(v.payments), toCamel(v.options), now, v.seed);
    try {
      v.script.forEach((step, i) => {
        const at = `${v.name} step ${i}`;
        const expect = step.expect;
        let action = f.poll(now);
        while (!expect.wait && action.type === "wait") {
          now = action.untilMs;
          action = f.poll(now);
        }
        switch (action.type) {
          case "send":
            assert.equal(action.request.endpoint, expect.send, at);
            if (expect.not_after_ms) assert.ok(now <= expect.not_after_ms, `${at}: sent at ${now}`);
            if (step.respond) f.onResponse(action.request.id, responseOf(step.respond), now);
            else if (step.fail) f.onTransportFailure(action.request.id, step.fail, now);
            break;
          case "wait":
            assert.ok(expect.wait, `${at}: unexpected wait`);
            assert.ok(action.untilMs >= expect.wait.min && action.untilMs <= expect.wait.max, `${at}: wait until ${action.untilMs}`);
            now = action.untilMs;
            break;
          case "awaiting":
            assert.ok(expect.awaiting, `${at}: unexpected awaiting`);
            if (step.respond) f.onResponse(action.requestId, responseOf(step.respond), now);
            else if (step.fail) f.onTransportFailure(action.requestId, step.fail, now);
            break;
          case "done":
            assert.ok(expect.done, `${at}: unexpected done`);
            subset(toCamel(expect.done), action.receipt, at);
            break;
          case "failed":
            assert.ok(expect.failed, `${at}: unexpected failure ${action.error}`);
            checkError(expect.failed, action.error);
            break;
        }
      });
    } finally {
      f.free();
    }
  }
});

test("names convert both ways, values untouched", () => {
  const wire = { country_iso2: "US", street_1: "x", last_4: "4242", payment_method_id: "stripe.card", type: "stored_card" };
  assert.deepEqual(toSnake(toCamel(wire)), wire);
  assert.deepEqual(toCamel(wire), { countryIso2: "US", street1: "x", last4: "4242", paymentMethodId: "stripe.card", type: "stored_card" });
});

test("bad input is a BcpayError, never a crash", () => {
  const c = client({ store_hash: "abc123", api_token: "t", host: "vectors" });
  assert.throws(() => c.buildRequest("process_payment", { pat: 5, payment: "nope" }), BcpayError);
  assert.throws(() => c.newFlow(-1, []), BcpayError);
  assert.throws(() => c.newFlow(215, [{ instrument: { type: "spaceship" }, paymentMethodId: "x.y" }]), BcpayError);
  assert.throws(() => new Client({ storeHash: "ABC/../x", apiToken: "t" }), (e) => e instanceof BcpayError && e.kind === "configuration");
  assert.throws(() => c.parseResponse("get_order", "r", { status: 200, headers: [], body: new Uint8Array([0xff, 0x00]) }), (e) => e.kind === "invalid_response");
});

test("no card data or token in errors, JSON or strings", async () => {
  const pan = "4000056655665556";
  const c = client({ store_hash: "abc123", api_token: "sentinel-api-token", host: "vectors" });
  let err;
  try {
    c.buildRequest("process_payment", { pat: "tok", nowMs: 1795219200000, payment: { instrument: { type: "card", number: "4000056655665557", cardholderName: "", expiryMonth: 13, expiryYear: 2030, verificationValue: "918" }, paymentMethodId: "stripe.card" } });
  } catch (e) {
    err = e;
  }
  const rendered = [String(err), JSON.stringify(err), err.stack, JSON.stringify(err.fieldErrors)].join("\n");
  for (const secret of ["4000056655665557", "918", "sentinel-api-token"]) assert.ok(!rendered.includes(secret), secret);
  const echo = c.parseResponse.bind(c);
  assert.throws(() => echo("process_payment", "r", responseOf({ status: 422, body: { status: 422, title: `Card ${pan} declined`, type: "x", code: 30102 } }), { paymentMethodId: "stripe.card" }), (e) => !String(e).includes(pan) && !e.title.includes(pan));
});

test("input of the wrong shape names its path, never its value", () => {
  const c = client({ store_hash: "abc123", api_token: "t", host: "vectors" });
  const pan = 4000056655665556;
  assert.throws(
    () => c.validate([{ instrument: { type: "card", number: "4242424242424242", cardholderName: "J" }, paymentMethodId: "stripe.card" }, { instrument: { type: "card", number: pan, cardholderName: "J" }, paymentMethodId: "stripe.card" }]),
    (e) => {
      assert.equal(e.kind, "validation");
      assert.deepEqual(e.fieldErrors.map((f) => [f.path, f.code]), [["payments[1].instrument.number", "invalid_input"]]);
      assert.ok(!JSON.stringify(e.fieldErrors).includes(String(pan)) && !String(e).includes(String(pan)));
      return true;
    },
  );
  assert.throws(() => c.buildRequest("get_order", {}), (e) => e.fieldErrors[0].path === "orderId" && e.fieldErrors[0].code === "missing");
});
