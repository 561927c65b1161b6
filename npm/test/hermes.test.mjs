// bcpay/app as React Native resolves it (the `react-native` condition: the core translated to
// JavaScript by wasm2js), run in Hermes, React Native's engine, after the bundling and Babel
// transform Metro applies. The tools are installed outside the package by scripts/test
// (scripts/lib.sh, ensure_rn_tools) under BCPAY_RN_TOOLS; without them this test fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as app from "../dist/esm/app.js";

const tools = process.env.BCPAY_RN_TOOLS ?? fileURLToPath(new URL("../../target/rn-tools", import.meta.url));
const need = createRequire(join(tools, "package.json"));

test("bcpay/app for React Native runs in Hermes and decodes the relay vectors as the WebAssembly build does", () => {
  const dir = mkdtempSync(join(tmpdir(), "bcpay-hermes-"));
  const bundled = join(dir, "bundle.js");
  execFileSync(join(tools, "node_modules/.bin/esbuild"), [fileURLToPath(new URL("../test-support/hermes/run.mjs", import.meta.url)), "--bundle", "--format=iife", "--target=es2017", "--log-level=error", `--outfile=${bundled}`]);
  const babel = need("@babel/core");
  const code = babel.transformSync(readFileSync(bundled, "utf8"), {
    presets: [[need.resolve("@react-native/babel-preset"), { disableImportExportTransform: true, enableBabelRuntime: false }]],
    babelrc: false, configFile: false, compact: true, sourceType: "script",
  }).code;
  const script = join(dir, "app.js");
  writeFileSync(script, readFileSync(new URL("../test-support/hermes/polyfill.js", import.meta.url), "utf8") + "\n" + code);
  const out = JSON.parse(execFileSync(join(tools, "node_modules/hermes-engine-cli/linux64-bin/hermes"), [script], { maxBuffer: 64 << 20 }).toString());

  assert.deepEqual(out.engine, { webAssembly: "undefined", hermes: "object" }, "Hermes, without WebAssembly");
  const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/relay.json", import.meta.url), "utf8"));
  const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
  const camelKeys = (v) => Array.isArray(v) ? v.map(camelKeys) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), camelKeys(x)])) : v;
  assert.equal(out.forms.length, vectors.card_form.length);
  vectors.card_form.forEach((c, i) => {
    const here = app.checkCard(camelKeys(c.form), { acceptedMethods: c.methods ? camelKeys(c.methods) : undefined, nowMs: c.now_ms });
    assert.deepEqual(out.forms[i].check, here, c.name);
  });
  assert.equal(out.outcomes.length, vectors.read_outcome.length);
  vectors.read_outcome.forEach((c, i) => {
    let here;
    try {
      here = { name: c.name, receipt: app.readOutcome(c.body_text ?? JSON.stringify(c.body)) };
    } catch (e) {
      here = { name: c.name, error: { class: e.name, kind: e.kind, code: e.code, shopperMessage: e.shopperMessage, retry: e.retry, fieldErrors: e.fieldErrors } };
    }
    assert.deepEqual(out.outcomes[i], JSON.parse(JSON.stringify(here)), c.name);
  });
  const card = (number) => ({ paymentMethodId: "stripe.card", instrument: { type: "card", number, cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: "123" } });
  assert.deepEqual(out.request, Array.from(app.paymentRequest(215, card("4242424242424242"), { nowMs: 1795219200000 })), "the same request envelope");
  assert.deepEqual(out.invalid, [true, "payment.instrument.number", "luhn_check_failed"]);
  assert.equal(out.ambiguous, "AmbiguousOutcomeError");
});
