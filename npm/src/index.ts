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

/** Every failure bcpay reports. Safe to log: it never contains card data or tokens. */
export class BcpayError extends Error {
  override name = "BcpayError";
  readonly kind: ErrorKind;
  readonly status: number | null;
  /** The API's numeric error code (30102, …). */
  readonly code: number | null;
  readonly codeText: string | null;
  readonly title: string;
  readonly detail: string | null;
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

  constructor(message: string, details: Record<string, Json>) {
    super(message);
    const d = toCamel<Record<string, Json>>(details);
    this.kind = d.kind as ErrorKind;
    this.status = (d.status as number | null) ?? null;
    this.code = (d.code as number | null) ?? null;
    this.codeText = (d.codeText as string | null) ?? null;
    this.title = d.title as string;
    this.detail = (d.detail as string | null) ?? null;
    this.fieldErrors = (d.fieldErrors as FieldError[]) ?? [];
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

  /** Builds the error from the core's fields (as `Action.failed` carries them). */
  static fromDetails(details: Record<string, Json>): BcpayError {
    const e = details as { kind: string; title: string; detail?: string | null; code?: number | null; status?: number | null };
    let message = `${e.kind}: ${e.title}`;
    if (e.detail) message += ` — ${e.detail}`;
    if (e.code != null) message += ` (code ${e.code})`;
    if (e.status != null) message += ` [HTTP ${e.status}]`;
    return new BcpayError(message, details);
  }
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
const oneLine = (s: string): string => (s.includes("\n") || s.includes("\r") ? s.replace(/[\r\n]/g, " ") : s);

/** Runs a core call, turning its `Error`s into `BcpayError`s. */
function core<T>(call: () => T): T {
  ensureLoaded();
  try {
    return call();
  } catch (err) {
    const e = err as { name?: string; message?: string; details?: Record<string, Json> };
    if (e && e.name === "BcpayError" && e.details) throw new BcpayError(e.message ?? "bcpay error", e.details);
    throw err;
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
 * Sends one request. Throw `TransportError` when there is no response. bcpay wipes
 * `request.body` (it may hold card data) once the returned promise settles: copy it first if
 * you need it afterwards.
 */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

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
  return async (request) => {
    let response: Response;
    const signal = AbortSignal.timeout(timeoutMs);
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

/**
 * The payment state machine, for hosts that drive HTTP themselves: `poll(now)`, perform the
 * request, then `onResponse` or `onTransportFailure`. `Client.pay` does exactly this. Call
 * `free()` when done (it holds WebAssembly memory).
 */
export class PaymentFlow {
  readonly #flow: BcpayFlow;
  constructor(flow: BcpayFlow) {
    this.#flow = flow;
  }
  poll(nowMs: number = Date.now()): FlowAction {
    return this.#action(core(() => this.#flow.poll(nowMs)));
  }
  /** `onResponse` then `poll`, in one call into the core. */
  respond(requestId: string, response: HttpResponse, nowMs: number = Date.now()): FlowAction {
    return this.#action(core(() => this.#flow.respond(requestId, response.status, headerLines(response.headers), response.body, nowMs)));
  }
  #action(text: string): FlowAction {
    if (text.startsWith("send\n")) {
      // `send`, id, endpoint, method, url, then name and value per header (see the binding).
      const l = text.split("\n");
      const headers: Header[] = [];
      for (let i = 5; i + 1 < l.length; i += 2) headers.push({ name: l[i], value: l[i + 1] });
      const request: HttpRequest = { id: l[1], endpoint: l[2] as Endpoint, method: l[3] as HttpRequest["method"], url: l[4], headers, body: this.#flow.takeBody() as Uint8Array | null };
      return { type: "send", request };
    }
    const a = JSON.parse(text) as { type: string; request?: HttpRequest; until_ms?: number; request_id?: string; receipt?: Json; error?: Record<string, Json> };
    switch (a.type) {
      case "send": {
        const request = a.request as HttpRequest;
        request.body = this.#flow.takeBody() as Uint8Array | null;
        return { type: "send", request };
      }
      case "wait":
        return { type: "wait", untilMs: a.until_ms as number };
      case "awaiting":
        return { type: "awaiting", requestId: a.request_id as string };
      case "done":
        return { type: "done", receipt: toCamel<PaymentReceipt>(a.receipt) };
      default:
        return { type: "failed", error: BcpayError.fromDetails(a.error as Record<string, Json>) };
    }
  }
  onResponse(requestId: string, response: HttpResponse, nowMs: number = Date.now()): void {
    core(() => this.#flow.onResponse(requestId, response.status, headerLines(response.headers), response.body, nowMs));
  }
  onTransportFailure(requestId: string, failure: TransportFailure, nowMs: number = Date.now()): void {
    core(() => this.#flow.onTransportFailure(requestId, failure, nowMs));
  }
  free(): void {
    this.#flow.free();
  }
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
  isExpired(nowMs: number = Date.now()): boolean {
    return nowMs >= this.expiresAtMs;
  }
  toJSON(): Json {
    return { secret: "[redacted]", claims: this.claims, receivedAtMs: this.receivedAtMs, expiresAtMs: this.expiresAtMs };
  }
  toString(): string {
    return "PaymentAccessToken([redacted])";
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Pays orders and makes every Payments API call for one store. */
export class Client {
  readonly #api: BcpayApi;
  readonly #transport: Transport;
  readonly #flowOptions: FlowOptions;

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
    this.#api = core(() => new BcpayApi(toJson(settings), options.rateLimit ? toJson(toSnake(options.rateLimit)) : undefined));
    // The core checked both limits; the default transport enforces them.
    const [timeoutMs, maxBodyBytes] = this.#api.transportLimits();
    this.#transport = options.transport ?? fetchTransport({ timeoutMs, maxBodyBytes });
    this.#flowOptions = options.flowOptions ?? {};
  }

  /**
   * Pays `orderId` with one payment, or several for a split (gift certificates and store credit
   * first): Get Payment Methods → Create Payment Access Token → Process Payment, with retries,
   * rate limiting and reconciliation. Resolves with the receipt or rejects with a `BcpayError`.
   */
  async pay(orderId: number, payments: Payment | Payment[], options: FlowOptions = {}): Promise<PaymentReceipt> {
    const flow = this.newFlow(orderId, payments, options);
    try {
      let action = flow.poll(Date.now());
      for (;;) {
        switch (action.type) {
          case "send": {
            const { request } = action;
            let response: HttpResponse;
            try {
              response = await this.#send(request);
            } catch (err) {
              // A custom transport that throws anything else is treated as "may have been
              // sent": bcpay then reconciles instead of risking a second charge.
              flow.onTransportFailure(request.id, err instanceof TransportError ? err.failure : "maybe_sent", Date.now());
              action = flow.poll(Date.now());
              continue;
            }
            action = flow.respond(request.id, response, Date.now());
            break;
          }
          case "wait":
            await sleep(action.untilMs - Date.now());
            action = flow.poll(Date.now());
            break;
          case "awaiting":
            throw new Error("bcpay: a request is in flight (pay reports every outcome before polling)");
          case "done":
            return action.receipt;
          case "failed":
            throw action.error;
        }
      }
    } finally {
      flow.free();
    }
  }

  /** A payment flow to drive yourself (see `PaymentFlow`). `seed` makes retry jitter repeatable. */
  newFlow(orderId: number, payments: Payment | Payment[], options: FlowOptions = {}, nowMs: number = Date.now(), seed?: number): PaymentFlow {
    const list = Array.isArray(payments) ? payments : [payments];
    return new PaymentFlow(
      core(() => this.#api.newFlow(toJson(orderId), toJson(toSnake(list)), this.#optionsJson(options), nowMs, seed)),
    );
  }

  #defaultOptionsJson: string | undefined;
  /** The flow options as the core's JSON; the client's defaults are encoded once. */
  #optionsJson(options: FlowOptions): string {
    for (const _ in options) return toJson(toSnake({ ...this.#flowOptions, ...options }));
    return (this.#defaultOptionsJson ??= toJson(toSnake(this.#flowOptions)));
  }

  /** Validates payments without sending anything; returns every field error (empty if valid). */
  validate(payments: Payment | Payment[], methods?: PaymentMethod[], nowMs: number = Date.now()): FieldError[] {
    const list = Array.isArray(payments) ? payments : [payments];
    const json = core(() => this.#api.validate(toJson(toSnake(list)), nowMs, methods ? toJson(toSnake(methods)) : undefined));
    return JSON.parse(json) as FieldError[];
  }

  /** Builds a request for `call` (stateless API; snake_case endpoint names as in the vectors). */
  buildRequest(call: string, input: Record<string, Json>): HttpRequest {
    return core(() => this.#api.build(call, toJson(toSnake(input)))) as HttpRequest;
  }

  /** Parses the response to a request built for `call`. */
  parseResponse<T = Json>(call: string, requestId: string, response: HttpResponse, context: Record<string, Json> = {}): T {
    const json = core(() => this.#api.parse(call, requestId, response.status, headerLines(response.headers), response.body, toJson(toSnake(context))));
    return toCamel<T>(JSON.parse(json));
  }

  /** Sends `request` with the transport, then zeroes its body (it may hold card data). */
  async #send(request: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.#transport(request);
    } finally {
      request.body?.fill(0);
    }
  }

  async #call<T>(call: string, input: Record<string, Json>, context: Record<string, Json> = {}): Promise<T> {
    const request = this.buildRequest(call, input);
    let response: HttpResponse;
    try {
      response = await this.#send(request);
    } catch (err) {
      const failure = err instanceof TransportError ? err.failure : "maybe_sent";
      const e = core(() => this.#api.transportError(request.endpoint, request.id, failure)) as { message: string; details: Record<string, Json> };
      throw new BcpayError(e.message, e.details);
    }
    return this.parseResponse<T>(call, request.id, response, context);
  }

  /** Get Payment Methods for an order or a checkout. */
  getPaymentMethods(query: { orderId: number } | { checkoutId: string }): Promise<PaymentMethod[]> {
    return this.#call("get_payment_methods", query);
  }

  /** Create Payment Access Token. */
  async createAccessToken(orderId: number, isRecurring = false): Promise<PaymentAccessToken> {
    const t = await this.#call<{ secret: string; claims: PatClaims | null; receivedAtMs: number; expiresAtMs: number }>("create_access_token", { orderId, isRecurring }, { nowMs: Date.now() });
    return new PaymentAccessToken(t.secret, t.claims, t.receivedAtMs, t.expiresAtMs);
  }

  /** Process Payment once: no retry, no reconciliation (use `pay` for that). */
  processPayment(token: PaymentAccessToken, payment: Payment): Promise<ProcessedPayment> {
    return this.#call("process_payment", { pat: token.expose(), nowMs: Date.now(), payment }, { paymentMethodId: payment.paymentMethodId });
  }

  /** V2 create order (always Incomplete, the only payable status). */
  createOrder(order: NewOrder): Promise<Order> {
    return this.#call("create_order", { order });
  }

  getOrder(orderId: number): Promise<Order> {
    return this.#call("get_order", { orderId });
  }

  /** Every transaction of an order (all pages). */
  async getTransactions(orderId: number): Promise<Transaction[]> {
    const all: Transaction[] = [];
    for (let page = 1; page <= 1000; page++) {
      const p = await this.#call<{ transactions: Transaction[]; hasNext: boolean }>("get_transactions", { orderId, page });
      all.push(...p.transactions);
      if (!p.hasNext) break;
    }
    return all;
  }

  async capture(orderId: number): Promise<void> {
    await this.#call("capture", { orderId });
  }

  async void(orderId: number): Promise<void> {
    await this.#call("void", { orderId });
  }

  createRefundQuote(orderId: number, items: RefundItem[]): Promise<RefundQuote> {
    return this.#call("create_refund_quote", { orderId, request: { items } });
  }

  createRefund(orderId: number, request: RefundRequest): Promise<Refund> {
    return this.#call("create_refund", { orderId, request });
  }

  listRefunds(orderId: number): Promise<Refund[]> {
    return this.#call("list_refunds", { orderId });
  }

  getStoredInstruments(customerId: number): Promise<StoredInstrument[]> {
    return this.#call("get_stored_instruments", { customerId });
  }
}
