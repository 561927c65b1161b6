// The CommonJS entry point loads too.
const { Client, BcpayError, version } = require("bcpay");
const client = new Client({ storeHash: "abc123", apiToken: "t" });
const errors = client.validate({ instrument: { type: "card", number: "4242424242424241", cardholderName: "", expiryMonth: 13, expiryYear: 2030 }, paymentMethodId: "stripe.card" });
if (errors.length !== 3 || typeof BcpayError !== "function") throw new Error("unexpected validation result");
console.log("cjs ok", version(), errors.map((e) => e.code).join(","));
