/**
 * bcpay for JavaScript: the BigCommerce Payments API, safely. Every rule (validation, request
 * building, parsing, error classification, retries, reconciliation) runs in bcpay-core compiled
 * to WebAssembly; this layer supplies `fetch`, converts names to camelCase, and throws
 * `BcpayError`s.
 */
import * as mainModule from "./generated/bcpay_wasm.js";
import type { BcpayApi, BcpayFlow } from "./generated/bcpay_wasm.js";
import { WASM_BASE64 } from "./generated/bcpay_wasm_bytes.js";
import type {
  FieldError,
  FlowEvent,
  FlowOptions,
  Header,
  HttpRequest,
  HttpResponse,
  NewOrder,
  Order,
  OrderPaymentStatus,
  Payment,
  PaymentMethod,
  PaymentReceipt,
  PreparedPayment,
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

import { brand, isInstance } from "./brand.js";
import {
  BcpayError,
  camelKey,
  classifyFetchError,
  describeError,
  fromCore,
  toCamel,
  toCoreJson,
  toJson,
  toSnake,
  TransportError,
  type Json,
} from "./errors.js";

export * from "./types.js";
export * from "./errors.js";

// ---------------------------------------------------------------------------------------------
// Loading: the module is inlined, so Node, Deno and Bun load it the same way, with no file
// system or network access. Cloudflare Workers compile no WebAssembly from bytes: their entry
// (`workerd.ts`) hands over the module the runtime compiled from the package's `.wasm` file.
// ---------------------------------------------------------------------------------------------

/** A build of the core module: its glue, its bytes (base64) or the compiled module, and once
 * loaded, its memory (request bodies are read from it: see `Operation`). */
interface CoreModule {
  glue: typeof mainModule;
  source: string | WebAssembly.Module;
  memory?: WebAssembly.Memory;
}

let current: CoreModule = { glue: mainModule, source: WASM_BASE64 };

function ensureLoaded(): typeof mainModule {
  if (current.memory === undefined) {
    const { source } = current;
    let module: BufferSource | WebAssembly.Module;
    if (typeof source === "string") {
      const binary = atob(source);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      module = bytes;
    } else {
      module = source;
    }
    current.memory = (current.glue.initSync({ module }) as unknown as { memory: WebAssembly.Memory }).memory;
  }
  return current.glue;
}

/**
 * @internal `bcpay/billing` switches clients created afterwards to its module (the same core
 * with the billing journal); the Workers entry gives the compiled default module. Not part of
 * the API.
 */
export function _useCoreModule(glue: typeof mainModule, source: string | WebAssembly.Module): void {
  if (current.glue !== glue || typeof current.source !== typeof source) current = { glue, source };
}

/**
 * The settings the environment gives (`BCPAY_STORE_HASH`, `BCPAY_API_TOKEN`, `BCPAY_API_BASE`,
 * `BCPAY_PAYMENTS_BASE`: the core names them), where there is a `process.env` (Node);
 * explicit options win over them.
 */
function settingsFromEnv(): Record<string, Json> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (!env) return {};
  const names = (JSON.parse(ensureLoaded().inputKeys()) as { settings_from_env: Record<string, string> }).settings_from_env;
  const out: Record<string, Json> = {};
  for (const [setting, variable] of Object.entries(names)) if (env[variable] !== undefined && env[variable] !== "") out[setting] = env[variable];
  return out;
}

/** The SDK version (of bcpay-core). */
export function version(): string {
  return ensureLoaded().version();
}

/**
 * Response headers as the core's binding reads them: `name\nvalue\n` per header. HTTP forbids
 * line breaks in names and values; any a custom transport lets through become spaces.
 */
function headerLines(headers: Header[]): string {
  let text = "";
  for (const h of headers) text += oneLine(h.name) + "\n" + oneLine(h.value) + "\n";
  return text;
}

/** A response's request id and headers, in the lines the binding reads (`respond`). */
function responseHead(requestId: string, response: HttpResponse): string {
  return oneLine(requestId) + "\n" + headerLines(response.headers);
}
const oneLine = (s: string): string => (s.includes("\n") || s.includes("\r") ? s.replace(/[\r\n]/g, " ") : s);

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

/**
 * Sends one request. Throw `TransportError` when there is no response. `options.signal` aborts
 * when bcpay stops waiting (the caller's signal, the time budget): stop the request then. bcpay
 * wipes `request.body` (it may hold card data) once it stops waiting: copy it first if you need
 * it afterwards.
 */
export type Transport = (request: HttpRequest, options?: { signal?: AbortSignal }) => Promise<HttpResponse>;

/**
 * The default transport: global `fetch` that never follows a redirect (one could carry the API
 * token or card data to another origin; the core reads the 3xx), with a total deadline per
 * request (headers and body together) and a body read through `maxBodyBytes`: one byte past it
 * is enough for the core to refuse the response, and the rest is never read. It hands over only
 * the response headers the core reads (retry and rate-limit headers, the server's request id).
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
      throw new TransportError(classifyFetchError(err), `request ${request.id} (${request.endpoint}) got no response`, { cause: err });
    }
    // Only the headers the core reads: the others would be copied into it for nothing.
    const headers: Header[] = [];
    for (const name of readHeaders()) {
      const value = response.headers.get(name);
      if (value !== null) headers.push({ name, value });
    }
    let body: Uint8Array;
    try {
      body = await readCapped(response, maxBodyBytes + 1);
    } catch (err) {
      // The status arrived, so the server acted; a body that breaks off is not a clean failure.
      throw new TransportError(signal.aborted || classifyFetchError(err) === "timed_out" ? "timed_out" : "maybe_sent", `response to ${request.id} broke off`, { cause: err });
    }
    return { status: response.status, headers, body };
  };
}

/** The response headers the core reads (lower case), asked of the core once. */
let readHeaderNames: string[] | undefined;
function readHeaders(): string[] {
  return (readHeaderNames ??= ensureLoaded().responseHeadersRead().split("\n"));
}

/** A signal that aborts, with the same reason, when `a` or `b` does (`AbortSignal.any` where the
 * runtime has it: Node 20+, Deno, Bun, workerd, browsers). */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const any = (AbortSignal as { any?: (signals: AbortSignal[]) => AbortSignal }).any;
  if (any) return any.call(AbortSignal, [a, b]);
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
  // A declared length under the cap, with no content coding (fetch would inflate it past the
  // length), bounds the body: read it whole, the runtime's fast path.
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared < limit && !response.headers.has("content-encoding")) {
    const whole = new Uint8Array(await response.arrayBuffer());
    // Past the cap only from a custom `fetch` that misstates the length: cut, so the core refuses it.
    return whole.length < limit ? whole : whole.subarray(0, limit);
  }
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
  /** Defaults to `BCPAY_STORE_HASH` from the environment (Node). */
  storeHash?: string;
  /** The API account's access token (`X-Auth-Token`); defaults to `BCPAY_API_TOKEN`. */
  apiToken?: string;
  /** Defaults to `BCPAY_API_BASE`, else https://api.bigcommerce.com */
  apiBase?: string;
  /** Defaults to `BCPAY_PAYMENTS_BASE`, else https://payments.bigcommerce.com */
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

/** What to do after sending an operation's requests, its output still the core's JSON. */
type Next =
  | { type: "wait"; untilMs: number }
  | { type: "awaiting"; requestId: string }
  | { type: "done"; output: Json }
  | { type: "failed"; error: BcpayError };

/** An operation's steps: the requests to send now, then what to do next. */
interface Steps {
  sends: HttpRequest[];
  next: Next | undefined;
}

/** A core operation (a payment flow or a single call) with its steps decoded. */
class Operation {
  readonly #op: BcpayFlow;
  readonly #memory: WebAssembly.Memory;
  constructor(op: BcpayFlow, memory: WebAssembly.Memory) {
    this.#op = op;
    this.#memory = memory;
  }
  /** Every request to send now, and what to do next; one step only without `all`. */
  poll(nowMs: number, all = true): Steps {
    return this.#steps(core(() => this.#op.poll(nowMs, all)));
  }
  /** Reports a response and returns the steps that follow: one call into the core per response. */
  respond(requestId: string, response: HttpResponse, nowMs: number, all = true): Steps {
    return this.#steps(core(() => this.#op.respond(responseHead(requestId, response), response.status, response.body, nowMs, all)));
  }
  onResponse(requestId: string, response: HttpResponse, nowMs: number): void {
    core(() => this.#op.onResponse(responseHead(requestId, response), response.status, response.body, nowMs));
  }
  /** Reports a transport failure and returns the steps that follow. */
  fail(requestId: string, failure: TransportFailure, nowMs: number, cause?: string): Steps {
    return this.#steps(core(() => this.#op.fail(requestId, failure, cause, nowMs, true)));
  }
  onTransportFailure(requestId: string, failure: TransportFailure, nowMs: number, cause?: string): void {
    core(() => this.#op.onTransportFailure(requestId, failure, cause, nowMs));
  }
  cancel(nowMs: number): BcpayError {
    return fromCore(core(() => this.#op.cancel(nowMs))) as BcpayError;
  }
  /** Records events from now on (see `Client.on`). */
  observe(): void {
    this.#op.observe();
  }
  /** The events recorded since the last call. */
  takeEvents(): FlowEvent[] {
    return toCamel<FlowEvent[]>(JSON.parse(this.#op.takeEvents()));
  }
  /** When the time budget runs out (ms): fixed for the operation's life, so asked once. */
  deadlineMs(): number | undefined {
    return this.#op.deadlineMs();
  }
  free(): void {
    this.#op.free();
  }
  /** Decodes the binding's step lines (`Steps` in bindings/wasm). Bodies are copied out of the
   * module's memory now, before any other call into it can move or wipe them. */
  #steps(text: string): Steps {
    const sends: HttpRequest[] = [];
    let at = 0;
    const line = (): string => {
      const end = text.indexOf("\n", at);
      const l = end < 0 ? text.slice(at) : text.slice(at, end);
      at = end < 0 ? text.length : end + 1;
      return l;
    };
    while (at < text.length) {
      const kind = line();
      if (kind === "send" || kind === "sendjson") {
        let request: HttpRequest;
        if (kind === "send") {
          const [id, endpoint, method, url] = [line(), line(), line(), line()];
          const headers: Header[] = [];
          for (let n = Number(line()); n > 0; n--) headers.push({ name: line(), value: line() });
          request = { id, endpoint: endpoint as Endpoint, method: method as HttpRequest["method"], url, headers, body: null };
        } else {
          request = { ...(JSON.parse(line()) as HttpRequest), body: null };
        }
        const body = line();
        if (body !== "-") {
          const [address, length] = body.split(" ").map(Number);
          request.body = new Uint8Array(this.#memory.buffer, address, length).slice();
        }
        sends.push(request);
        continue;
      }
      const rest = text.slice(at);
      switch (kind) {
        case "awaiting":
          return { sends, next: { type: "awaiting", requestId: rest } };
        case "wait":
          return { sends, next: { type: "wait", untilMs: Number(rest) } };
        case "done":
          return { sends, next: { type: "done", output: JSON.parse(rest) as Json } };
        default:
          return { sends, next: { type: "failed", error: BcpayError.fromDetails(JSON.parse(rest) as Record<string, Json>) } };
      }
    }
    return { sends, next: undefined };
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
    return flowAction(this.#op.poll(nowMs, false));
  }
  /** `onResponse` then `poll`, in one call into the core. */
  respond(requestId: string, response: HttpResponse, nowMs: number = Date.now()): FlowAction {
    return flowAction(this.#op.respond(requestId, response, nowMs, false));
  }
  onResponse(requestId: string, response: HttpResponse, nowMs: number = Date.now()): void {
    this.#op.onResponse(requestId, response, nowMs);
  }
  /** `cause`: the thrown error's words (`describeError`), scrubbed by the core. */
  onTransportFailure(requestId: string, failure: TransportFailure, nowMs: number = Date.now(), cause?: string): void {
    this.#op.onTransportFailure(requestId, failure, nowMs, cause);
  }
  /** Ends the flow for a caller that gave up; the error says whether a payment may have been sent. */
  cancel(nowMs: number = Date.now()): BcpayError {
    return this.#op.cancel(nowMs);
  }
  free(): void {
    this.#op.free();
  }
}

/** One step (a poll without `all`) as the action `PaymentFlow` returns. */
function flowAction(steps: Steps): FlowAction {
  const [request] = steps.sends;
  if (request !== undefined) return { type: "send", request };
  const next = steps.next as Next;
  return next.type === "done" ? { type: "done", receipt: toCamel<PaymentReceipt>(next.output) } : next;
}

/** A payment access token. Its secret is kept out of `JSON.stringify`, `String()` and logs. */
export class PaymentAccessToken {
  readonly #secret: string;
  static [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }
  constructor(
    secret: string,
    readonly claims: PatClaims | null,
    readonly receivedAtMs: number,
    readonly expiresAtMs: number,
  ) {
    this.#secret = secret;
    brand(this, "PaymentAccessToken");
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

/** A validation error about an argument JavaScript handed over with the wrong type. */
function inputError(path: string, expected: string): BcpayError {
  return BcpayError.fromDetails({ kind: "validation", class_name: "ValidationError", title: "The input is invalid", message: `validation: The input is invalid — ${path}: invalid_input`,
    field_errors: [{ path, code: "invalid_input", description: `${path}: ${expected}` }], retry: { type: "never" } });
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

/** A request's outcome; `stopped`: bcpay stopped waiting at `atMs` (the caller's signal, the time budget). */
type Exchange = { response: HttpResponse } | { failure: TransportFailure; cause: string | undefined } | { stopped: true; atMs: number };

/** What a thrown transport error comes to: a `TransportError` says itself; anything else a custom
 * transport throws may have come after sending, so it is `maybe_sent`. */
function failureOf(err: unknown): Exchange {
  return { failure: err instanceof TransportError ? err.failure : "maybe_sent", cause: describeError(err) };
}

/** The events `Client.on` takes: each event type, or `event` for all of them. */
export type EventName = FlowEvent["type"] | "event";
/** A listener of `Client.on`. */
export type EventListener<E extends EventName = "event"> = (event: E extends "event" ? FlowEvent : Extract<FlowEvent, { type: E }>) => void;

/** @internal Stores a journal record (`bcpay/billing`). */
export type JournalPut = (orderId: number, state: string, record: string) => void;
type JournaledFactory = (orderId: string, payment: string, record: string | undefined, options: string | undefined, nowMs: number, put: JournalPut) => BcpayFlow;

/** Pays orders and makes every Payments API call for one store. */
export class Client {
  readonly #api: BcpayApi;
  /** The memory of the module `#api` lives in. */
  readonly #memory: WebAssembly.Memory;
  readonly #transport: Transport;
  readonly #listeners = new Map<EventName, Set<(event: FlowEvent) => void>>();

  constructor(options: ClientOptions = {}) {
    // Everything but the host's own objects goes to the core, which refuses a key it does not
    // know (a misspelled `flowOption` would otherwise be dropped and its defaults used).
    const { transport: _transport, rateLimit: _rateLimit, flowOptions: _flowOptions, host, ...settingsIn } = options;
    const given = Object.entries(toSnake(settingsIn) as Record<string, Json>).filter(([, v]) => v !== undefined);
    const settings = { ...settingsFromEnv(), ...Object.fromEntries(given), host: host ?? "node" };
    this.#api = core(
      () =>
        new current.glue.BcpayApi(
          toJson(settings),
          options.rateLimit ? toCoreJson(options.rateLimit) : undefined,
          options.flowOptions ? toCoreJson(options.flowOptions) : undefined,
        ),
    );
    this.#memory = current.memory as WebAssembly.Memory;
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

  /**
   * Pays for a shopper-facing app that relayed the payment to this server: the app holds no
   * token (see `bcpay/app`). `body` is the app's `bcpay.payment_request` envelope (the request
   * body, as bytes or text); resolves with the `bcpay.payment_outcome` envelope to answer with,
   * status 200 and `Content-Type: application/json`, whatever happened: a refused request, a
   * decline, an ambiguous outcome (it never rejects for those). Pass the order this shopper is
   * checking out as `expectOrderId` to refuse any other; `signal` ends it early (the answer then
   * says whether a payment may have been taken). The body holds card data: wipe your buffer.
   */
  async payFromApp(body: Uint8Array | string, options: { expectOrderId?: number } & CallOptions = {}): Promise<string> {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    if (!(bytes instanceof Uint8Array)) throw inputError("body", "expected the request body as a Uint8Array or a string");
    const expect = options.expectOrderId === undefined ? undefined : toJson(options.expectOrderId);
    try {
      const op = new Operation(core(() => this.#api.payFromApp(bytes, expect, Date.now())), this.#memory);
      return (await this.#drive(op, options.signal, true)) as string;
    } finally {
      if (bytes !== body) bytes.fill(0);
    }
  }

  /**
   * @internal Pays `orderId` under a billing journal: `bcpay/billing`'s `payJournaled`, which
   * documents it. Not part of the API.
   */
  static async _payJournaled(client: Client, orderId: number, payment: Payment, record: string | undefined, put: JournalPut, options: FlowOptions & CallOptions): Promise<Json> {
    const api = client.#api as BcpayApi & { payJournaled?: JournaledFactory };
    const payJournaled = api.payJournaled;
    if (typeof payJournaled !== "function") {
      throw BcpayError.fromDetails({ kind: "configuration", class_name: "ConfigurationError", title: "This client cannot keep a billing journal",
        message: "configuration: This client cannot keep a billing journal — it was created before bcpay/billing was imported",
        code_text: "journal_unavailable", retry: { type: "never" }, remedy: "Import bcpay/billing before creating the client." });
    }
    const { signal, ...flowOptions } = options;
    let custom = false;
    for (const _ in flowOptions) custom = true;
    const optionsJson = custom ? toCoreJson(flowOptions) : undefined;
    const op = new Operation(core(() => payJournaled.call(api, toJson(orderId), toCoreJson(payment), record, optionsJson, Date.now(), put)), client.#memory);
    return client.#drive(op, signal);
  }

  /** A payment flow to drive yourself (see `PaymentFlow`). `seed` makes retry jitter repeatable. */
  newFlow(orderId: number, payments: Payment | Payment[], options: FlowOptions = {}, nowMs: number = Date.now(), seed?: number): PaymentFlow {
    return new PaymentFlow(this.#newFlow(orderId, payments, options, nowMs, seed));
  }

  #newFlow(orderId: number, payments: Payment | Payment[], options: FlowOptions, nowMs: number, seed?: number): Operation {
    const list = Array.isArray(payments) ? payments : [payments];
    let custom = false;
    for (const _ in options) custom = true;
    const optionsJson = custom ? toCoreJson(options) : undefined;
    return new Operation(core(() => this.#api.newFlow(toJson(orderId), toCoreJson(list), optionsJson, nowMs, seed)), this.#memory);
  }

  /** Validates payments without sending anything; returns every field error (empty if valid). */
  validate(payments: Payment | Payment[], methods?: PaymentMethod[], nowMs: number = Date.now()): FieldError[] {
    const list = Array.isArray(payments) ? payments : [payments];
    const json = core(() => this.#api.validate(toCoreJson(list), nowMs, methods ? toCoreJson(methods) : undefined));
    return (JSON.parse(json) as FieldError[]).map((f) => ({ ...f, path: camelKey(f.path) }));
  }

  /** Builds a request for `call` (stateless API; calls are named by their endpoint). */
  buildRequest(call: Endpoint, input: Record<string, Json>): HttpRequest {
    return core(() => this.#api.build(call, toCoreJson(input))) as HttpRequest;
  }

  /** Parses the response to a request built for `call`. */
  parseResponse<T = Json>(call: Endpoint, requestId: string, response: HttpResponse, context: Record<string, Json> = {}): T {
    const json = core(() => this.#api.parse(call, requestId, response.status, headerLines(response.headers), response.body, toCoreJson(context)));
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
        return failureOf(err);
      } finally {
        request.body?.fill(0);
      }
    }
    const abort = new AbortController();
    const stop = () => abort.abort();
    signal?.addEventListener("abort", stop, { once: true });
    // Node runs timers on the event loop's cached clock, so this one may fire a millisecond before
    // `Date.now()` reaches the deadline: the stop is then reported at the deadline, which the core
    // reads as the time budget running out (not as the caller cancelling).
    let timedOut = false;
    const timer = deadlineMs === undefined ? undefined : setTimeout(() => { timedOut = true; stop(); }, Math.max(0, deadlineMs - Date.now()));
    const stoppedAt = (): Exchange => ({ stopped: true, atMs: timedOut && deadlineMs !== undefined ? Math.max(Date.now(), deadlineMs) : Date.now() });
    const stopped = new Promise<Exchange>((resolve) => abort.signal.addEventListener("abort", () => resolve(stoppedAt()), { once: true }));
    try {
      if (signal?.aborted) return stoppedAt();
      const sent = this.#transport(request, { signal: abort.signal }).then(
        (response): Exchange => ({ response }),
        failureOf,
      );
      return await Promise.race([sent, stopped]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", stop);
      abort.abort();
      request.body?.fill(0);
    }
  }

  /**
   * Calls `listener` with each event of every operation this client runs (in the spirit of
   * stripe-node's `on('request' | 'response')`): `request` (endpoint, request id, method, URL
   * without secrets, attempt), `response` (status, elapsed ms, the server's request id),
   * `transport_failure` (with the thrown error's scrubbed words), `decision` (retry, reconcile,
   * settled, give up, done, with its reason), or `event` for all of them. A listener that throws
   * is ignored: its bug cannot abandon a payment mid-flight. With no listener the core records
   * nothing.
   */
  on<E extends EventName>(name: E, listener: EventListener<E>): this {
    const set = this.#listeners.get(name) ?? new Set();
    set.add(listener as (event: FlowEvent) => void);
    this.#listeners.set(name, set);
    return this;
  }

  /** Removes a listener `on` added. */
  off<E extends EventName>(name: E, listener: EventListener<E>): this {
    this.#listeners.get(name)?.delete(listener as (event: FlowEvent) => void);
    return this;
  }

  /** Starts recording `op`'s events when anyone listens; the function that hands them over. */
  #watch(op: Operation): (() => void) | undefined {
    let listening = false;
    for (const set of this.#listeners.values()) if (set.size > 0) listening = true;
    if (!listening) return undefined;
    op.observe();
    return () => {
      for (const event of op.takeEvents()) {
        for (const name of [event.type, "event"] as const) {
          for (const listener of this.#listeners.get(name) ?? []) {
            try {
              listener(event);
            } catch {
              // A listener's failure is its own; the payment goes on.
            }
          }
        }
      }
    };
  }

  /**
   * Ends an operation whose caller gave up: throws the core's error, unless the operation
   * answers even then (a relayed payment's envelope, from one more poll).
   */
  static #stopped(op: Operation, answersAfterCancel: boolean, emit: (() => void) | undefined, nowMs = Date.now()): Json {
    const error = op.cancel(nowMs);
    const after = answersAfterCancel ? op.poll(Date.now()).next : undefined;
    emit?.();
    if (after?.type === "done") return after.output;
    throw error;
  }

  /**
   * Drives an operation to its end: the one loop behind `pay` and every single call. Each request
   * goes out as soon as the core hands it over (a payment's methods and token go together);
   * outcomes are reported in the order the core awaits them.
   */
  async #drive(op: Operation, signal?: AbortSignal, answersAfterCancel = false): Promise<Json> {
    const out = new Map<string, Promise<Exchange>>();
    try {
      const emit = this.#watch(op);
      const deadlineMs = op.deadlineMs();
      let steps = op.poll(Date.now());
      for (;;) {
        emit?.();
        for (const request of steps.sends) out.set(request.id, this.#send(request, deadlineMs, signal));
        const next = steps.next as Next;
        switch (next.type) {
          case "awaiting": {
            const { requestId } = next;
            const exchange = out.get(requestId);
            if (exchange === undefined) throw new Error(`bcpay: the core awaits request ${requestId}, which is not out`);
            out.delete(requestId);
            const outcome = await exchange;
            if ("stopped" in outcome) return Client.#stopped(op, answersAfterCancel, emit, outcome.atMs);
            steps = "response" in outcome
              ? op.respond(requestId, outcome.response, Date.now())
              : op.fail(requestId, outcome.failure, Date.now(), outcome.cause);
            break;
          }
          case "wait":
            if (await sleep(next.untilMs - Date.now(), signal)) return Client.#stopped(op, answersAfterCancel, emit);
            steps = op.poll(Date.now());
            break;
          case "done":
            return next.output;
          case "failed":
            throw next.error;
        }
      }
    } finally {
      op.free();
    }
  }

  async #call<T>(call: Endpoint | "refund" | "get_order_payment_status" | "prepare", input: Record<string, Json>, options: CallOptions = {}): Promise<T> {
    const op = new Operation(core(() => this.#api.newCall(call, toCoreJson(input), Date.now())), this.#memory);
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
    if (!(token instanceof PaymentAccessToken)) throw inputError("token", "expected a PaymentAccessToken from createAccessToken");
    return this.#call("process_payment", { pat: token.expose(), payment }, options);
  }

  /** V2 create order (always Incomplete, the only payable status). */
  createOrder(order: NewOrder, options?: CallOptions): Promise<Order> {
    return this.#call("create_order", { order }, options);
  }

  getOrder(orderId: number, options?: CallOptions): Promise<Order> {
    return this.#call("get_order", { orderId }, options);
  }

  /** Prepares the payment of an order ahead (when the order is created or the checkout opens): its methods and a payment access token, kept by this client, so that the order's next `pay` sends only Process Payment. Answers with the methods (to show the checkout) and the token's expiry, never the token. */
  prepare(orderId: number, options?: CallOptions): Promise<PreparedPayment> {
    return this.#call("prepare", { orderId }, options);
  }

  /** Whether an order is paid and how much is due: the order, then all its transactions, judged by the rule `pay` ends by. */
  getOrderPaymentStatus(orderId: number, options?: CallOptions): Promise<OrderPaymentStatus> {
    return this.#call("get_order_payment_status", { orderId }, options);
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
  /** Refund items of an order as its refund quote allows: the quote, then the refund through the quote's providers for its amounts. A quote that allows only offline refunds fails with `offline_refund_required` (invalid_request). */
  refund(orderId: number, items: RefundItem[], options?: CallOptions): Promise<Refund> {
    return this.#call("refund", { orderId, items }, options);
  }


  listRefunds(orderId: number, options?: CallOptions): Promise<Refund[]> {
    return this.#call("list_refunds", { orderId }, options);
  }

  getStoredInstruments(customerId: number, options?: CallOptions): Promise<StoredInstrument[]> {
    return this.#call("get_stored_instruments", { customerId }, options);
  }
}
