// bcpay/app in a browser (headless Chromium, BCPAY_CHROMIUM overrides /usr/bin/chromium): a page
// served by a merchant's node:http server loads dist/esm/app.js as a module, checks a card form
// and pays through POST /pay, which pays with Client.payFromApp against the sandbox. The page
// holds no token and reaches only its own server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { chromium } from "playwright-core";
import { startSandbox, stopSandboxes } from "../test-support/sandbox.mjs";
import { Client } from "../dist/esm/index.js";

let browser, server, origin, client;
const requestsToOthers = [];

before(async () => {
  const base = await startSandbox();
  client = new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: base, paymentsBase: base, flowOptions: { settleWindowMs: 600, reconcileDelayMs: 100 } });
  const newOrder = async () =>
    (await client.createOrder({
      customerId: 0,
      billingAddress: { firstName: "Jane", lastName: "Doe", street1: "1 Main St", city: "Austin", state: "Texas", zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com" },
      products: [{ name: "Poster", quantity: 1, priceIncTax: 30, priceExTax: 30 }],
    })).id;
  server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    if (req.method === "POST" && req.url === "/pay") {
      return res.writeHead(200, { "Content-Type": "application/json" }).end(await client.payFromApp(Buffer.concat(chunks)));
    }
    if (req.method === "POST" && req.url === "/checkout") {
      const orderId = await newOrder();
      const methods = await client.getPaymentMethods({ orderId });
      return res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ orderId, methods }));
    }
    if (req.url === "/") return res.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html><title>checkout</title>");
    if (req.url.startsWith("/esm/") && !req.url.includes("..")) {
      const file = await readFile(new URL(`../dist${req.url}`, import.meta.url)).catch(() => null);
      if (file) return res.writeHead(200, { "Content-Type": "text/javascript" }).end(file);
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.BCPAY_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
  stopSandboxes();
});

test("a browser app checks the card and pays through its server, holding no token", async () => {
  const page = await browser.newPage();
  page.on("request", (r) => {
    if (!r.url().startsWith(origin)) requestsToOthers.push(r.url());
  });
  await page.goto(origin + "/");
  const result = await page.evaluate(async () => {
    const app = await import("/esm/app.js");
    const card = (number) => ({ paymentMethodId: "stripe.card", instrument: { type: "card", number, cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: "123" } });
    const checkout = async () => (await fetch("/checkout", { method: "POST" })).json();
    const out = {};
    let { orderId, methods } = await checkout();
    out.typing = app.checkCard({ number: "4242 42" }, { acceptedMethods: methods }).fields[0].state;
    const check = app.checkCard({ number: "4242424242424242", cardholderName: "Jane Doe", expiryMonth: "12", expiryYear: "30", verificationValue: "123" }, { acceptedMethods: methods });
    out.complete = check.complete;
    out.method = check.paymentMethodId;
    out.paid = (await app.payThroughServer("/pay", orderId, card("4242424242424242"))).orderId === orderId;
    ({ orderId } = await checkout());
    try {
      await app.payThroughServer("/pay", orderId, card("4000000000009995"));
    } catch (e) {
      out.decline = [e.constructor.name, e.code, e.shopperMessage];
    }
    try {
      await app.payThroughServer("/pay", orderId, card("4242424242424241"));
    } catch (e) {
      out.invalid = [e.constructor.name, e.fieldErrors[0].code];
    }
    out.hasProcess = typeof process !== "undefined";
    return out;
  });
  assert.equal(result.typing, "incomplete");
  assert.equal(result.complete, true);
  assert.equal(result.method, "stripe.card");
  assert.equal(result.paid, true);
  assert.equal(result.decline[0], "DeclinedError");
  assert.equal(result.decline[1], 30106);
  assert.match(result.decline[2], /insufficient funds/);
  assert.deepEqual(result.invalid, ["ValidationError", "luhn_check_failed"]);
  assert.equal(result.hasProcess, false);
  assert.deepEqual(requestsToOthers, [], "the page reached only its own server");
});
