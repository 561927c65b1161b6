package dev.bcpay

import com.google.gson.JsonObject
import com.google.gson.JsonParser
import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.BillingAddress
import dev.bcpay.ffi.CardNumber
import dev.bcpay.ffi.ClientOptions
import dev.bcpay.ffi.NewOrder
import dev.bcpay.ffi.OrderProduct
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.PaymentInstrument
import dev.bcpay.ffi.RefundItem
import dev.bcpay.ffi.RefundPaymentRequest
import dev.bcpay.ffi.RefundQuoteRequest
import dev.bcpay.ffi.RefundRequest
import dev.bcpay.ffi.RetryAdvice
import dev.bcpay.ffi.VerificationValue
import dev.bcpay.ffi.defaultFlowOptions
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest.BodyPublishers
import java.net.http.HttpResponse.BodyHandlers
import java.time.Duration
import java.util.concurrent.ExecutionException
import java.util.concurrent.atomic.AtomicInteger

/** End to end over real HTTP (java.net.http) against the sandbox (`bcpay.sandbox` names its binary). */
class ClientTest {
    companion object {
        private lateinit var sandbox: Process
        private lateinit var url: String

        @JvmStatic
        @BeforeClass
        fun start() {
            val binary = System.getProperty("bcpay.sandbox") ?: "target/debug/bcpay-sandbox"
            sandbox = ProcessBuilder(binary, "--port", "0", "--stop-when-stdin-closes").redirectErrorStream(false).start()
            val line = sandbox.inputStream.bufferedReader().readLine() ?: error("the sandbox did not start")
            assertTrue(line, line.startsWith("listening on "))
            url = line.split(" ").last()
        }

        @JvmStatic
        @AfterClass
        fun stop() {
            sandbox.destroy()
        }

        private val http = HttpClient.newHttpClient()

        fun admin(path: String, body: String? = null): JsonObject {
            val b = java.net.http.HttpRequest.newBuilder(URI.create("$url/__sandbox/$path")).header("content-type", "application/json")
            val req = if (body == null) b.GET().build() else b.POST(BodyPublishers.ofString(body)).build()
            return JsonParser.parseString(http.send(req, BodyHandlers.ofString()).body()).asJsonObject
        }

        fun charges(orderId: Long): Int = admin("ledger").getAsJsonArray("orders")
            .map { it.asJsonObject }
            .firstOrNull { it.get("order_id").asLong == orderId }
            ?.getAsJsonArray("charges")?.size() ?: 0
    }

    private fun client(
        transport: Transport = JavaHttpTransport(),
        flow: dev.bcpay.ffi.FlowOptions = defaultFlowOptions(),
    ) = Client("abc123", "sandbox-token", ClientOptions(apiBase = url, paymentsBase = url), transport, flow)

    private fun card(number: String = "4242424242424242", cvv: String = "123", expiryMonth: Long = 12) = Payment(
        PaymentInstrument.Card(CardNumber(number), "Jane Doe", expiryMonth, 2030, VerificationValue(cvv), null, null, null),
        "stripe.card",
    )

    private fun order(c: Client, customerId: Long = 0, price: Double = 40.0): Long {
        val address = BillingAddress(
            "Jane", "Doe", null, "1 Main St", null, "Austin", "Texas", "78751", "United States", "US", "jane@example.com", null,
        )
        val o = c.createOrder(NewOrder(customerId, address, listOf(OrderProduct(null, null, "Poster", 1, price, price, null)), null))
        assertEquals(0L, o.statusId)
        return o.id
    }

    @Test
    fun everyInstrumentType(): Unit = client().use { c ->
        var id = order(c)
        val receipt = c.pay(id, card())
        assertEquals("purchase", receipt.payments[0].transactionType)
        assertEquals(11L, c.getOrder(id).statusId)

        id = order(c, 11)
        val methods = c.getPaymentMethods(id).associateBy { it.id }
        fun stored(method: String, kind: String) = methods.getValue(method).storedInstruments.first { it.instrumentType == kind }.token
        c.pay(id, Payment(PaymentInstrument.StoredCard(stored("stripe.card", "stored_card"), VerificationValue("123")), "stripe.card"))

        id = order(c, 11)
        c.pay(id, Payment(PaymentInstrument.StoredPaypalAccount(stored("braintree.paypal", "stored_paypal_account")), "braintree.paypal"))
        id = order(c, 11)
        val ach = c.pay(id, Payment(PaymentInstrument.StoredBankAccount(stored("braintree.ach", "stored_bank_account")), "braintree.ach"))
        assertEquals("pending", ach.payments[0].status)

        id = order(c, 0, 80.0)
        c.pay(
            id,
            listOf(
                Payment(PaymentInstrument.GiftCertificate("GC-25-OFF"), "bigcommerce.gift_certificate"),
                card("5555555555554444"),
            ),
        )
        assertEquals(listOf("gift_certificate" to "25.00", "credit_card" to "55.00"), c.getTransactions(id).map { it.method to it.amount })

        id = order(c, 11)
        c.pay(id, listOf(Payment(PaymentInstrument.StoreCredit, "bigcommerce.store_credit"), card()))
        id = order(c)
        c.pay(id, Payment(PaymentInstrument.TokenizedCard("K7KW-M9GX-6PQ3", "4111111", "1111", "12", "2030"), "bolt.card"))
    }

    @Test
    fun declinesAreTypedAndChargeNothing(): Unit = client().use { c ->
        for ((number, code) in listOf("4000000000000002" to 30102L, "4000000000000069" to 30103L, "4000000000009995" to 30106L)) {
            val id = order(c)
            val e = runCatching { c.pay(id, card(number)) }.exceptionOrNull()
            assertTrue("$e", e is BcpayException.Declined)
            val d = (e as BcpayException).details
            assertEquals(code, d.code)
            assertTrue(d.shopperMessage.isNotEmpty() && d.remedy.isNotEmpty())
            assertEquals(RetryAdvice.Never, d.retry)
            assertFalse("${e.message} $e".contains(number))
            assertEquals(0, charges(id))
        }
        val id = order(c)
        val dup = runCatching { c.pay(id, card("4000000000000259")) }.exceptionOrNull()
        assertTrue("$dup", dup is BcpayException.DuplicatePayment)
    }

    /** The documented codes only the sandbox's trigger cards and orders reach (`tests/sandbox/documented_codes.json`, shared with every host). */
    @Test
    fun documentedCodesFromTheSandboxTriggers(): Unit = client(flow = defaultFlowOptions().apply { backoffBaseMs = 1; backoffCapMs = 5 }).use { c ->
        val file = JsonParser.parseString(java.io.File("tests/sandbox/documented_codes.json").readText()).asJsonObject
        for (case in file.getAsJsonArray("cases").map { it.asJsonObject }) {
            val name = case.get("name").asString
            // The triggers are sandbox fields, not bcpay inputs: the order is created over plain HTTP.
            val body = file.getAsJsonObject("base_order").deepCopy()
            case.getAsJsonObject("order").entrySet().forEach { (k, v) -> body.add(k, v) }
            val req = java.net.http.HttpRequest.newBuilder(URI.create("$url/stores/abc123/v2/orders"))
                .header("content-type", "application/json").header("x-auth-token", "sandbox-token")
                .POST(BodyPublishers.ofString(body.toString())).build()
            val id = JsonParser.parseString(http.send(req, BodyHandlers.ofString()).body()).asJsonObject.get("id").asLong
            val p = case.getAsJsonObject("payment")
            val number = p.getAsJsonObject("instrument").get("number").asString
            val save = p.get("save_instrument")?.asBoolean ?: false
            val e = runCatching { c.pay(id, card(number).copy(saveInstrument = save)) }.exceptionOrNull()
            assertTrue("$name: $e", e is BcpayException)
            val d = (e as BcpayException).details
            val expect = case.getAsJsonObject("expect")
            assertEquals(name, expect.get("kind").asString, d.kind.name.lowercase())
            assertEquals(name, expect.get("code").asLong, d.code)
            assertEquals(name, expect.get("retry").asString, retryName(d.retry))
            assertEquals(name, expect.get("shopper_message").asString, d.shopperMessage)
            assertEquals(name, expect.get("charged").asInt, charges(id))
        }
    }

    @Test
    fun timeoutAfterCommitIsReconciledOnce() {
        val id = client().use { order(it) }
        admin("faults", """{"slow": 1, "slow_ms": 800}""")
        try {
            val impatient = client(JavaHttpTransport(Duration.ofMillis(200)), defaultFlowOptions().apply { reconcileDelayMs = 50 })
            val receipt = impatient.use { it.pay(id, card()) }
            assertTrue(receipt.payments[0].reconciled)
        } finally {
            admin("faults", "{}")
        }
        assertEquals(1, charges(id))
    }

    @Test
    fun connectionRefusedIsNotSent() {
        Client("abc123", "t", ClientOptions(apiBase = "http://127.0.0.1:9", paymentsBase = "http://127.0.0.1:9")).use { c ->
            val e = runCatching { c.getOrder(1) }.exceptionOrNull()
            assertTrue("$e", e is BcpayException.NoResponse)
            // The cause the JDK gave is kept, in words.
            val detail = (e as BcpayException).details.detail!!
            assertTrue(detail, detail.startsWith("transport failure: not_sent (ConnectException"))
        }
    }

    @Test
    fun asyncPaymentsSingleCallsAndRefunds(): Unit = client().use { c ->
        val id = order(c, 0, 100.0)
        val auth = c.payAsync(id, listOf(card().also { it.paymentMethodId = "authorizenet.card" })).get()
        assertEquals("authorization", auth.payments[0].transactionType)
        c.capture(id)
        assertEquals("captured", c.getOrder(id).paymentStatus)
        val items = listOf(RefundItem("ORDER", id, null, 30.0, null))
        val quote = c.createRefundQuote(id, RefundQuoteRequest(items))
        assertEquals("30.00", quote.totalRefundAmount)
        val refund = c.createRefund(id, RefundRequest(items, listOf(RefundPaymentRequest(quote.refundMethods[0][0].providerId, 30.0, false))))
        assertEquals("30.00", refund.totalAmount)
        assertEquals(1, c.listRefunds(id).size)
        assertEquals("stored_card", c.getStoredInstruments(11)[0].instrumentType)

        val single = order(c)
        val token = c.createAccessToken(single)
        assertEquals("payments.bigcommerce.com", token.claims()?.iss)
        val paid = c.processPayment(token, card())
        assertTrue(paid.status == "success" && !paid.reconciled)

        val declined = order(c)
        val e = runCatching { c.payAsync(declined, listOf(card("4000000000009995"))).get() }.exceptionOrNull()
        assertTrue("$e", e is ExecutionException && e.cause is BcpayException.Declined)
    }

    @Test
    fun customTransportSeesEveryRequest() {
        val sent = AtomicInteger()
        val inner = JavaHttpTransport()
        client(Transport { r -> sent.incrementAndGet(); inner.send(r) }).use { c ->
            val id = order(c)
            assertEquals(1, sent.get())
            val receipt = c.pay(id, card())
            assertEquals(receipt.requestsSent.toInt() + 1, sent.get())
        }
    }

    @Test
    fun noSecretInTextForms(): Unit = client().use { c ->
        val pan = "4000056655665556"
        val payment = card(pan, "918")
        val token = c.createAccessToken(order(c))
        val invalid = card("4000056655665557", "918", expiryMonth = 13)
        val e = runCatching { c.processPayment(token, invalid) }.exceptionOrNull()
        assertTrue("$e", e is BcpayException.Validation)
        val rendered = listOf(payment, payment.instrument, token, e, e?.message, (e as BcpayException).details, com.google.gson.Gson().toJson(payment))
            .joinToString(" ")
        for (secret in listOf(pan, "4000056655665557", "918", "sandbox-token", "eyJ")) assertFalse(secret, rendered.contains(secret))
        assertTrue(rendered, rendered.contains("5556"))
        // A serializer sees no field of card data (its bytes would serialize as numbers).
        assertEquals("{}", com.google.gson.Gson().toJson(CardNumber(pan)))
        assertEquals("{}", com.google.gson.Gson().toJson(VerificationValue("918")))
    }

    /** A closed client refuses to start a payment (its core handle is released), never crashes. */
    @Test
    fun aClosedClientRefusesPayments() {
        val c = client()
        c.close()
        val e = runCatching { c.pay(1, card()) }.exceptionOrNull()
        assertTrue("$e", e is IllegalStateException && "closed" in (e.message ?: ""))
        c.close()
    }

    /** Card data is a plain value whose bytes [close] wipes: it then pays nothing, by a field error. */
    @Test
    fun aClosedCardNumberIsWipedAndRefusedByName(): Unit = client().use { c ->
        val number = CardNumber("4000056655665556")
        val cvv = VerificationValue("918")
        val payment = Payment(PaymentInstrument.Card(number, "Jane Doe", 12, 2030, cvv, null, null, null), "stripe.card")
        assertEquals(emptyList<Any>(), c.validate(listOf(payment)))
        number.close()
        cvv.close()
        assertFalse("$number", "$number".contains("5556"))
        val paths = c.validate(listOf(payment)).map { it.path }
        assertTrue("$paths", "payment.instrument.number" in paths)
        assertTrue("$paths", "payment.instrument.verificationValue" in paths)
    }

    @Test
    fun requestsShowNoSecretToTransports() {
        val seen = mutableListOf<String>()
        val inner = JavaHttpTransport()
        client(Transport { r -> seen += r.toString(); seen += r.headers.toString(); inner.send(r) }).use { c ->
            c.pay(order(c), card("4000056655665556", "918"))
        }
        val rendered = seen.joinToString(" ")
        assertTrue(rendered, rendered.contains("/payments"))
        for (secret in listOf("4000056655665556", "\"918\"", "sandbox-token", "PAT ", "eyJ")) assertFalse(secret, rendered.contains(secret))
    }
}
