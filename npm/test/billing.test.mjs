// bcpay/billing against the sandbox: a Batch of recurring stored-card charges over a
// better-sqlite3 journal, a run SIGKILLed in the middle and run again, a journal that cannot be
// written, and one payment per order at a time.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startSandbox, stopSandboxes } from "../test-support/sandbox.mjs";
import { Batch, BcpayError, Client, ConflictError, SqliteJournal, payJournaled } from "../dist/esm/billing.js";

let base;
before(async () => {
  base = await startSandbox();
});
after(stopSandboxes);

const clientFor = (b) => new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: b, paymentsBase: b });
const admin = async (b, path, body) =>
  (await fetch(`${b}/__sandbox/${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json();

async function storedCardRows(c, n) {
  const orders = [];
  for (let i = 0; i < n; i++) {
    const o = await c.createOrder({
      customerId: 11,
      billingAddress: { firstName: "Jane", lastName: "Doe", street1: "1 Main St", city: "Austin", state: "Texas", zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com" },
      products: [{ name: "Plan", quantity: 1, priceIncTax: 20, priceExTax: 20 }],
    });
    orders.push(o.id);
  }
  const methods = await c.getPaymentMethods({ orderId: orders[0] });
  const token = methods.flatMap((m) => m.storedInstruments).find((s) => s.type === "stored_card").token;
  // A merchant-initiated charge: no CVV (isRecurring on the batch).
  return orders.map((o) => [o, { instrument: { type: "stored_card", token }, paymentMethodId: "stripe.card" }]);
}

const charges = (ledger, orderId) => ledger.orders.find((o) => o.order_id === orderId)?.charges.length ?? 0;
const journalAt = (dir) => new SqliteJournal(new Database(join(dir, "billing.db")));

test("a batch charges stored cards, and a rerun skips them", async () => {
  const c = clientFor(base);
  const rows = await storedCardRows(c, 10);
  const dir = mkdtempSync(join(tmpdir(), "bcpay-billing-"));
  const db = new Database(join(dir, "billing.db"));
  const seen = [];
  const summary = await new Batch(c, new SqliteJournal(db), { concurrency: 4, isRecurring: true, onProgress: (r) => seen.push(r) }).run(rows);
  assert.deepEqual([summary.paid, summary.failed, summary.ambiguous, summary.skipped], [10, 0, 0, 0]);
  assert.equal(seen.length, 10);
  assert.ok(seen.every((r) => r.attempts === 1 && r.receipt.payments.length === 1));
  assert.ok(!JSON.stringify(summary).includes(rows[0][1].instrument.token), "no token in the results");
  const before = (await admin(base, "ledger")).requests.process_payment;
  // One run at a time: a second journal on the same file is refused while the first is open.
  assert.throws(() => journalAt(dir), (e) => e instanceof BcpayError && e.codeText === "journal_in_use");
  db.close();
  const again = await new Batch(c, journalAt(dir), { isRecurring: true }).run(rows);
  assert.deepEqual([again.paid, again.skipped], [10, 10]);
  assert.equal((await admin(base, "ledger")).requests.process_payment, before);
});

// The run dies 50 ms after its Nth "sending" record: that payment and the others in flight
// have reached the sandbox, which commits them and answers only 500 ms later.
const CHILD = `
import Database from "better-sqlite3";
import { Batch, Client, SqliteJournal } from ${JSON.stringify(new URL("../dist/esm/billing.js", import.meta.url).href)};
const [base, file, rowsJson, killAt, optionsJson] = process.argv.slice(1);
const c = new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: base, paymentsBase: base });
const sqlite = new SqliteJournal(new Database(file));
let sends = 0;
const journal = { get: (o) => sqlite.get(o), put: (o, state, r) => {
  sqlite.put(o, state, r);
  if (state === "sending" && ++sends === Number(killAt)) setTimeout(() => process.kill(process.pid, "SIGKILL"), 50);
} };
await new Batch(c, journal, { concurrency: 6, isRecurring: true, ...JSON.parse(optionsJson) }).run(JSON.parse(rowsJson));
`;

test("a batch killed in the middle resumes without double charges", async () => {
  const url = await startSandbox();
  const c = clientFor(url);
  const rows = await storedCardRows(c, 30);
  await admin(url, "faults", { slow: 1, slow_ms: 500 });
  const dir = mkdtempSync(join(tmpdir(), "bcpay-billing-"));
  const options = { settleWindowMs: 1000, reconcileDelayMs: 100, resendWhenUnrecorded: true };
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD, url, join(dir, "billing.db"), JSON.stringify(rows), "12", JSON.stringify(options)], { encoding: "utf8", timeout: 120_000 });
  assert.equal(child.signal, "SIGKILL", child.stderr);
  const journal = journalAt(dir);
  const states = Object.values(journal.states());
  assert.ok(states.includes("sending") && states.length < 30, `killed in the middle: ${states}`);
  await admin(url, "faults", {});
  // The rerun settles what the killed run left and pays the rest: every order charged once.
  const summary = await new Batch(c, journal, { isRecurring: true, ...options }).run(rows);
  const ledger = await admin(url, "ledger");
  assert.equal(ledger.double_charges, 0);
  assert.ok(rows.every(([o]) => charges(ledger, o) === 1), "every order charged exactly once");
  assert.equal(summary.paid, 30, JSON.stringify(summary));
  assert.ok(summary.results.some((r) => r.receipt.payments[0].reconciled), "a payment the killed run sent was settled from the ledger");
  assert.equal(summary.skipped, states.filter((s) => s === "paid").length);
});

test("a journal that cannot be written stops the payment before it is sent", async () => {
  const c = clientFor(base);
  const [[orderId, payment]] = await storedCardRows(c, 1);
  const broken = { get: () => undefined, put: () => { throw new Error("disk full"); } };
  const before = (await admin(base, "ledger")).requests.process_payment ?? 0;
  await assert.rejects(payJournaled(c, orderId, payment, broken, { isRecurring: true }), (e) => {
    assert.ok(e instanceof BcpayError && e.kind === "configuration" && e.codeText === "journal_unavailable", String(e));
    assert.match(e.message, /disk full/);
    return true;
  });
  assert.equal((await admin(base, "ledger")).requests.process_payment ?? 0, before, "nothing sent");
  await assert.rejects(new Batch(c, broken, { isRecurring: true }).run([[orderId, payment]]), /journal/);
  // A row with invalid input fails alone.
  const dir = mkdtempSync(join(tmpdir(), "bcpay-billing-"));
  const summary = await new Batch(c, journalAt(dir), { isRecurring: true }).run([["215", payment], [orderId, payment]]);
  assert.deepEqual([summary.failed, summary.paid], [1, 1]);
  assert.equal(summary.results.find((r) => r.state === "failed").error.kind, "validation");
});

test("one payment per order at a time", async () => {
  const c = clientFor(base);
  const [[orderId, payment]] = await storedCardRows(c, 1);
  await admin(base, "faults", { slow: 1, slow_ms: 300 });
  try {
    const outcomes = await Promise.allSettled([c.pay(orderId, payment, { isRecurring: true }), c.pay(orderId, payment, { isRecurring: true })]);
    const refused = outcomes.filter((o) => o.status === "rejected");
    assert.equal(refused.length, 1);
    assert.ok(refused[0].reason instanceof ConflictError && refused[0].reason.codeText === "payment_in_progress", String(refused[0].reason));
  } finally {
    await admin(base, "faults", {});
  }
  assert.equal(charges(await admin(base, "ledger"), orderId), 1);
});
