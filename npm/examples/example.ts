// Type-checks the public surface under `tsc --strict`.
import { Client, BcpayError, fetchTransport, type Payment, type PaymentReceipt, type Transport, type FieldError } from "bcpay";

const transport: Transport = fetchTransport({ timeoutMs: 10_000 });
const client = new Client({ storeHash: "abc123", apiToken: "token", transport, flowOptions: { reconcileDelayMs: 1000 } });
const payment: Payment = {
  instrument: { type: "stored_card", token: "a".repeat(64), verificationValue: "123" },
  paymentMethodId: "stripe.card",
};
const errors: FieldError[] = client.validate(payment);

export async function pay(orderId: number): Promise<string> {
  try {
    const receipt: PaymentReceipt = await client.pay(orderId, payment);
    return receipt.payments.map((p) => p.transactionType).join(",");
  } catch (e) {
    if (e instanceof BcpayError && e.kind === "declined") return e.shopperMessage;
    throw e;
  }
}
console.log(errors.length);
