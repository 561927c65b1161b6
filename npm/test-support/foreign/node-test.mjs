// `node:test` for the runtimes that have none (workerd, a browser): the test files register their
// tests and hooks here as they would with Node's runner, and foreign.test.mjs (in Node) runs them
// one at a time through `run(name)`, so each shows up as its own test in Node's report.
const tests = [];
const befores = [];
const afters = [];

export function test(name, options, fn) {
  if (typeof options === "function") fn = options;
  tests.push({ name, fn });
}
export default test;
export const it = test;
export const before = (fn) => befores.push(fn);
export const after = (fn) => afters.push(fn);

export const list = () => tests.map((t) => t.name);

let started;
/** Runs one test (the file's `before` hooks first, once); never throws. */
export async function run(name) {
  try {
    started ??= (async () => {
      for (const hook of befores) await hook();
    })();
    await started;
    const found = tests.find((t) => t.name === name);
    if (!found) throw new Error(`no test named ${JSON.stringify(name)}`);
    await found.fn({ name });
    return { ok: true };
  } catch (e) {
    return { ok: false, error: String(e?.stack ?? e) };
  }
}

/** Runs the file's `after` hooks. */
export async function finish() {
  for (const hook of afters) await hook();
}
