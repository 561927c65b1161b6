/**
 * `bcpay/app`: the app's half of a payment, for browser apps. It holds no API token and makes no
 * request to BigCommerce — the store's API token opens the whole store, and the Payments API is
 * called server-to-server. The app checks the card form as the shopper types (`checkCard`),
 * sends the payment to its own server (`payThroughServer`, or `paymentRequest` with your own
 * HTTP), and gets back the same receipt or `BcpayError` (with its `shopperMessage`) that paying
 * locally would give. The server pays with `Client.payFromApp`.
 *
 * Every rule runs in bcpay-core, a WebAssembly module of its own (without the client); React
 * Native resolves `bcpay/app` to the same core translated to JavaScript (`app-js.ts`). It uses
 * no Node API.
 */
import * as wasm from "./generated/bcpay_app_wasm.js";
import { APP_WASM_BASE64 } from "./generated/bcpay_app_wasm_bytes.js";
import { useCore } from "./app_api.js";

export { checkCard, outcomeOfFailure, paymentRequest, payThroughServer, readOutcome } from "./app_api.js";
export type { CardBrand, CardForm, CardFormCheck, FieldCheck } from "./app_api.js";
export * from "./errors.js";
export type * from "./types.js";

useCore(() => {
  const binary = atob(APP_WASM_BASE64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  wasm.initSync({ module: bytes });
  return wasm;
});
