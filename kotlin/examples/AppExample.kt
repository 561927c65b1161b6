// The app side of a payment (the README's app quickstart): no API token, no request to
// BigCommerce; the card is checked here and the payment goes to the app's own server. Run against
// `bcpay app-server` (a stand-in for that server): AppExampleKt http://127.0.0.1:8090
import dev.bcpay.app.PaymentRelay
import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.CardNumber
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.PaymentInstrument
import dev.bcpay.ffi.TransportFailure
import dev.bcpay.ffi.VerificationValue
import java.net.HttpURLConnection
import java.net.URL

/** POSTs [body] to [url] and returns the answer; the relay says what a failure means. */
fun post(relay: PaymentRelay, url: String, body: ByteArray): ByteArray {
    val c = URL(url).openConnection() as HttpURLConnection
    try {
        c.requestMethod = "POST"
        c.doOutput = true
        c.setRequestProperty("Content-Type", "application/json")
        c.outputStream.use { it.write(body) }
        return c.inputStream.use { it.readBytes() }
    } catch (e: java.net.ConnectException) {
        throw relay.failure(TransportFailure.NOT_SENT)      // never left: not ambiguous
    } catch (e: java.io.IOException) {
        throw relay.failure(TransportFailure.MAYBE_SENT)    // may have reached the server
    } finally {
        body.fill(0)                                        // it held card data
        c.disconnect()
    }
}

fun main(args: Array<String>) {
    val server = args[0]
    val relay = PaymentRelay()
    // Your server creates or finds the order and passes its accepted methods. (Read its answer
    // with your JSON library; this example has none, and app-server writes `methods` last.)
    val checkout = String(post(relay, "$server/checkout", ByteArray(0)))
    val orderId = Regex("\"order_id\":(\\d+)").find(checkout)!!.groupValues[1].toLong()
    val methods = relay.methods(checkout.substringAfter("\"methods\":").removeSuffix("}"))

    // As the shopper types.
    val check = relay.checkCard("4242 4242 4242 4242", "Jane Doe", "12", "30", "123", methods)
    println("card form complete: ${check.complete}, method ${check.paymentMethodId}")

    val payment = Payment(
        PaymentInstrument.Card(CardNumber("4242424242424242"), "Jane Doe", check.expiryMonth, check.expiryYear,
            VerificationValue("123"), null, null, null),
        check.paymentMethodId!!,
    )
    try {
        val receipt = relay.outcome(post(relay, "$server/pay", relay.request(orderId, listOf(payment), timeBudgetMs = 30_000)))
        println("paid order ${receipt.orderId}")
    } catch (e: BcpayException.Declined) {
        println(e.details.shopperMessage)
    } catch (e: BcpayException.AmbiguousOutcome) {
        println("ask the server about order $orderId before paying again")
    }
}
