/**
 * `bcpay/app` for engines without WebAssembly — React Native's Hermes resolves `bcpay/app` here
 * (the `react-native` export condition), and `bcpay/app-js` names it for any other: the same
 * core module, translated to JavaScript by binaryen's wasm2js, so the rules are still the core's.
 * It needs `TextEncoder` and `TextDecoder` (React Native apps add a polyfill where Hermes lacks
 * them).
 */
import * as core from "./generated/bcpay_app_js.js";
import { useCore } from "./app_api.js";

export { checkCard, outcomeOfFailure, paymentRequest, payThroughServer, readOutcome } from "./app_api.js";
export type { CardBrand, CardForm, CardFormCheck, FieldCheck } from "./app_api.js";
export * from "./errors.js";
export type * from "./types.js";

useCore(() => core);
