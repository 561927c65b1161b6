/**
 * bcpay for JavaScript: the BigCommerce Payments API, safely. Every rule (validation, request
 * building, parsing, error classification, retries, reconciliation) runs in bcpay-core compiled
 * to WebAssembly; this layer supplies `fetch`, converts names to camelCase, and throws
 * `BcpayError`s.
 */
import { BcpayApi, BcpayFlow, initSync, version as wasmVersion } from "./generated/bcpay_wasm.js";
import { WASM_BASE64 } from "./generated/wasm_bytes.js";
import type {
  FieldError,
  FlowOptions,
  Header,
  HttpRequest,
  HttpResponse,
  NewOrder,
  Order,
  Payment,
  PaymentMethod,
  PaymentReceipt,
  PatClaims,
  ProcessedPayment,
  RateLimitConfig,
  Refund,
  RefundItem,
  RefundQuote,
  RefundRequest,
  StoredInstrument,
  Transaction,
  TransportFailure,
  ErrorKind,
  RetryAdvice,
  Endpoint,
} from "./types.js";

export * from "./types.js";

// ---------------------------------------------------------------------------------------------
// Loading: the module is inlined, so Node, Deno, Bun and workers load it the same way, with no
// file system or network access.
// ---------------------------------------------------------------------------------------------

let loaded = false;
function ensureLoaded(): void {
  if (loaded) return;
  const binary = atob(WASM_BASE64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  initSync({ module: bytes });
  loaded = true;
}

/** The SDK version (of bcpay-core). */
export function version(): string {
  ensureLoaded();
  return wasmVersion();
}

// ---------------------------------------------------------------------------------------------
// Names: camelCase here, snake_case in the core. Only object keys change; values never do.
// ---------------------------------------------------------------------------------------------

type Json = unknown;
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
const camelKey = memo(toCamelKey);

function convertKeys(value: Json, key: (k: string) => string): Json {
  if (Array.isArray(value)) return value.map((v) => convertKeys(v, key));
  if (value instanceof Uint8Array || value === null || typeof value !== "object") return value;
  const out: Record<string, Json> = {};
  for (const k in value as Record<string, Json>) out[key(k)] = convertKeys((value as Record<string, Json>)[k], key);
  return out;
}

/** camelCase keys → snake_case (for the core). */
export const toSnake = <T = Json>(value: Json): T => convertKeys(value, snakeKey) as T;

/**
 * JSON for the core. `JSON.stringify` would turn NaN and ±Infinity into `null` (read as "not
 * given") and an absent value into nothing at all: they go as text, so the core names the field
 * that holds them.
 */
const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)) ?? "null";
/** snake_case keys → camelCase (for callers). */
export const toCamel = <T = Json>(value: Json): T => convertKeys(value, camelKey) as T;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Every failure bcpay reports. Safe to log: it never contains card data or tokens. Catch a
 * subclass by meaning (`DeclinedError`, `AmbiguousOutcomeError`, …): one per `kind`, named by
 * the core. */
export class BcpayError extends Error {
  override name = "BcpayError";
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
  readonly requestId: string | null;
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
    this.retry = (d.retry as RetryAdvice) ?? { type: "never" };
    this.paymentsTaken = (d.paymentsTaken as ProcessedPayment[]) ?? [];
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

/**
 * Response headers as the core's binding reads them: `name\nvalue\n` per header. HTTP forbids
 * line breaks in names and values; any a custom transport lets through become spaces.
 */
function headerLines(headers: Header[]): string {
  let text = "";
  for (const h of headers) text += oneLine(h.name) + "\n" + oneLine(h.value) + "\n";
  return text;
}
const oneLine = (s: string): string => (s.includes("\n") || s.includes("\r") ? s.replace(/[\r\n]/g, " ") : s);

/** A core `Error` (named `BcpayError`, fields under `details`) as its `BcpayError` class. */
function fromCore(err: unknown): unknown {
  const e = err as { name?: string; details?: Record<string, Json> };
  return e && e.name === "BcpayError" && e.details ? BcpayError.fromDetails(e.details) : err;
}

/** Runs a core call, turning its `Error`s into `BcpayError`s. */
function core<T>(call: () => T): T {
  ensureLoaded();
  try {
    return call();
  } catch (err) {
    throw fromCore(err);
  }
}

// ---------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------

/** Thrown by transports when no response arrived; `failure` says whether the server saw it. */
export class TransportError extends Error {
  override name = "TransportError";
  constructor(
    readonly failure: TransportFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends one request. Throw `TransportError` when there is no response. `options.signal` aborts
 * when bcpay stops waiting (the caller's signal, the time budget): stop the request then. bcpay
 * wipes `request.body` (it may hold card data) once it stops waiting: copy it first if you need
 * it afterwards.
 */
export type Transport = (request: HttpRequest, options?: { signal?: AbortSignal }) => Promise<HttpResponse>;

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
  if ((e?.cause as { message?: string } | undefined)?.message === "bad port") return "not_sent";
  return "maybe_sent";
}

/**
 * The default transport: global `fetch` that never follows a redirect (one could carry the API
 * token or card data to another origin; the core reads the 3xx), with a total deadline per
 * request (headers and body together) and a body read through `maxBodyBytes`: one byte past it
 * is enough for the core to refuse the response, and the rest is never read.
 */
export function fetchTransport(options: { timeoutMs?: number; maxBodyBytes?: number; fetch?: typeof fetch } = {}): Transport {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const doFetch = options.fetch ?? globalThis.fetch;
  return async (request, options = {}) => {
    let response: Response;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? eitherSignal(timeout, options.signal) : timeout;
    try {
      response = await doFetch(request.url, {
        method: request.method,
        headers: request.headers.map((h) => [h.name, h.value] as [string, string]),
        // TypeScript 5.9 types a Uint8Array over ArrayBufferLike as not a BodyInit; it is one.
        body: (request.body ?? undefined) as BodyInit | undefined,
        redirect: "manual",
        signal,
      });
    } catch (err) {
      throw new TransportError(classifyFetchError(err), `request ${request.id} (${request.endpoint}) got no response`);
    }
    const headers: Header[] = [];
    response.headers.forEach((value, name) => headers.push({ name, value }));
    let body: Uint8Array;
    try {
      body = await readCapped(response, maxBodyBytes + 1);
    } catch (err) {
      // The status arrived, so the server acted; a body that breaks off is not a clean failure.
      throw new TransportError(signal.aborted || classifyFetchError(err) === "timed_out" ? "timed_out" : "maybe_sent", `response to ${request.id} broke off`);
    }
    return { status: response.status, headers, body };
  };
}

/** A signal that aborts, with the same reason, when `a` or `b` does (`AbortSignal.any` is Node 20+). */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const both = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) both.abort(s.reason);
    else s.addEventListener("abort", () => both.abort(s.reason), { once: true });
  }
  return both.signal;
}

/** At most `limit` bytes of `response`'s body; the stream is cancelled once they are read. */
async function readCapped(response: Response, limit: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const part = value.subarray(0, Math.min(value.length, limit - length));
    chunks.push(part);
    length += part.length;
    if (length >= limit) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/** Client settings. */
export interface ClientOptions {
  storeHash: string;
  /** The API account's access token (`X-Auth-Token`). */
  apiToken: string;
  /** Defaults to https://api.bigcommerce.com */
  apiBase?: string;
  /** Defaults to https://payments.bigcommerce.com */
  paymentsBase?: string;
  /** Your own transport; defaults to `fetchTransport({ timeoutMs })`. */
  transport?: Transport;
  /** Total deadline of one request for the default transport, headers and body (ms; default 30 000). */
  timeoutMs?: number;
  /** Defaults for `pay`. */
  flowOptions?: FlowOptions;
  /** The Process Payment rate limit shared by this client's payments. */
  rateLimit?: RateLimitConfig;
  /** Names the runtime in the user agent `bcpay/<version> (<host>)`; defaults to `node`. */
  host?: string;
  /** Largest accepted response body in bytes (default 4 MiB). */
  maxResponseBytes?: number;
}

/** What a payment flow wants next (see `PaymentFlow.poll`). */
export type FlowAction =
  | { type: "send"; request: HttpRequest }
  | { type: "wait"; untilMs: number }
  | { type: "awaiting"; requestId: string }
  | { type: "done"; receipt: PaymentReceipt }
  | { type: "failed"; error: BcpayError };

/** An operation's next step, its output still the core's JSON. */
type Step =
  | { type: "send"; request: HttpRequest }
  | { type: "wait"; untilMs: number }
  | { type: "awaiting"; requestId: string }
  | { type: "done"; output: Json }
  | { type: "failed"; error: BcpayError };

/** A core operation (a payment flow or a single call) with its actions decoded. */
class Operation {
  readonly #op: BcpayFlow;
  constructor(op: BcpayFlow) {
    this.#op = op;
  }
  poll(nowMs: number): Step {
    return this.#step(core(() => this.#op.poll(nowMs)));
  }
  respond(requestId: string, response: HttpResponse, nowMs: number): Step {
    return this.#step(core(() => this.#op.respond(requestId, response.status, headerLines(response.headers), response.body, nowMs)));
  }
  onResponse(requestId: string, response: HttpResponse, nowMs: number): void {
    core(() => this.#op.onResponse(requestId, response.status, headerLines(response.headers), response.body, nowMs));
  }
  onTransportFailure(requestId: string, failure: TransportFailure, nowMs: number): void {
    core(() => this.#op.onTransportFailure(requestId, failure, nowMs));
  }
  cancel(nowMs: number): BcpayError {
    return fromCore(core(() => this.#op.cancel(nowMs))) as BcpayError;
  }
  get deadlineMs(): number | undefined {
    return this.#op.deadlineMs();
  }
  free(): void {
    this.#op.free();
  }
  #step(text: string): Step {
    if (text.startsWith("send\n")) {
      // `send`, id, endpoint, method, url, then name and value per header (see the binding).
      const l = text.split("\n");
      const headers: Header[] = [];
      for (let i = 5; i + 1 < l.length; i += 2) headers.push({ name: l[i], value: l[i + 1] });
      const request: HttpRequest = { id: l[1], endpoint: l[2] as Endpoint, method: l[3] as HttpRequest["method"], url: l[4], headers, body: this.#op.takeBody() as Uint8Array | null };
      return { type: "send", request };
    }
    const a = JSON.parse(text) as { type: string; request?: HttpRequest; until_ms?: number; request_id?: string; output?: Json; error?: Record<string, Json> };
    switch (a.type) {
      case "send": {
        const request = a.request as HttpRequest;
        request.body = this.#op.takeBody() as Uint8Array | null;
        return { type: "send", request };
      }
      case "wait":
        return { type: "wait", untilMs: a.until_ms as number };
      case "awaiting":
        return { type: "awaiting", requestId: a.request_id as string };
      case "done":
        return { type: "done", output: a.output ?? null };
      default:
        return { type: "failed", error: BcpayError.fromDetails(a.error as Record<string, Json>) };
    }
  }
}

/**
 * The payment state machine, for hosts that drive HTTP themselves: `poll(now)`, perform the
 * request, then `onResponse` or `onTransportFailure`. `Client.pay` does exactly this. Call
 * `free()` when done (it holds WebAssembly memory).
 */
export class PaymentFlow {
  readonly #op: Operation;
  constructor(op: Operation) {
    this.#op = op;
  }
  poll(nowMs: number = Date.now()): FlowAction {
    return flowAction(this.#op.poll(nowMs));
  }
  /** `onResponse` then `poll`, in one call into the core. */
  respond(requestId: string, response: HttpResponse, nowMs: number = Date.now()): FlowAction {
    return flowAction(this.#op.respond(requestId, response, nowMs));
  }
  onResponse(requestId: string, response: HttpResponse, nowMs: number = Date.now()): void {
    this.#op.onResponse(requestId, response, nowMs);
  }
  onTransportFailure(requestId: string, failure: TransportFailure, nowMs: number = Date.now()): void {
    this.#op.onTransportFailure(requestId, failure, nowMs);
  }
  /** Ends the flow for a caller that gave up; the error says whether a payment may have been sent. */
  cancel(nowMs: number = Date.now()): BcpayError {
    return this.#op.cancel(nowMs);
  }
  free(): void {
    this.#op.free();
  }
}

function flowAction(step: Step): FlowAction {
  return step.type === "done" ? { type: "done", receipt: toCamel<PaymentReceipt>(step.output) } : step;
}

/** A payment access token. Its secret is kept out of `JSON.stringify`, `String()` and logs. */
export class PaymentAccessToken {
  readonly #secret: string;
  constructor(
    secret: string,
    readonly claims: PatClaims | null,
    readonly receivedAtMs: number,
    readonly expiresAtMs: number,
  ) {
    this.#secret = secret;
  }
  /** The JWT, for the Authorization header. */
  expose(): string {
    return this.#secret;
  }
  toJSON(): Json {
    return { secret: "[redacted]", claims: this.claims, receivedAtMs: this.receivedAtMs, expiresAtMs: this.expiresAtMs };
  }
  toString(): string {
    return "PaymentAccessToken([redacted])";
  }
}

/** Per-call options: `signal` cancels the call (it then rejects with a `BcpayError` that says
 * whether a payment may have been sent: `CancelledError` or `AmbiguousOutcomeError`). */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Resolves after `ms`, or early (with `true`) when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(false);
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

type Exchange = { response: HttpResponse } | { failure: TransportFailure } | { stopped: true };

/** Pays orders and makes every Payments API call for one store. */
export class Client {
  readonly #api: BcpayApi;
  readonly #transport: Transport;

  constructor(options: ClientOptions) {
    const settings = {
      store_hash: options.storeHash,
      api_token: options.apiToken,
      api_base: options.apiBase,
      payments_base: options.paymentsBase,
      host: options.host ?? "node",
      max_response_bytes: options.maxResponseBytes,
      timeout_ms: options.timeoutMs,
    };
    this.#api = core(
      () =>
        new BcpayApi(
          toJson(settings),
          options.rateLimit ? toJson(toSnake(options.rateLimit)) : undefined,
          options.flowOptions ? toJson(toSnake(options.flowOptions)) : undefined,
        ),
    );
    // The core checked both limits; the default transport enforces them.
    const [timeoutMs, maxBodyBytes] = this.#api.transportLimits();
    this.#transport = options.transport ?? fetchTransport({ timeoutMs, maxBodyBytes });
  }

  /**
   * Pays `orderId` with one payment, or several for a split (gift certificates and store credit
   * first): Get Payment Methods → Create Payment Access Token → Process Payment, with retries,
   * rate limiting and reconciliation. Resolves with the receipt or rejects with a `BcpayError`.
   * `options` override the client's flow options for this payment; `options.signal` cancels it.
   */
  async pay(orderId: number, payments: Payment | Payment[], options: FlowOptions & CallOptions = {}): Promise<PaymentReceipt> {
    const { signal, ...flowOptions } = options;
    const op = this.#newFlow(orderId, payments, flowOptions, Date.now());
    return toCamel<PaymentReceipt>(await this.#drive(op, signal));
  }

  /** A payment flow to drive yourself (see `PaymentFlow`). `seed` makes retry jitter repeatable. */
  newFlow(orderId: number, payments: Payment | Payment[], options: FlowOptions = {}, nowMs: number = Date.now(), seed?: number): PaymentFlow {
    return new PaymentFlow(this.#newFlow(orderId, payments, options, nowMs, seed));
  }

  #newFlow(orderId: number, payments: Payment | Payment[], options: FlowOptions, nowMs: number, seed?: number): Operation {
    const list = Array.isArray(payments) ? payments : [payments];
    let custom = false;
    for (const _ in options) custom = true;
    const optionsJson = custom ? toJson(toSnake(options)) : undefined;
    return new Operation(core(() => this.#api.newFlow(toJson(orderId), toJson(toSnake(list)), optionsJson, nowMs, seed)));
  }

  /** Validates payments without sending anything; returns every field error (empty if valid). */
  validate(payments: Payment | Payment[], methods?: PaymentMethod[], nowMs: number = Date.now()): FieldError[] {
    const list = Array.isArray(payments) ? payments : [payments];
    const json = core(() => this.#api.validate(toJson(toSnake(list)), nowMs, methods ? toJson(toSnake(methods)) : undefined));
    return (JSON.parse(json) as FieldError[]).map((f) => ({ ...f, path: camelKey(f.path) }));
  }

  /** Builds a request for `call` (stateless API; calls are named by their endpoint). */
  buildRequest(call: Endpoint, input: Record<string, Json>): HttpRequest {
    return core(() => this.#api.build(call, toJson(toSnake(input)))) as HttpRequest;
  }

  /** Parses the response to a request built for `call`. */
  parseResponse<T = Json>(call: Endpoint, requestId: string, response: HttpResponse, context: Record<string, Json> = {}): T {
    const json = core(() => this.#api.parse(call, requestId, response.status, headerLines(response.headers), response.body, toJson(toSnake(context))));
    return toCamel<T>(JSON.parse(json));
  }

  /**
   * Sends `request` with the transport, then zeroes its body (it may hold card data). Stops
   * waiting (`stopped`) when `signal` aborts or `deadlineMs` passes; the transport's own request
   * is aborted too. Anything a custom transport throws other than a `TransportError` may have
   * come after sending: it counts as `maybe_sent`, so a payment is reconciled, not resent.
   */
  async #send(request: HttpRequest, deadlineMs: number | undefined, signal: AbortSignal | undefined): Promise<Exchange> {
    if (deadlineMs === undefined && signal === undefined) {
      // Nothing can stop the wait: no controller, timer or race per request.
      try {
        return { response: await this.#transport(request) };
      } catch (err) {
        return { failure: err instanceof TransportError ? err.failure : "maybe_sent" };
      } finally {
        request.body?.fill(0);
      }
    }
    const abort = new AbortController();
    const stop = () => abort.abort();
    signal?.addEventListener("abort", stop, { once: true });
    const timer = deadlineMs === undefined ? undefined : setTimeout(stop, Math.max(0, deadlineMs - Date.now()));
    const stopped = new Promise<Exchange>((resolve) => abort.signal.addEventListener("abort", () => resolve({ stopped: true }), { once: true }));
    try {
      if (signal?.aborted) return { stopped: true };
      const sent = this.#transport(request, { signal: abort.signal }).then(
        (response): Exchange => ({ response }),
        (err: unknown): Exchange => ({ failure: err instanceof TransportError ? err.failure : "maybe_sent" }),
      );
      return await Promise.race([sent, stopped]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", stop);
      abort.abort();
      request.body?.fill(0);
    }
  }

  /** Drives an operation to its end: the one loop behind `pay` and every single call. */
  async #drive(op: Operation, signal?: AbortSignal): Promise<Json> {
    try {
      let step = op.poll(Date.now());
      for (;;) {
        switch (step.type) {
          case "send": {
            const { request } = step;
            const outcome = await this.#send(request, op.deadlineMs, signal);
            if ("stopped" in outcome) throw op.cancel(Date.now());
            if ("response" in outcome) {
              step = op.respond(request.id, outcome.response, Date.now());
            } else {
              op.onTransportFailure(request.id, outcome.failure, Date.now());
              step = op.poll(Date.now());
            }
            break;
          }
          case "wait":
            if (await sleep(step.untilMs - Date.now(), signal)) throw op.cancel(Date.now());
            step = op.poll(Date.now());
            break;
          case "awaiting":
            throw new Error("bcpay: a request is in flight (the loop reports every outcome before polling)");
          case "done":
            return step.output;
          case "failed":
            throw step.error;
        }
      }
    } finally {
      op.free();
    }
  }

  async #call<T>(call: Endpoint, input: Record<string, Json>, options: CallOptions = {}): Promise<T> {
    const op = new Operation(core(() => this.#api.newCall(call, toJson(toSnake(input)), Date.now())));
    return toCamel<T>(await this.#drive(op, options.signal));
  }

  /** Get Payment Methods for an order or a checkout. */
  getPaymentMethods(query: { orderId: number } | { checkoutId: string }, options?: CallOptions): Promise<PaymentMethod[]> {
    return this.#call("get_payment_methods", query, options);
  }

  /** Create Payment Access Token. */
  async createAccessToken(orderId: number, isRecurring = false, options?: CallOptions): Promise<PaymentAccessToken> {
    const t = await this.#call<{ secret: string; claims: PatClaims | null; receivedAtMs: number; expiresAtMs: number }>("create_payment_access_token", { orderId, isRecurring }, options);
    return new PaymentAccessToken(t.secret, t.claims, t.receivedAtMs, t.expiresAtMs);
  }

  /** Process Payment once: no reconciliation (use `pay` for that). */
  processPayment(token: PaymentAccessToken, payment: Payment, options?: CallOptions): Promise<ProcessedPayment> {
    if (!(token instanceof PaymentAccessToken)) {
      throw BcpayError.fromDetails({ kind: "validation", class_name: "ValidationError", title: "The input is invalid", message: "validation: The input is invalid — token: invalid_input",
        field_errors: [{ path: "token", code: "invalid_input", description: "token: expected a PaymentAccessToken from createAccessToken" }], retry: { type: "never" } });
    }
    return this.#call("process_payment", { pat: token.expose(), payment }, options);
  }

  /** V2 create order (always Incomplete, the only payable status). */
  createOrder(order: NewOrder, options?: CallOptions): Promise<Order> {
    return this.#call("create_order", { order }, options);
  }

  getOrder(orderId: number, options?: CallOptions): Promise<Order> {
    return this.#call("get_order", { orderId }, options);
  }

  /** Every transaction of an order (all pages, at most `maxTransactionPages`). */
  getTransactions(orderId: number, options?: CallOptions): Promise<Transaction[]> {
    return this.#call("get_order_transactions", { orderId }, options);
  }

  async capture(orderId: number, options?: CallOptions): Promise<void> {
    await this.#call("capture_payment", { orderId }, options);
  }

  async void(orderId: number, options?: CallOptions): Promise<void> {
    await this.#call("void_payment", { orderId }, options);
  }

  createRefundQuote(orderId: number, items: RefundItem[], options?: CallOptions): Promise<RefundQuote> {
    return this.#call("create_refund_quote", { orderId, request: { items } }, options);
  }

  createRefund(orderId: number, request: RefundRequest, options?: CallOptions): Promise<Refund> {
    return this.#call("create_refund", { orderId, request }, options);
  }

  listRefunds(orderId: number, options?: CallOptions): Promise<Refund[]> {
    return this.#call("list_refunds", { orderId }, options);
  }

  getStoredInstruments(customerId: number, options?: CallOptions): Promise<StoredInstrument[]> {
    return this.#call("get_stored_instruments", { customerId }, options);
  }
}
