// The TypeScript declarations checked against the core's own list of input keys: a field the
// core reads but the declarations lack (or the reverse) fails `tsc --strict`. The core is the
// rule (bcpay_core::json_api::input_keys); src/types.ts follows it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { version, Client, BcpayError } from "../dist/esm/index.js";
import { inputKeys } from "../dist/esm/generated/bcpay_wasm.js";

const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const union = (keys) => keys.map((k) => JSON.stringify(camel(k))).join(" | ");

/** Compiles `lines` under `tsc --strict`; fails with `drift`, tsc's errors and the lines they name. */
function typeCheck(lines, drift) {
  const file = join(mkdtempSync(join(tmpdir(), "bcpay-types-")), "check.ts");
  writeFileSync(file, lines.join("\n") + "\n");
  const tsc = fileURLToPath(new URL("../node_modules/.bin/tsc", import.meta.url));
  try {
    execFileSync(tsc, ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", file], { encoding: "utf8" });
  } catch (e) {
    const at = [...e.stdout.matchAll(/check\.ts\((\d+),/g)].map((m) => lines[Number(m[1]) - 1].slice(0, 160));
    assert.fail(`${drift}:\n${e.stdout}\n${at.join("\n")}`);
  }
}

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
  typeCheck(lines, "the declarations drifted from the core's keys");
});

test("a client option the core does not know is a ConfigurationError naming it, not dropped", () => {
  // `options` is not an option (`flowOptions` is): dropped, its fetchMethods: false was ignored.
  assert.throws(
    () => new Client({ storeHash: "abc123", apiToken: "t", options: { fetchMethods: false } }),
    (e) => e instanceof BcpayError && e.name === "ConfigurationError" && e.fieldErrors[0].path === "options" && e.fieldErrors[0].code === "unknown_field",
  );
  new Client({ storeHash: "abc123", apiToken: "t", timeoutMs: 5000, maxResponseBytes: 1000, flowOptions: { fetchMethods: false } });
});

// Results checked against the core's own shapes (tests/types/outputs.json, written by
// core/tests/output_types.rs): each sample, renamed as the package renames results, must be
// assignable to its declaration as an object literal — so a field the core sends that the
// declaration lacks (excess property), a declared field the core never sends (missing
// property) and a `null` where the declaration says never null all fail `tsc --strict`.
test("TypeScript results and unions declare exactly what the core produces", async () => {
  const { toCamel } = await import("../dist/esm/errors.js");
  const shapes = JSON.parse(readFileSync(fileURLToPath(new URL("../../tests/types/outputs.json", import.meta.url)), "utf8"));
  // Records npm does not hand out: it has no single-page transactions call.
  const notExposed = new Set(["TransactionPage"]);
  const index = fileURLToPath(new URL("../dist/esm/index.js", import.meta.url));
  const app = fileURLToPath(new URL("../dist/esm/app.js", import.meta.url));
  const lines = [
    `import type * as T from ${JSON.stringify(index)};`,
    `import type * as A from ${JSON.stringify(app)};`,
    "type Eq<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;",
  ];
  const fromApp = new Set(["FieldCheck", "CardFormCheck", "CardBrand"]);
  const ref = (name) => `${fromApp.has(name) ? "A" : "T"}.${name}`;
  let checked = 0;
  for (const [name, samples] of Object.entries(shapes.records)) {
    if (notExposed.has(name)) continue;
    samples.forEach((sample, i) => {
      let value = toCamel(sample);
      // The package renames field names inside a card form check, as in its results.
      if (name === "FieldCheck") value = { ...value, field: camel(value.field) };
      if (name === "CardFormCheck") value = { ...value, fields: value.fields.map((f) => ({ ...f, field: camel(f.field) })) };
      lines.push(`export const ${name}_${i}: ${ref(name)} = ${JSON.stringify(value)};`);
      checked++;
    });
  }
  for (const [name, values] of Object.entries(shapes.enums)) {
    lines.push(`export const ${name}_names: Eq<${ref(name)}, ${values.map((v) => JSON.stringify(v)).join(" | ")}> = true;`);
    checked++;
  }
  assert.ok(checked > 30, `only ${checked} shapes checked`);
  typeCheck(lines, "the result declarations drifted from the core's shapes");
});
