package dev.bcpay.app

import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.CardFormCheck
import dev.bcpay.ffi.CardFormInput
import dev.bcpay.ffi.CardNumber
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.PaymentMethod
import dev.bcpay.ffi.PaymentReceipt
import dev.bcpay.ffi.TransportFailure
import dev.bcpay.ffi.VerificationValue
import dev.bcpay.ffi.buildPaymentRequest
import dev.bcpay.ffi.checkCardForm
import dev.bcpay.ffi.paymentMethodsFromJson
import dev.bcpay.ffi.readPaymentOutcome
import dev.bcpay.ffi.relayFailure

/**
 * The app's half of a payment, for shopper-facing Android and JVM apps. It holds no API token
 * and makes no request to BigCommerce: the store's API token opens the whole store, and the
 * Payments API is called server-to-server. The app checks the card form as the shopper types
 * ([checkCard]), posts [request]'s bytes to its own server (which pays with
 * `dev.bcpay.Client.payFromApp`), and reads the answer with [outcome] — the same receipt or
 * [BcpayException] (with its `shopperMessage`) that paying locally would give.
 *
 * Android: this package uses only the generated bindings (JNA) and Java 8 APIs — no
 * `java.net.http`, no `CompletableFuture` — and is compiled for Java 8 in CI. Bring your own
 * HTTP client (OkHttp, HttpURLConnection).
 *
 * @param clock milliseconds since the epoch on the device (card expiry is checked against it).
 */
class PaymentRelay @JvmOverloads constructor(private val clock: () -> Long = System::currentTimeMillis) {
    private fun now(): ULong = clock().toULong()

    /**
     * Each field's state as typed so far: `Incomplete` while more typing could make it valid,
     * `Invalid` (with the code and a sentence for the shopper) when nothing can. With the order's
     * [acceptedMethods] (see [methods]), a brand the order does not take is invalid and
     * `paymentMethodId` names the method that takes it.
     */
    @JvmOverloads
    fun checkCard(
        number: String,
        cardholderName: String,
        expiryMonth: String,
        expiryYear: String,
        verificationValue: String,
        acceptedMethods: List<PaymentMethod>? = null,
    ): CardFormCheck = CardNumber(number).use { n ->
        VerificationValue(verificationValue).use { cvv ->
            checkCardForm(CardFormInput(n, cardholderName, expiryMonth, expiryYear, cvv), now(), acceptedMethods)
        }
    }

    /** The order's accepted methods from the JSON your server sent (a Get Payment Methods `data` array). */
    fun methods(json: String): List<PaymentMethod> = paymentMethodsFromJson(json)

    /**
     * The body to post to your server (`Content-Type: application/json`), validated here by the
     * rules the server applies again: a bad card throws [BcpayException.Validation] naming the
     * field, and nothing needs sending. The bytes hold card data: send them, then `fill(0)`.
     * [timeBudgetMs] is how long the app will wait; the server's own budget caps it.
     */
    @JvmOverloads
    fun request(orderId: Long, payments: List<Payment>, timeBudgetMs: Long? = null): ByteArray {
        require(orderId >= 0) { "orderId must not be negative" }
        return buildPaymentRequest(orderId, payments, timeBudgetMs, now()).use { it.bytes() }
    }

    /** Reads your server's answer: the receipt, or throws the [BcpayException] its payment ended with. */
    fun outcome(body: ByteArray): PaymentReceipt = readPaymentOutcome(body)

    /**
     * The error for a request to your server that got no answer. Say [TransportFailure.NOT_SENT]
     * only when the connection never opened: otherwise the server may have charged, and the
     * error is `AmbiguousOutcome` — ask your server about the order before paying again.
     */
    @JvmOverloads
    fun failure(failure: TransportFailure = TransportFailure.MAYBE_SENT): BcpayException = relayFailure(failure)
}
