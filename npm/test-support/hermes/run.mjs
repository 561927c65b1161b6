// Runs in Hermes (React Native's engine), bundled by esbuild and transformed by React Native's
// Babel preset as Metro would: bcpay/app as resolved for React Native (the wasm2js build),
// through the relay vectors. Prints one JSON line of results for hermes.test.mjs to check.
import * as app from "../../dist/esm/app-js.js";
import vectors from "../../../tests/vectors/relay.json";

const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const camelKeys = (v) =>
  Array.isArray(v) ? v.map(camelKeys) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), camelKeys(x)])) : v;

const forms = vectors.card_form.map((c) => {
  const check = app.checkCard(camelKeys(c.form), { acceptedMethods: c.methods ? camelKeys(c.methods) : undefined, nowMs: c.now_ms });
  return { name: c.name, check };
});
const outcomes = vectors.read_outcome.map((c) => {
  try {
    const receipt = app.readOutcome(c.body_text ?? JSON.stringify(c.body));
    return { name: c.name, receipt };
  } catch (e) {
    return { name: c.name, error: { class: e.name, kind: e.kind, code: e.code, shopperMessage: e.shopperMessage, retry: e.retry, fieldErrors: e.fieldErrors } };
  }
});
const card = (number) => ({ paymentMethodId: "stripe.card", instrument: { type: "card", number, cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: "123" } });
const body = app.paymentRequest(215, card("4242424242424242"), { nowMs: 1795219200000 });
let invalid;
try {
  app.paymentRequest(215, card("4242424242424241"), { nowMs: 1795219200000 });
} catch (e) {
  invalid = [e instanceof app.ValidationError, e.fieldErrors[0].path, e.fieldErrors[0].code];
}
const engine = { webAssembly: typeof WebAssembly, hermes: typeof HermesInternal };
print(JSON.stringify({ engine, forms, outcomes, request: Array.from(body), invalid, ambiguous: app.outcomeOfFailure().name }));
