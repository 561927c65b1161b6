// bcpay in Cloudflare's runtime: workerd (through miniflare, whose path BCPAY_MINIFLARE gives)
// runs a Worker that imports the package's `workerd` entry, as a Workers bundle resolves it, and
// pays against the sandbox on 127.0.0.1. Run by scripts/runtimes.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { startSandbox, stopSandboxes } from "./sandbox.mjs";
import { Client } from "../dist/esm/index.js";

const { Miniflare } = await import(process.env.BCPAY_MINIFLARE);
const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(await (await import("node:fs/promises")).readFile(`${root}/package.json`, "utf8"));
const entry = pkg.exports["."].workerd.default;

// The Worker: one request per case, answering what bcpay returned or threw.
const worker = `
import { Client, version, BcpayError } from "../../${entry.replace("./", "")}";
const card = (number) => ({ type: "card", number, cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: "123" });
export default {
  async fetch(request) {
    const { base, orderId, number } = await request.json();
    const client = new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: base, paymentsBase: base, flowOptions: { maxAttempts: 2, backoffBaseMs: 1 } });
    try {
      const receipt = await client.pay(orderId, { instrument: card(number), paymentMethodId: "stripe.card" });
      return Response.json({ version: version(), receipt });
    } catch (e) {
      if (!(e instanceof BcpayError)) return Response.json({ crash: String(e) });
      return Response.json({ version: version(), error: { name: e.name, kind: e.kind, code: e.code, detail: e.detail, path: e.fieldErrors[0]?.path ?? null } });
    }
  },
};`;
mkdirSync(`${root}/build/workerd`, { recursive: true });
writeFileSync(`${root}/build/workerd/worker.mjs`, worker);

let base, mf;
before(async () => {
  base = await startSandbox();
  mf = new Miniflare({
    modules: true,
    modulesRoot: root,
    scriptPath: `${root}/build/workerd/worker.mjs`,
    // As a Workers bundle resolves the package: its .js are ES modules (dist/esm), its .wasm compiled.
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-01-01",
  });
});
after(async () => {
  await mf?.dispose();
  stopSandboxes();
});

const ask = async (body) => (await mf.dispatchFetch("http://worker/", { method: "POST", body: JSON.stringify(body) })).json();
const local = () => new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: base, paymentsBase: base });
async function order() {
  const o = await local().createOrder({
    billingAddress: { firstName: "Jane", lastName: "Doe", street1: "1 Main St", city: "Austin", state: "Texas", zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com" },
    products: [{ name: "Poster", quantity: 1, priceIncTax: 40, priceExTax: 40 }],
  });
  return o.id;
}
async function charges(orderId) {
  const ledger = await (await fetch(`${base}/__sandbox/ledger`)).json();
  return ledger.orders.find((o) => o.order_id === orderId)?.charges.length ?? 0;
}

test("a Worker pays an order through the workerd entry, charged once", async () => {
  const id = await order();
  const answer = await ask({ base, orderId: id, number: "4242424242424242" });
  assert.equal(answer.crash, undefined, answer.crash);
  assert.match(answer.version, /^\d+\.\d+\.\d+/);
  assert.equal(answer.receipt.orderState, "paid");
  assert.equal(answer.receipt.payments[0].transactionType, "purchase");
  assert.equal(await charges(id), 1);
});

test("a decline and a mistyped card are the same typed errors in a Worker", async () => {
  const id = await order();
  const declined = await ask({ base, orderId: id, number: "4000000000000002" });
  assert.deepEqual([declined.error?.name, declined.error?.code], ["DeclinedError", 30102]);
  const invalid = await ask({ base, orderId: id, number: "4242424242424241" });
  assert.deepEqual([invalid.error?.name, invalid.error?.path], ["ValidationError", "payment.instrument.number"]);
  assert.equal(await charges(id), 0);
});

// workerd reports a refused connection as "Network connection lost." — the words it uses for a
// connection lost after the request went out — so bcpay cannot tell that nothing was sent: it
// counts it maybe_sent (a read is retried the same; a payment would be reconciled, never resent).
test("a refused connection from a Worker is maybe_sent, the safe reading of workerd's error", async () => {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  await new Promise((r) => server.close(r));
  const answer = await ask({ base: `http://127.0.0.1:${port}`, orderId: 101, number: "4242424242424242" });
  // workerd's words are kept as the cause.
  assert.deepEqual([answer.error?.kind, answer.error?.detail], ["transport", "transport failure: maybe_sent (Error: Network connection lost.)"]);
});
