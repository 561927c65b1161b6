// The TypeScript declarations checked against the core's own list of input keys: a field the
// core reads but the declarations lack (or the reverse) fails `tsc --strict`. The core is the
// rule (bcpay_core::json_api::input_keys); src/types.ts follows it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { version, Client, BcpayError } from "../dist/esm/index.js";
import { inputKeys } from "../dist/esm/generated/bcpay_wasm.js";

const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const union = (keys) => keys.map((k) => JSON.stringify(camel(k))).join(" | ");

test("TypeScript inputs declare exactly the keys the core reads", () => {
  version(); // loads the module
  const keys = JSON.parse(inputKeys());
  const dist = fileURLToPath(new URL("../dist/esm/index.js", import.meta.url));
  const lines = [
    `import type { FlowOptions, Payment, PaymentInstrument } from ${JSON.stringify(dist)};`,
    "type Eq<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;",
    "type KeysOf<T> = T extends unknown ? keyof T : never;",
    `export const flowOptions: Eq<keyof FlowOptions, ${union(keys.flow_options)}> = true;`,
    `export const payment: Eq<keyof Payment, ${union(keys.payment)}> = true;`,
    ...Object.entries(keys.instruments).map(
      ([type, k]) => `export const ${camel(type)}: Eq<KeysOf<Extract<PaymentInstrument, { type: "${type}" }>>, ${union(k)}> = true;`,
    ),
  ];
  const dir = mkdtempSync(join(tmpdir(), "bcpay-types-"));
  const file = join(dir, "check.ts");
  writeFileSync(file, lines.join("\n") + "\n");
  const tsc = fileURLToPath(new URL("../node_modules/.bin/tsc", import.meta.url));
  try {
    execFileSync(tsc, ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", file], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`the declarations drifted from the core's keys:\n${e.stdout}`);
  }
});

test("a client option the core does not know is a ConfigurationError naming it, not dropped", () => {
  // `options` is not an option (`flowOptions` is): dropped, its fetchMethods: false was ignored.
  assert.throws(
    () => new Client({ storeHash: "abc123", apiToken: "t", options: { fetchMethods: false } }),
    (e) => e instanceof BcpayError && e.name === "ConfigurationError" && e.fieldErrors[0].path === "options" && e.fieldErrors[0].code === "unknown_field",
  );
  new Client({ storeHash: "abc123", apiToken: "t", timeoutMs: 5000, maxResponseBytes: 1000, flowOptions: { fetchMethods: false } });
});
