// Pays an order on the sandbox with the installed package (ESM). Usage: node example.mjs <base-url>
import { Client, BcpayError } from "bcpay";

const base = process.argv[2];
const client = new Client({ storeHash: "abc123", apiToken: "sandbox-token", apiBase: base, paymentsBase: base });
const order = await client.createOrder({
  billingAddress: { firstName: "Jane", lastName: "Doe", street1: "1 Main St", city: "Austin", state: "Texas", zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com" },
  products: [{ name: "Poster", quantity: 1, priceIncTax: 10.98, priceExTax: 10 }],
});
const receipt = await client.pay(order.id, {
  instrument: { type: "card", number: "4242 4242 4242 4242", cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030, verificationValue: "123" },
  paymentMethodId: "stripe.card",
});
console.log("paid", receipt.payments[0].status, receipt.payments[0].transactionType);
try {
  await client.pay(order.id, { instrument: { type: "store_credit" }, paymentMethodId: "bigcommerce.store_credit" });
} catch (e) {
  if (!(e instanceof BcpayError)) throw e;
  console.log("second payment refused:", e.kind, e.code);
}
