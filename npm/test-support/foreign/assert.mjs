// `node:assert/strict` for a browser, which has none: the calls the test files make, with Node's
// strict semantics (Object.is for primitives, prototypes and own enumerable keys for objects).
// workerd uses its own node:assert (nodejs_compat) instead.
export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

const show = (v) => {
  try {
    return typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};
const fail = (message, fallback) => {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? fallback);
};

function same(a, b, seen = new Map()) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (a instanceof RegExp) return String(a) === String(b);
  if (ArrayBuffer.isView(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  }
  if (a instanceof Map || a instanceof Set) {
    if (a.size !== b.size) return false;
    if (a instanceof Set) return [...a].every((v) => b.has(v) || [...b].some((w) => same(v, w, seen)));
    for (const [k, v] of a) if (!b.has(k) || !same(v, b.get(k), seen)) return false;
  }
  if (a instanceof Error && (a.name !== b.name || a.message !== b.message)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k], seen));
}

function matches(error, expected, message) {
  if (expected === undefined) return;
  if (typeof expected === "function") {
    if (expected.prototype !== undefined && error instanceof expected) return;
    if (Error.isPrototypeOf(expected) || expected === Error) fail(message, `expected a ${expected.name}, got ${error}`);
    if (expected.call({}, error) !== true) fail(message, `the validation function rejected ${error}`);
    return;
  }
  if (expected instanceof RegExp) {
    if (!expected.test(String(error))) fail(message, `${error} does not match ${expected}`);
    return;
  }
  for (const [k, v] of Object.entries(expected)) {
    const ok = v instanceof RegExp && typeof error?.[k] === "string" ? v.test(error[k]) : same(error?.[k], v);
    if (!ok) fail(message, `error.${k} is ${show(error?.[k])}, expected ${show(v)}`);
  }
}

function assert(value, message) {
  ok(value, message);
}
export function ok(value, message) {
  if (!value) fail(message, `expected a truthy value, got ${show(value)}`);
}
export function equal(actual, expected, message) {
  if (!Object.is(actual, expected)) fail(message, `${show(actual)} !== ${show(expected)}`);
}
export function notEqual(actual, expected, message) {
  if (Object.is(actual, expected)) fail(message, `${show(actual)} === ${show(expected)}`);
}
export function deepEqual(actual, expected, message) {
  if (!same(actual, expected)) fail(message, `not deep-equal:\n  actual   ${show(actual)}\n  expected ${show(expected)}`);
}
export function notDeepEqual(actual, expected, message) {
  if (same(actual, expected)) fail(message, `deep-equal: ${show(actual)}`);
}
export function match(string, regexp, message) {
  if (typeof string !== "string" || !regexp.test(string)) fail(message, `${show(string)} does not match ${regexp}`);
}
export function doesNotMatch(string, regexp, message) {
  if (typeof string !== "string" || regexp.test(string)) fail(message, `${show(string)} matches ${regexp}`);
}
export function throws(fn, expected, message) {
  if (typeof expected === "string") [expected, message] = [undefined, expected];
  try {
    fn();
  } catch (error) {
    matches(error, expected, message);
    return;
  }
  fail(message, "expected the function to throw");
}
export function doesNotThrow(fn, message) {
  try {
    fn();
  } catch (error) {
    fail(message, `threw ${error}`);
  }
}
export async function rejects(promiseOrFn, expected, message) {
  if (typeof expected === "string") [expected, message] = [undefined, expected];
  try {
    await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
  } catch (error) {
    matches(error, expected, message);
    return;
  }
  fail(message, "expected the promise to reject");
}
export const strictEqual = equal;
export const notStrictEqual = notEqual;
export const deepStrictEqual = deepEqual;
export const notDeepStrictEqual = notDeepEqual;

Object.assign(assert, { ok, equal, notEqual, deepEqual, notDeepEqual, match, doesNotMatch, throws, doesNotThrow, rejects, strictEqual, notStrictEqual, deepStrictEqual, notDeepStrictEqual, AssertionError });
assert.strict = assert;
export { assert as strict };
export default assert;
