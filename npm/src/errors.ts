/**
 * What both entries of the package share: names (camelCase here, snake_case in the core), the
 * error classes and how a `fetch` failure is read. It loads no WebAssembly, so `bcpay/app` imports it without the client.
 */
import { brand, brandOf, isInstance } from "./brand.js";
import type { FieldError, ErrorKind, RetryAdvice, Endpoint, ProcessedPayment, TransportFailure } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Names: camelCase here, snake_case in the core. Only object keys change; values never do.
// ---------------------------------------------------------------------------------------------

export type Json = unknown;
// Wire names put an underscore before a trailing digit (`last_4`, `street_1`) except `country_iso2`.
const SNAKE_EXCEPTIONS: Record<string, string> = { countryIso2: "country_iso2" };
const toSnakeKey = (k: string): string =>
  SNAKE_EXCEPTIONS[k] ?? k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()).replace(/([a-z])(\d)/g, "$1_$2");
const toCamelKey = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Key conversions are pure and the key set is small: compute each once. */
function memo(f: (k: string) => string): (k: string) => string {
  const cache = new Map<string, string>();
  return (k) => {
    let v = cache.get(k);
    if (v === undefined) {
      v = f(k);
      if (cache.size < 4096) cache.set(k, v);
    }
    return v;
  };
}
const snakeKey = memo(toSnakeKey);
export const camelKey = memo(toCamelKey);

function convertKeys(value: Json, key: (k: string) => string, forCore: boolean): Json {
  if (typeof value === "number") return forCore && !Number.isFinite(value) ? String(value) : value;
  if (Array.isArray(value)) return value.map((v) => convertKeys(v, key, forCore));
  if (value instanceof Uint8Array || value === null || typeof value !== "object") return value;
  const out: Record<string, Json> = {};
  for (const k in value as Record<string, Json>) out[key(k)] = convertKeys((value as Record<string, Json>)[k], key, forCore);
  return out;
}

/**
 * camelCase keys → snake_case, for the core. `JSON.stringify` would turn NaN and ±Infinity into
 * `null` (read as "not given"): they become text, so the core names the field that holds them.
 */
export const toSnake = <T = Json>(value: Json): T => convertKeys(value, snakeKey, true) as T;

/**
 * JSON for the core, NaN and ±Infinity as text (see `toSnake`) and an absent value as `null`.
 * For values `toSnake` prepared, plain `JSON.stringify` does (no replacer to call per value).
 */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)) ?? "null";

/** `value`'s JSON for the core, its keys snake_case (`toSnake`, then `JSON.stringify`). */
export const toCoreJson = (value: Json): string => JSON.stringify(toSnake(value)) ?? "null";
/** snake_case keys → camelCase (for callers). */
export const toCamel = <T = Json>(value: Json): T => convertKeys(value, camelKey, false) as T;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Every failure bcpay reports. Safe to log: it never contains card data or tokens. Catch a
 * subclass by meaning (`DeclinedError`, `AmbiguousOutcomeError`, …): one per `kind`, named by
 * the core. */
export class BcpayError extends Error {
  override name = "BcpayError";

  /** `instanceof` holds for errors from the package's other entry point too: `import` and
   * `require` each load their own copy, and one process may load both. */
  static [Symbol.hasInstance](value: unknown): boolean {
    // BcpayError itself also accepts any of its classes from the other copy.
    if (isInstance(this, value)) return true;
    const brand = brandOf(value);
    return this === BcpayError && brand !== undefined && brand in ERROR_CLASSES;
  }

  readonly kind: ErrorKind;
  readonly status: number | null;
  /** The API's numeric error code (30102, …). */
  readonly code: number | null;
  readonly codeText: string | null;
  readonly title: string;
  readonly detail: string | null;
  /** Field problems; paths use this package's (camelCase) names: `payments[0].instrument.verificationValue`. */
  readonly fieldErrors: FieldError[];
  /** Safe to show the shopper. */
  readonly shopperMessage: string;
  /** What the developer or merchant should do. */
  readonly remedy: string;
  readonly endpoint: Endpoint | null;
  /** bcpay's own id of the request (never sent). */
  readonly requestId: string | null;
  /** The server's id of the exchange (`x-request-id`, `x-correlation-id`, `cf-ray`), to quote to BigCommerce. */
  readonly serverRequestId: string | null;
  readonly retry: RetryAdvice;
  /** Split payments already taken before the failure. */
  readonly paymentsTaken: ProcessedPayment[];

  /** `details`: the core's error fields (snake_case), as the core wrote them. */
  constructor(details: Record<string, Json>) {
    super(typeof details.message === "string" ? details.message : String(details.title ?? "bcpay error"));
    if (typeof details.class_name === "string") this.name = details.class_name;
    const d = toCamel<Record<string, Json>>(details);
    this.kind = d.kind as ErrorKind;
    this.status = (d.status as number | null) ?? null;
    this.code = (d.code as number | null) ?? null;
    this.codeText = (d.codeText as string | null) ?? null;
    this.title = d.title as string;
    this.detail = (d.detail as string | null) ?? null;
    this.fieldErrors = ((d.fieldErrors as FieldError[]) ?? []).map((f) => ({ ...f, path: camelKey(f.path) }));
    this.shopperMessage = d.shopperMessage as string;
    this.remedy = d.remedy as string;
    this.endpoint = (d.endpoint as Endpoint | null) ?? null;
    this.requestId = (d.requestId as string | null) ?? null;
    this.serverRequestId = (d.serverRequestId as string | null) ?? null;
    this.retry = (d.retry as RetryAdvice) ?? { type: "never" };
    this.paymentsTaken = (d.paymentsTaken as ProcessedPayment[]) ?? [];
    brand(this, this.name);
  }

  /** Whether the shopper's card or account was refused. */
  get isDecline(): boolean {
    return this.kind === "declined";
  }

  /** The error of the class the core names for the fields `details` (as the core wrote them). */
  static fromDetails(details: Record<string, Json>): BcpayError {
    const Class = ERROR_CLASSES[details.class_name as string] ?? BcpayError;
    return new Class(details);
  }
}

export class ValidationError extends BcpayError {}
export class ConfigurationError extends BcpayError {}
export class AuthenticationError extends BcpayError {}
export class MerchantSetupError extends BcpayError {}
export class OrderStateError extends BcpayError {}
export class DeclinedError extends BcpayError {}
export class DuplicatePaymentError extends BcpayError {}
export class InvalidRequestError extends BcpayError {}
export class NotFoundError extends BcpayError {}
export class ConflictError extends BcpayError {}
export class RateLimitedError extends BcpayError {}
export class ServerError extends BcpayError {}
export class InvalidResponseError extends BcpayError {}
export class NoResponseError extends BcpayError {}
export class AmbiguousOutcomeError extends BcpayError {}
export class CancelledError extends BcpayError {}

/** The classes by the names the core gives them (`ErrorKind::class_name`); the host vectors check
 * that every kind has one. */
export const ERROR_CLASSES: Readonly<Record<string, new (details: Record<string, Json>) => BcpayError>> = {
  ValidationError, ConfigurationError, AuthenticationError, MerchantSetupError, OrderStateError, DeclinedError,
  DuplicatePaymentError, InvalidRequestError, NotFoundError, ConflictError, RateLimitedError, ServerError,
  InvalidResponseError, NoResponseError, AmbiguousOutcomeError, CancelledError,
};

/** A core `Error` (named `BcpayError`, fields under `details`) as its `BcpayError` class. */
export function fromCore(err: unknown): unknown {
  const e = err as { name?: string; details?: Record<string, Json> };
  return e && e.name === "BcpayError" && e.details ? BcpayError.fromDetails(e.details) : err;
}


// ---------------------------------------------------------------------------------------------
// Transport failures
// ---------------------------------------------------------------------------------------------

/** Thrown by transports when no response arrived; `failure` says whether the server saw it. */
export class TransportError extends Error {
  override name = "TransportError";
  static [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }
  /** The words bcpay keeps for the failure, scrubbed, on the error and the `transport_failure`
   * event: `options.reason`, else what `options.cause` says (`describeError`). */
  readonly reason: string | undefined;
  constructor(
    readonly failure: TransportFailure,
    message: string,
    options: { cause?: unknown; reason?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options.reason ?? (options.cause === undefined ? undefined : describeError(options.cause));
    brand(this, "TransportError");
  }
}

/**
 * A thrown value's words, with the causes it wraps: Node's `fetch` throws `TypeError: fetch
 * failed` around `Error: connect ECONNREFUSED 127.0.0.1:9`, which gives `TypeError: fetch failed:
 * connect ECONNREFUSED 127.0.0.1:9`. A `TransportError` gives its `reason`.
 */
export function describeError(err: unknown): string | undefined {
  if (err instanceof TransportError) return err.reason;
  if (!(err instanceof Error)) return err === undefined || err === null ? undefined : String(err);
  const words = [`${err.name}: ${err.message}`];
  let cause: unknown = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++, cause = cause.cause) words.push(cause.message);
  return words.join(": ");
}

// Connection-level errors raised before any byte of the request is written (Node's undici).
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT", "CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"]);

/**
 * Maps what `fetch` threw onto what the server may have seen. Only errors that certainly happen
 * before the request is written (DNS, refused connection, TLS verification, connect timeout)
 * are `not_sent`; a timeout is `timed_out`; everything else — resets, closed sockets, unknown
 * errors — is `maybe_sent`, which makes bcpay reconcile instead of resending.
 */
export function classifyFetchError(err: unknown): TransportFailure {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError") return "timed_out";
  const code = e?.cause?.code ?? e?.code;
  if (code && NOT_SENT_CODES.has(code)) return "not_sent";
  // fetch refuses blocked ports (the Fetch standard's "bad port" list) before connecting.
  const causeText = (e?.cause as { message?: string } | undefined)?.message ?? "";
  if (causeText === "bad port") return "not_sent";
  // Deno names no code: a connection never made (TCP or TLS) is hyper's `Connect` error in the
  // cause's text, and a blocked port is refused in the error's own.
  if (causeText.includes("client error (Connect)") || /Requests to port \d+ are blocked/.test((e as { message?: string })?.message ?? "")) return "not_sent";
  return "maybe_sent";
}

