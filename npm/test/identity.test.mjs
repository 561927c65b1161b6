// One identity per class whichever entry point loaded the package: `import` and `require` each
// load their own copy, and a process may load both (an ESM app with a CommonJS dependency). An
// error, a transport error or a token from one copy passes the other's `instanceof`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esm from "../dist/esm/index.js";

const cjs = createRequire(import.meta.url)("../dist/cjs/index.js");

test("an error from the CommonJS copy is an instance of the ESM classes, and back", async () => {
  assert.notEqual(cjs.BcpayError, esm.BcpayError, "two copies are loaded");
  for (const [from, to] of [[cjs, esm], [esm, cjs]]) {
    const client = new from.Client({ storeHash: "abc123", apiToken: "t" });
    const e = await client.pay(0, []).catch((x) => x);
    assert.ok(e instanceof to.BcpayError, "BcpayError");
    assert.ok(e instanceof to.ValidationError, "its own class");
    assert.ok(!(e instanceof to.DeclinedError), "not another class");
    assert.ok(e instanceof Error);
    assert.ok(new from.TransportError("not_sent", "refused") instanceof to.TransportError);
    assert.ok(!(new Error("x") instanceof to.TransportError));
    const token = new from.PaymentAccessToken("secret", null, 0, 1);
    assert.ok(token instanceof to.PaymentAccessToken);
    // The brand is invisible: not in JSON, keys or the error's text.
    assert.deepEqual(Object.keys(token), Object.keys(new to.PaymentAccessToken("s", null, 0, 1)));
    assert.ok(!JSON.stringify(e).includes("bcpay.class") && !String(e).includes("bcpay.class"));
  }
  assert.ok(!({ name: "ValidationError" } instanceof esm.BcpayError), "a look-alike object is not one");
});

test("declarations carry no inlined module", () => {
  const dist = fileURLToPath(new URL("../dist", import.meta.url));
  const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
  const big = walk(dist).filter((f) => f.endsWith(".d.ts") && statSync(f).size > 20_000);
  assert.deepEqual(big, [], "a .d.ts that large holds a module's text");
});
