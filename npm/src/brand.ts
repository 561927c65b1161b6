// Internal (not re-exported): `instanceof` for the package's classes across its two copies.
// `import` and `require` each load their own copy of the package, and one process may load both
// (an ESM app with a CommonJS dependency), so a class check compares a registered brand too.

const BRAND = Symbol.for("bcpay.class");

/** Marks `instance` as one of the package's class `name`, for `instanceof` across its ESM and
 * CommonJS copies (see `BcpayError[Symbol.hasInstance]` in errors.ts). Not enumerable: JSON and logs omit it. */
export function brand(instance: object, name: string): void {
  Object.defineProperty(instance, BRAND, { value: name });
}

/** The class name `value` was branded with, if any. */
export function brandOf(value: unknown): string | undefined {
  const name = typeof value === "object" && value !== null ? (value as { [BRAND]?: unknown })[BRAND] : undefined;
  return typeof name === "string" ? name : undefined;
}

/** `instanceof cls`, or an instance of the same class from the package's other copy. */
export function isInstance(cls: { name: string; prototype: object }, value: unknown): boolean {
  return Function.prototype[Symbol.hasInstance].call(cls, value) || brandOf(value) === cls.name;
}

