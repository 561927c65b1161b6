package dev.bcpay

import com.sun.net.httpserver.HttpServer
import dev.bcpay.app.PaymentRelay
import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.CardNumber
import dev.bcpay.ffi.ClientOptions
import dev.bcpay.ffi.FieldState
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.PaymentInstrument
import dev.bcpay.ffi.PaymentMethod
import dev.bcpay.ffi.RetryAdvice
import dev.bcpay.ffi.TransportFailure
import dev.bcpay.ffi.VerificationValue
import dev.bcpay.ffi.defaultFlowOptions
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.BeforeClass
import org.junit.Test
import java.net.HttpURLConnection
import java.net.InetSocketAddress
import java.net.URL
import java.util.concurrent.atomic.AtomicInteger

/**
 * The relay: an app ([PaymentRelay], no token) posts to its server over real HTTP
 * (HttpURLConnection, as on Android); the server (a JDK HttpServer holding a [Client]) pays on
 * the sandbox with [Client.payFromApp]. Also runs the relay vectors through [PaymentRelay].
 */
class RelayTest {
    companion object {
        private lateinit var sandbox: Process
        private lateinit var server: HttpServer
        private lateinit var client: Client
        private lateinit var relayUrl: String
        private lateinit var sandboxUrl: String
        private val served = AtomicInteger()
        private const val NOW = 1795219200000L

        @JvmStatic
        @BeforeClass
        fun start() {
            val binary = System.getProperty("bcpay.sandbox") ?: "target/debug/bcpay-sandbox"
            sandbox = ProcessBuilder(binary, "--port", "0", "--stop-when-stdin-closes").start()
            val url = sandbox.inputStream.bufferedReader().readLine()!!.split(" ").last()
            sandboxUrl = url
            val options = defaultFlowOptions().also {
                it.settleWindowMs = 600
                it.reconcileDelayMs = 100
            }
            client = Client("abc123", "sandbox-token", ClientOptions(apiBase = url, paymentsBase = url), flowOptions = options)
            // The merchant's endpoint, in full: the body in, the outcome envelope out with 200.
            server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
            server.createContext("/pay") { exchange ->
                served.incrementAndGet()
                val outcome = client.payFromApp(exchange.requestBody.readBytes())
                exchange.responseHeaders.add("Content-Type", "application/json")
                exchange.sendResponseHeaders(200, outcome.size.toLong())
                exchange.responseBody.use { it.write(outcome) }
            }
            server.start()
            relayUrl = "http://127.0.0.1:${server.address.port}/pay"
        }

        @JvmStatic
        @AfterClass
        fun stop() {
            server.stop(0)
            client.close()
            sandbox.destroy()
        }
    }

    private val relay = PaymentRelay()

    /** What the app does: post the envelope, wipe it, read the answer (or the failure). */
    private fun post(body: ByteArray): ByteArray {
        val c = URL(relayUrl).openConnection() as HttpURLConnection
        try {
            c.requestMethod = "POST"
            c.doOutput = true
            c.setRequestProperty("Content-Type", "application/json")
            c.outputStream.use { it.write(body) }
            return c.inputStream.use { it.readBytes() }
        } catch (e: java.io.IOException) {
            throw relay.failure(if (e is java.net.ConnectException) TransportFailure.NOT_SENT else TransportFailure.MAYBE_SENT)
        } finally {
            body.fill(0)
            c.disconnect()
        }
    }

    private fun charges(orderId: Long): Int {
        val ledger = URL("$sandboxUrl/__sandbox/ledger").openStream().use { com.google.gson.JsonParser.parseString(String(it.readBytes())) }
        return ledger.asJsonObject.getAsJsonArray("orders").map { it.asJsonObject }
            .firstOrNull { it.get("order_id").asLong == orderId }?.getAsJsonArray("charges")?.size() ?: 0
    }

    private fun card(number: String, cvv: String = "123") = Payment(
        PaymentInstrument.Card(CardNumber(number), "Jane Doe", 12, 2030, VerificationValue(cvv), null, null, null),
        "stripe.card",
    )

    private fun order(customerId: Long = 0): Long {
        val address = dev.bcpay.ffi.BillingAddress(
            "Jane", "Doe", null, "1 Main St", null, "Austin", "Texas", "78751", "United States", "US", "jane@example.com", null,
        )
        return client.createOrder(
            dev.bcpay.ffi.NewOrder(customerId, address, listOf(dev.bcpay.ffi.OrderProduct(null, null, "Poster", 1, 30.0, 30.0, null)), null),
        ).id
    }

    @Test
    fun aCardPaysThroughTheServerOnce() {
        val id = order()
        val receipt = relay.outcome(post(relay.request(id, listOf(card("4242424242424242")), timeBudgetMs = 30_000)))
        assertEquals(id, receipt.orderId.toLong())
        assertEquals(11L, client.getOrder(id).statusId)
        assertEquals(1, charges(id))
    }

    @Test
    fun aStoredCard() {
        val id = order(11)
        val methods: List<PaymentMethod> = client.getPaymentMethods(id)
        val token = methods.first { it.id == "stripe.card" }.storedInstruments.first().token
        val stored = Payment(PaymentInstrument.StoredCard(token, VerificationValue("123")), "stripe.card")
        val outcome = post(relay.request(id, listOf(stored)))
        assertFalse("the outcome repeats no instrument token", String(outcome).contains(token))
        relay.outcome(outcome)
    }

    @Test
    fun aDeclineKeepsItsShopperMessage() {
        try {
            relay.outcome(post(relay.request(order(), listOf(card("4000000000009995")))))
            fail("declined")
        } catch (e: BcpayException.Declined) {
            assertEquals(30106L, e.details.code)
            assertTrue(e.details.shopperMessage, e.details.shopperMessage.contains("insufficient funds"))
            assertTrue(e.message!!, e.message!!.startsWith("declined: "))
        }
    }

    @Test
    fun aBadCardIsCaughtOnTheDeviceWithNoRequest() {
        val before = served.get()
        val check = relay.checkCard("4242 4242 4242 4241 111", "Jane Doe", "12", "30", "123")
        assertEquals(FieldState.INVALID, check.fields.first { it.field == "number" }.state)
        try {
            relay.request(order(), listOf(card("4242424242424241")))
            fail("invalid")
        } catch (e: BcpayException.Validation) {
            assertEquals("payment.instrument.number" to "luhn_check_failed", e.details.fieldErrors[0].let { it.path to it.code })
        }
        assertEquals(before, served.get())
    }

    @Test
    fun anUnclearPaymentIsAmbiguousNotRepeated() {
        try {
            relay.outcome(post(relay.request(order(), listOf(card("4000000000003063")))))
            fail("ambiguous")
        } catch (e: BcpayException.AmbiguousOutcome) {
            assertTrue(e.details.retry is RetryAdvice.Reconcile)
        }
        // A request that never left is not ambiguous; one that may have reached the server is.
        assertTrue(relay.failure(TransportFailure.NOT_SENT) is BcpayException.NoResponse)
        assertTrue(relay.failure() is BcpayException.AmbiguousOutcome)
    }

    @Test
    fun envelopesAndChecksShowNoCardData() {
        val body = dev.bcpay.ffi.buildPaymentRequest(215, listOf(card("4242424242424242", "987")), null, NOW.toULong())
        val shown = body.toString()
        assertFalse(shown, shown.contains("4242424242424242") || shown.contains("987"))
        assertTrue(String(body.bytes()).contains("4242424242424242"))
        val check = relay.checkCard("4242424242424242", "Jane Doe", "12", "30", "987").toString()
        assertFalse(check, check.contains("4242424242424242") || check.contains("987"))
    }

    // -----------------------------------------------------------------------------------------
    // The relay vectors (tests/vectors/relay.json) through the app's API
    // -----------------------------------------------------------------------------------------

    private val vectors = loadVectors("relay.json")

    @Test
    fun cardFormVectors() {
        val cases = vectors.getAsJsonArray("card_form").map { it.asJsonObject }
        assertTrue(cases.size >= 30)
        for (case in cases) {
            val f = case.getAsJsonObject("form")
            val methods = case.get("methods")?.let { relay.methods(it.toString()) }
            val at = PaymentRelay { case.long("now_ms")!! }
            val check = at.checkCard(
                f.str("number") ?: "", f.str("cardholder_name") ?: "", f.str("expiry_month") ?: "",
                f.str("expiry_year") ?: "", f.str("verification_value") ?: "", methods,
            )
            val expect = case.getAsJsonObject("expect")
            val name = case.str("name")
            for ((field, state) in expect.getAsJsonObject("fields").entrySet()) {
                val actual = check.fields.first { it.field == field }
                val shown = actual.state.name.lowercase() + (actual.code?.let { ":$it" } ?: "")
                assertEquals("$name: $field", state.asString, shown)
            }
            for ((key, value) in expect.entrySet()) {
                if (key == "fields") continue
                try {
                    assertSubset(value, valueAt(check, key), key)
                } catch (e: AssertionError) {
                    throw AssertionError("$name: ${e.message}")
                }
            }
        }
    }

    @Test
    fun readOutcomeVectors() {
        val cases = vectors.getAsJsonArray("read_outcome").map { it.asJsonObject }
        assertTrue(cases.size >= 10)
        for (case in cases) {
            val body = if (case.has("body_text")) case.str("body_text")!! else case.get("body").toString()
            val expect = case.getAsJsonObject("expect")
            try {
                val receipt = relay.outcome(body.toByteArray())
                val ok = expect.getAsJsonObject("ok") ?: throw AssertionError("${case.str("name")}: paid, expected an error")
                assertSubset(ok, receipt)
            } catch (e: BcpayException) {
                val want = expect.getAsJsonObject("error") ?: throw AssertionError("${case.str("name")}: $e")
                try {
                    assertError(want, e)
                } catch (a: AssertionError) {
                    throw AssertionError("${case.str("name")}: ${a.message}")
                }
            }
        }
    }

    @Test
    fun readRequestVectorsThroughPayFromApp() {
        // No network: an accepted envelope starts the flow, whose first request then finds no server.
        val offline = Transport { throw TransportException(TransportFailure.NOT_SENT) }
        val options = defaultFlowOptions().also { it.maxAttempts = 1 }
        val cases = vectors.getAsJsonArray("read_request").map { it.asJsonObject }
        assertTrue(cases.size >= 15)
        Client("abc123", "t", transport = offline, flowOptions = options).use { c ->
            for (case in cases) {
                val body = if (case.has("body_text")) case.str("body_text")!! else case.get("body").toString()
                val outcome = com.google.gson.JsonParser.parseString(String(c.payFromApp(body.toByteArray()))).asJsonObject
                val name = case.str("name")
                assertEquals(name, "failed", outcome.str("status"))
                val error = outcome.getAsJsonObject("error")
                val expect = case.getAsJsonObject("expect")
                if (expect.has("ok")) {
                    assertEquals("$name: ${error.str("message")}", "transport", error.str("kind"))
                } else {
                    assertEquals(name, pairs(expect.getAsJsonObject("error").getAsJsonArray("field_errors"), camel = false),
                        pairs(error.getAsJsonArray("field_errors"), camel = false))
                }
            }
        }
    }
}
