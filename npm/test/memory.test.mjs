// Card data and tokens are wiped from the WebAssembly module's memory once bcpay is done with
// them: after a whole payment, a validation, a request build and a token parse, the module's
// linear memory is searched for the card number, the CVV as JSON, the payment access token's
// signature and the API token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client, version } from "../dist/esm/index.js";
import { initSync } from "../dist/esm/generated/bcpay_wasm.js";

const PAN = "4000056655665556";
const CVV_JSON = '"verification_value":"918"';
const API_TOKEN = "sentinel-api-token-7f3a";
const PAT_SIGNATURE = "c2VudGluZWwtcGF0LXNpZ25hdHVyZS05YjI";
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const exp = Math.floor(Date.now() / 1000) + 3600;
const PAT = `${b64({ typ: "JWT", alg: "HS256" })}.${b64({ exp, iat: exp - 3600, data: { order_id: 215 } })}.${PAT_SIGNATURE}`;

const card = { type: "card", number: PAN, cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: "918" };
const payment = { instrument: card, paymentMethodId: "stripe.card" };
const enc = new TextEncoder();
const json = (status, body) => ({ status, headers: [{ name: "content-type", value: "application/json" }], body: enc.encode(JSON.stringify(body)) });
const responses = {
  get_payment_methods: () => json(200, { data: [{ id: "stripe.card", name: "Stripe", test_mode: true, type: "card", supported_instruments: [{ instrument_type: "VISA", verification_value_required: true }], stored_instruments: [] }], meta: {} }),
  create_payment_access_token: () => json(201, { data: { id: PAT }, meta: {} }),
  process_payment: () => json(201, { data: { id: "tx-1", status: "success", transaction_type: "purchase" } }),
};
const client = new Client({ storeHash: "abc123", apiToken: API_TOKEN, transport: async (req) => responses[req.endpoint]() });

version(); // loads the module
/** How many times `text` occurs in the module's memory. */
function occurrences(text) {
  const memory = Buffer.from(initSync().memory.buffer);
  let n = 0;
  for (let i = memory.indexOf(text); i !== -1; i = memory.indexOf(text, i + 1)) n++;
  return n;
}
function assertWiped(after) {
  assert.equal(occurrences(PAN), 0, `card number left in wasm memory after ${after}`);
  assert.equal(occurrences(CVV_JSON), 0, `CVV left in wasm memory after ${after}`);
  assert.equal(occurrences(PAT_SIGNATURE), 0, `payment access token left in wasm memory after ${after}`);
  // The client's own configuration holds the one live copy.
  assert.equal(occurrences(API_TOKEN), 1, `stray copies of the API token after ${after}`);
}

test("the search finds card data the core still holds", () => {
  const flow = client.newFlow(215, payment);
  assert.ok(occurrences(PAN) >= 1, "a live flow's card number was not found: the search is broken");
  flow.free();
  assertWiped("freeing a flow");
});

test("card data and tokens are wiped after a payment, a validation, a build and a parse", async () => {
  const receipt = await client.pay(215, payment);
  assert.equal(receipt.payments.length, 1);
  assertWiped("a payment");

  assert.deepEqual(client.validate(payment), []);
  assertWiped("a validation");

  const request = client.buildRequest("process_payment", { pat: PAT, nowMs: Date.now(), payment });
  assert.ok(new TextDecoder().decode(request.body).includes(PAN));
  assertWiped("a process_payment build");

  const token = client.parseResponse("create_payment_access_token", "r-1", responses.create_payment_access_token(), { nowMs: Date.now() });
  assert.equal(token.secret, PAT);
  assertWiped("a token parse");
});

test("the request body handed to the transport is wiped once it settles", async () => {
  let seen;
  const keeping = new Client({ storeHash: "abc123", apiToken: API_TOKEN, transport: async (req) => { if (req.endpoint === "process_payment") seen = req.body; return responses[req.endpoint](); } });
  await keeping.pay(215, payment);
  assert.ok(seen instanceof Uint8Array && seen.length > 0);
  assert.ok(seen.every((b) => b === 0), "the Process Payment body still holds card data");
});
