// Pays one order on the bcpay sandbox: `bcpay sandbox` prints its URL; pass it as the argument.
import dev.bcpay.ffi.BcpayException
import dev.bcpay.Client
import dev.bcpay.details
import dev.bcpay.ffi.BillingAddress
import dev.bcpay.ffi.CardNumber
import dev.bcpay.ffi.ClientOptions
import dev.bcpay.ffi.NewOrder
import dev.bcpay.ffi.OrderProduct
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.PaymentInstrument
import dev.bcpay.ffi.VerificationValue

fun main(args: Array<String>) {
    val url = args.firstOrNull() ?: error("usage: Example <sandbox url>")
    Client("abc123", "sandbox-token", ClientOptions(apiBase = url, paymentsBase = url)).use { client ->
        val address = BillingAddress("Jane", "Doe", null, "1 Main St", null, "Austin", "Texas", "78751", "United States", "US", "jane@example.com", null)
        val order = client.createOrder(NewOrder(0, address, listOf(OrderProduct(null, null, "Poster", 1, 40.0, 40.0, null)), null))
        val card = Payment(
            PaymentInstrument.Card(
                number = CardNumber("4242424242424242"), cardholderName = "Jane Doe", expiryMonth = 12, expiryYear = 2030,
                verificationValue = VerificationValue("123"), issueMonth = null, issueYear = null, issueNumber = null,
            ),
            paymentMethodId = "stripe.card",
        )
        try {
            val receipt = client.pay(order.id, listOf(card))
            println("paid order ${receipt.orderId}: ${receipt.payments.map { it.transactionType to it.status }} in ${receipt.requestsSent} requests")
        } catch (e: BcpayException.Declined) {
            println("declined: ${e.details.shopperMessage}")
        }
    }
}
