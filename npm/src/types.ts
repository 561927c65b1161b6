/** Public types of the `bcpay` package. Field names are camelCase; wire names are snake_case. */

/** One HTTP header. */
export interface Header {
  name: string;
  value: string;
}

/** A complete request built by bcpay: send it exactly as is. */
export interface HttpRequest {
  /** Matches the response to the request; never empty. */
  id: string;
  /** Which API call (snake_case), for logs and metrics. */
  endpoint: Endpoint;
  method: "GET" | "POST";
  url: string;
  headers: Header[];
  body: Uint8Array | null;
}

/** What the server answered. */
export interface HttpResponse {
  status: number;
  headers: Header[];
  body: Uint8Array;
}

/** The API calls bcpay makes. */
export type Endpoint =
  | "get_payment_methods"
  | "create_payment_access_token"
  | "process_payment"
  | "create_order"
  | "get_order"
  | "get_order_transactions"
  | "capture_payment"
  | "void_payment"
  | "create_refund_quote"
  | "create_refund"
  | "list_refunds"
  | "get_stored_instruments";

/** Why a transport got no response: decides whether a payment may be resent. */
export type TransportFailure = "not_sent" | "maybe_sent" | "timed_out";

/** What an operation chose to do next (see `FlowEvent`). */
export type Decision = "wait" | "retry" | "reconcile" | "settled" | "give_up" | "done";

/**
 * What an operation did or decided, as `Client.on` hands it over. No event holds a secret: the
 * URL carries none (tokens travel in headers, which events leave out) and a cause is scrubbed.
 */
export type FlowEvent =
  | {
      type: "request";
      endpoint: Endpoint;
      /** Matches the request's response, failure and errors. */
      requestId: string;
      method: "GET" | "POST";
      url: string;
      /** 1 for the first send of the call, 2 for the first retry, … */
      attempt: number;
    }
  | {
      type: "response";
      endpoint: Endpoint;
      requestId: string;
      status: number;
      /** From the send to the response. */
      elapsedMs: number;
      attempt: number;
      /** The server's id of the exchange (`x-request-id`, `x-correlation-id`, `cf-ray`), to quote to BigCommerce. */
      serverRequestId: string | null;
    }
  | {
      type: "transport_failure";
      endpoint: Endpoint;
      requestId: string;
      failure: TransportFailure;
      /** The thrown error's words (`fetch failed: connect ECONNREFUSED 127.0.0.1:9`), scrubbed of secrets. */
      cause: string | null;
      elapsedMs: number;
      attempt: number;
    }
  | {
      type: "decision";
      decision: Decision;
      /** Why, in a sentence. */
      reason: string;
      /** How long the operation waits before its next request, when it waits. */
      waitMs: number | null;
    };

/** A new card (raw card data). */
export interface CardInstrument {
  type: "card";
  number: string;
  cardholderName: string;
  expiryMonth: number;
  expiryYear: number;
  verificationValue?: string;
  issueMonth?: number;
  issueYear?: number;
  issueNumber?: number;
}

/** Payment instruments of Process Payment. */
export type PaymentInstrument =
  | CardInstrument
  | { type: "stored_card"; token: string; verificationValue?: string }
  | { type: "stored_paypal_account"; token: string }
  | { type: "stored_bank_account"; token: string }
  | { type: "gift_certificate"; giftCertificateCode: string }
  | { type: "store_credit" }
  | { type: "tokenized_card"; token: string; iin?: string; lastFourDigits?: string; expirationMonth?: string; expirationYear?: string };

/** One Process Payment: instrument, method id (`provider.method`), and whether to save the card. */
export interface Payment {
  instrument: PaymentInstrument;
  paymentMethodId: string;
  saveInstrument?: boolean;
}

export interface SupportedInstrument {
  instrumentType: string;
  verificationValueRequired: boolean;
}

export interface StoredInstrument {
  type: string;
  token: string;
  isDefault: boolean;
  brand?: string;
  expiryMonth?: number;
  expiryYear?: number;
  issuerIdentificationNumber?: string;
  last4?: string;
  email?: string;
  maskedAccountNumber?: string;
  issuer?: string;
  /** The token as the core shows it (`••••` and its last four characters), for logs and lists. */
  tokenHint: string;
}

export interface PaymentMethod {
  id: string;
  name: string;
  testMode: boolean;
  type: string;
  supportedInstruments: SupportedInstrument[];
  storedInstruments: StoredInstrument[];
}

export interface PatClaims {
  exp: number | null;
  nbf: number | null;
  iat: number | null;
  iss: string | null;
  sub: string | null;
  jti: string | null;
  storeId: number | null;
  orderId: number | null;
  /** Amount due, in the currency's minor units. */
  amount: number | null;
  currency: string | null;
}

export interface ProcessedPayment {
  id: string | null;
  status: "success" | "pending" | string;
  transactionType: "purchase" | "authorization" | string;
  paymentMethodId: string;
  /** True when the response was lost and the order's transactions showed it was taken. */
  reconciled: boolean;
}

/**
 * Money in results: a decimal string in major units with at least two decimals (`"19.99"`,
 * `"12.00"`), whatever form the API gave it in.
 */
export type Amount = string;

/** Whether an order is paid, judged from its totals and transactions (the core's rule). */
export type OrderPaymentState = "unpaid" | "partially_paid" | "paid" | "already_paid" | "ambiguous";

export interface PaymentReceipt {
  orderId: number;
  /** The payments taken, in order: fewer than given when the order was paid before the last (a gift certificate that covered it), none when it was already paid. */
  payments: ProcessedPayment[];
  requestsSent: number;
  /** `paid`; `partially_paid` (the payments did not cover the order: `amountRemaining` is still due); `already_paid` (paid before, nothing taken); `ambiguous` (the last payment was taken but the order could not be read). */
  orderState: OrderPaymentState;
  /** What this payment took, when its token said what was due. */
  amountPaid: Amount | null;
  /** What the order still owes: `"0.00"` when paid. */
  amountRemaining: Amount | null;
  currency: string | null;
  /** The order's transactions when the flow read them (`already_paid`, `partially_paid`). */
  transactions: Transaction[];
}

/** `prepare`: the order's accepted methods and when the token the client keeps for its payment expires. */
export interface PreparedPayment {
  orderId: number;
  methods: PaymentMethod[];
  tokenExpiresAtMs: number;
}

/** `getOrderPaymentStatus`: the order's state and amounts, from the order and all its transactions. */
export interface OrderPaymentStatus {
  orderId: number;
  /** Never `already_paid` (that is a receipt's state). */
  state: OrderPaymentState;
  total: Amount | null;
  /** Taken or reserved by its transactions (purchases, authorizations, pending payments, less voids). */
  paid: Amount;
  remaining: Amount | null;
  currency: string | null;
  orderStatusId: number | null;
  transactions: Transaction[];
}

export interface Order {
  id: number;
  statusId: number | null;
  status: string;
  paymentStatus: string;
  customerId: number | null;
  totalIncTax: string | null;
  currencyCode: string | null;
}

export interface BillingAddress {
  firstName: string;
  lastName: string;
  company?: string;
  street1: string;
  street2?: string;
  city: string;
  state: string;
  zip: string;
  country: string;
  countryIso2: string;
  email: string;
  phone?: string;
}

export interface OrderProduct {
  productId?: number;
  variantId?: number;
  name?: string;
  quantity: number;
  priceIncTax?: number;
  priceExTax?: number;
  sku?: string;
}

export interface NewOrder {
  customerId?: number;
  billingAddress: BillingAddress;
  products: OrderProduct[];
  defaultCurrencyCode?: string;
}

export interface Transaction {
  id: number | null;
  orderId: string | null;
  event: string;
  method: string;
  amount: Amount;
  currency: string;
  gateway: string;
  gatewayTransactionId: string | null;
  status: string;
  test: boolean;
  paymentMethodId: string | null;
  dateCreated: string | null;
  referenceTransactionId: number | null;
}

export interface RefundItem {
  itemType: "PRODUCT" | "GIFT_WRAPPING" | "SHIPPING" | "HANDLING" | "ORDER" | "FEE";
  itemId: number;
  quantity?: number;
  /** A number, or a decimal string such as a quote's `"10.50"`. */
  amount?: number | Amount;
  reason?: string;
}

export interface RefundPaymentOption {
  providerId: string;
  providerDescription: string | null;
  amount: Amount;
  offline: boolean;
  offlineProvider: boolean;
  offlineReason: string | null;
}

export interface RefundQuote {
  orderId: number | null;
  totalRefundAmount: Amount;
  totalRefundTaxAmount: Amount;
  rounding: Amount;
  adjustment: Amount;
  taxInclusive: boolean;
  refundMethods: RefundPaymentOption[][];
}

export interface RefundRequest {
  items: RefundItem[];
  payments: { providerId: string; amount: number | Amount; offline?: boolean }[];
}

export interface Refund {
  id: number | null;
  orderId: number | null;
  created: string | null;
  reason: string | null;
  totalAmount: Amount;
  totalTax: Amount;
  payments: { id: number | null; providerId: string; amount: Amount; offline: boolean; isDeclined: boolean; declinedMessage: string | null }[];
}

/** One problem with one field. `description` never contains the value. */
export interface FieldError {
  path: string;
  code: string;
  description: string;
}

/** What a caller may do about an error. */
export type RetryAdvice = { type: "never" } | { type: "after"; ms: number } | { type: "with_new_token" } | { type: "reconcile" };

export type ErrorKind =
  | "validation"
  | "configuration"
  | "authentication"
  | "merchant_setup"
  | "order_state"
  | "declined"
  | "duplicate_payment"
  | "invalid_request"
  | "not_found"
  | "conflict"
  | "rate_limited"
  | "server"
  | "invalid_response"
  | "transport"
  | "ambiguous_outcome"
  | "cancelled";

/** Tunables of `Client.pay`. */
export interface FlowOptions {
  fetchMethods?: boolean;
  reconcile?: boolean;
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  patRefreshMarginMs?: number;
  /** Wait before the first read of the order's transactions after an unclear payment (ms; 2000). */
  reconcileDelayMs?: number;
  /** Keep reading for the payment this long after an unclear outcome (ms; 60000): the ledger may lag. */
  settleWindowMs?: number;
  /** Pay again when the window ends with nothing recorded (default false: `ambiguous_outcome`). */
  resendWhenUnrecorded?: boolean;
  maxTransactionPages?: number;
  isRecurring?: boolean;
  /** The most time (ms) a payment or call may take, waits and retries included (none by default). */
  timeBudgetMs?: number;
}

/** Process Payment rate limit (the documented 50 per 4 s by default). */
export interface RateLimitConfig {
  paymentsQuota?: number;
  paymentsWindowMs?: number;
  transitAllowanceMs?: number;
}
