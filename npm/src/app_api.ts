/**
 * The functions of `bcpay/app`, over either build of its core: WebAssembly (`app.ts`, browsers)
 * or the same module translated to JavaScript by wasm2js (`app-js.ts`, engines without
 * WebAssembly such as React Native's Hermes). Names are converted here and nothing else.
 */
import { BcpayError, camelKey, classifyFetchError, fromCore, toCamel, toJson, toSnake, type Json } from "./errors.js";
import type { Payment, PaymentMethod, PaymentReceipt, TransportFailure } from "./types.js";

/** The core's app-side functions, as both builds export them. */
export interface AppCore {
  checkCardForm(form: string, nowMs: number, methods?: string): string;
  buildPaymentRequest(orderId: string, payments: string, timeBudgetMs: string | undefined, nowMs: number): Uint8Array;
  readPaymentOutcome(body: Uint8Array): string;
  relayFailure(failure: string): string;
}

let coreFunctions: (() => AppCore) | undefined;

/** Sets where the core's functions come from (each entry does, once, before any call). */
export function useCore(load: () => AppCore): void {
  let loaded: AppCore | undefined;
  coreFunctions = () => (loaded ??= load());
}

function core<T>(call: (c: AppCore) => T): T {
  const c = (coreFunctions as () => AppCore)();
  try {
    return call(c);
  } catch (err) {
    throw fromCore(err);
  }
}

/** A card form as typed so far: every field text, possibly empty. */
export interface CardForm {
  number?: string;
  cardholderName?: string;
  /** `1`–`12`. */
  expiryMonth?: string;
  /** Two digits (`30` is 2030) or four. */
  expiryYear?: string;
  verificationValue?: string;
}

/** A card brand, from the number's first digits. */
export type CardBrand = "VISA" | "MASTERCARD" | "AMEX" | "DISCOVER" | "JCB" | "DINERS_CLUB" | "MAESTRO" | "DANKORT";

/** One field's state: `incomplete` while more typing could make it valid; `code` and
 * `description` (for the shopper) say what is wrong when `invalid`. */
export interface FieldCheck {
  field: "number" | "cardholderName" | "expiryMonth" | "expiryYear" | "verificationValue";
  state: "empty" | "incomplete" | "valid" | "invalid";
  code: string | null;
  description: string | null;
}

/** What `checkCard` found. Holds no card data. */
export interface CardFormCheck {
  brand: CardBrand | null;
  /** With the order's accepted methods: the method that takes this brand. */
  paymentMethodId: string | null;
  verificationValueRequired: boolean;
  /** The expiry as numbers for the payment (`30` → 2030), when readable. */
  expiryMonth: number | null;
  expiryYear: number | null;
  fields: FieldCheck[];
  /** Every field is valid: the form may be submitted. */
  complete: boolean;
}

/**
 * Each field's state as typed so far. With the order's `acceptedMethods` (what your server got
 * from Get Payment Methods), a brand the order does not take is invalid and `paymentMethodId`
 * names the method that takes it. `nowMs` is the device's clock (card expiry).
 */
export function checkCard(form: CardForm, options: { acceptedMethods?: PaymentMethod[]; nowMs?: number } = {}): CardFormCheck {
  const methods = options.acceptedMethods ? toJson(toSnake(options.acceptedMethods)) : undefined;
  const check = toCamel<CardFormCheck>(JSON.parse(core((c) => c.checkCardForm(toJson(toSnake(form)), options.nowMs ?? Date.now(), methods))));
  for (const f of check.fields) f.field = camelKey(f.field) as FieldCheck["field"];
  return check;
}

/**
 * The body to post to your server (`Content-Type: application/json`), validated here by the
 * rules the server applies again: a bad card throws a `ValidationError` naming the field, and
 * nothing needs sending. The bytes hold card data: send them, then `fill(0)`. `timeBudgetMs` is
 * how long the app will wait; the server's own budget caps it.
 */
export function paymentRequest(orderId: number, payments: Payment | Payment[], options: { timeBudgetMs?: number; nowMs?: number } = {}): Uint8Array {
  const list = Array.isArray(payments) ? payments : [payments];
  const budget = options.timeBudgetMs === undefined ? undefined : toJson(options.timeBudgetMs);
  return core((c) => c.buildPaymentRequest(toJson(orderId), toJson(toSnake(list)), budget, options.nowMs ?? Date.now()));
}

/** Reads your server's answer: the receipt, or throws the `BcpayError` its payment ended with. */
export function readOutcome(body: Uint8Array | string): PaymentReceipt {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const action = JSON.parse(core((c) => c.readPaymentOutcome(bytes))) as { type: string; output?: Json; error?: Record<string, Json> };
  if (action.type === "done") return toCamel<PaymentReceipt>(action.output);
  throw BcpayError.fromDetails(action.error as Record<string, Json>);
}

/**
 * The error for a request to your server that got no answer. Say `not_sent` only when the
 * connection never opened: otherwise the server may have charged, and the error is an
 * `AmbiguousOutcomeError`: ask your server about the order before paying again.
 */
export function outcomeOfFailure(failure: TransportFailure = "maybe_sent"): BcpayError {
  return BcpayError.fromDetails(JSON.parse(core((c) => c.relayFailure(failure))) as Record<string, Json>);
}

/**
 * The whole app side: validates, posts the payment to your server's `url` with `fetch`, and
 * reads its answer. Anything but a readable answer — a network error, an abort, a proxy's error
 * page — after the request may have reached the server rejects with `AmbiguousOutcomeError`,
 * never a bare `TypeError`.
 */
export async function payThroughServer(
  url: string,
  orderId: number,
  payments: Payment | Payment[],
  options: { timeBudgetMs?: number; headers?: Record<string, string>; signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<PaymentReceipt> {
  const body = paymentRequest(orderId, payments, { timeBudgetMs: options.timeBudgetMs });
  let answer: Uint8Array;
  try {
    const response = await (options.fetch ?? globalThis.fetch)(url, {
      method: "POST",
      headers: { ...options.headers, "Content-Type": "application/json" },
      body: body as BodyInit,
      signal: options.signal,
    });
    answer = new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    throw outcomeOfFailure(classifyFetchError(err));
  } finally {
    body.fill(0);
  }
  return readOutcome(answer);
}
