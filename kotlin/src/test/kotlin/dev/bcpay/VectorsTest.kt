package dev.bcpay

import com.google.gson.JsonObject
import com.google.gson.JsonParser
import dev.bcpay.ffi.Action
import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.ClientOptions
import dev.bcpay.ffi.CoreApi
import dev.bcpay.ffi.Endpoint
import dev.bcpay.ffi.HttpResponse
import dev.bcpay.ffi.TransportFailure
import dev.bcpay.ffi.CallOutput
import dev.bcpay.ffi.validatePaymentsJson
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import org.junit.runner.RunWith
import org.junit.runners.Parameterized

/** Every conformance vector in `tests/vectors/` (format: its README), one test each. */
@RunWith(Parameterized::class)
class VectorsTest(private val file: String, @Suppress("unused") private val name: String, private val case: JsonObject) {

    companion object {
        private val FILES = listOf("build.json", "parse.json", "validate.json", "flow.json").associateWith(::loadVectors)

        @JvmStatic
        @Parameterized.Parameters(name = "{0}: {1}")
        fun cases(): List<Array<Any>> = FILES.flatMap { (file, doc) ->
            doc.getAsJsonArray("cases").map { arrayOf(file, it.asJsonObject.str("name")!!, it.asJsonObject) }
        }
    }

    private val config: JsonObject = FILES.getValue(file).getAsJsonObject("config") ?: JsonObject()

    private fun core(maxResponseBytes: Long? = null) = CoreApi(
        config.str("store_hash") ?: "abc123",
        config.str("api_token") ?: "t",
        ClientOptions(host = config.str("host"), maxResponseBytes = maxResponseBytes),
    )

    @Test
    fun vector() = when (file) {
        "build.json" -> build()
        "parse.json" -> parse()
        "validate.json" -> validate()
        else -> flow()
    }

    private fun build() = core().use { api ->
        val expect = case.getAsJsonObject("expect")
        val outcome = runCatching { api.buildJson(case.str("call")!!, case.get("input").toString()) }
        if (expect.has("error")) {
            assertError(expect.getAsJsonObject("error"), outcome.exceptionOrNull() ?: fail("expected an error") as Nothing)
            return
        }
        outcome.getOrThrow().use { r ->
            assertEquals(expect.str("method"), r.method())
            assertEquals(expect.str("url"), r.url())
            val headers = r.headerNames().associate { it.lowercase() to r.header(it)!! }
            val ua = headers.getValue("user-agent")
            assertTrue(ua, ua.startsWith("bcpay/") && ua.endsWith(" (vectors)"))
            val expected = expect.getAsJsonObject("headers").entrySet().associate { (k, v) -> k to v.asString }
            assertEquals(expected, headers - "user-agent")
            val body = r.body()?.let { JsonParser.parseString(String(it)) }
            assertEquals(expect.get("body").takeUnless { it.isJsonNull }, body)
        }
    }

    private fun parse() = core(case.long("max_response_bytes")).use { api ->
        val expect = case.getAsJsonObject("expect")
        val response = responseOf(case.getAsJsonObject("response"))
        val context = case.getAsJsonObject("context") ?: JsonObject()
        val id = "req-vector"
        val outcome: Result<Any?> = runCatching {
            when (val call = case.str("call")) {
                "get_payment_methods" -> api.parseGetPaymentMethods(id, response)
                "create_payment_access_token" -> api.parseCreateAccessToken(id, response, context.long("now_ms")!!.toULong())
                "process_payment" -> api.parseProcessPayment(id, response, context.str("payment_method_id")!!)
                "create_order" -> api.parseCreateOrder(id, response)
                "get_order" -> api.parseGetOrder(id, response)
                "get_order_transactions" -> api.parseGetTransactions(id, response)
                "capture_payment" -> api.parsePaymentAction(Endpoint.CAPTURE_PAYMENT, id, response)
                "void_payment" -> api.parsePaymentAction(Endpoint.VOID_PAYMENT, id, response)
                "create_refund_quote" -> api.parseCreateRefundQuote(id, response)
                "create_refund" -> api.parseCreateRefund(id, response)
                "list_refunds" -> api.parseListRefunds(id, response)
                "get_stored_instruments" -> api.parseGetStoredInstruments(id, response)
                else -> error("unknown call $call")
            }
        }
        if (expect.has("error")) {
            assertError(expect.getAsJsonObject("error"), outcome.exceptionOrNull() ?: fail("expected an error, got ${outcome.getOrNull()}") as Nothing)
        } else {
            assertSubset(expect.get("ok"), outcome.getOrThrow())
        }
    }

    private fun validate() {
        val payments = if (case.has("payment")) "[${case.get("payment")}]" else case.get("payments").toString()
        val errors = validatePaymentsJson(payments, case.long("now_ms")!!.toULong(), case.get("methods")?.toString())
        assertEquals(pairs(case.getAsJsonArray("expect_errors"), camel = false), pairs(errors))
    }

    private fun flow() = core().use { api ->
        var now = case.long("now_ms")!!.toULong()
        val payments = case.getAsJsonArray("payments").map { paymentOf(it.asJsonObject) }
        api.newFlow(case.long("order_id")!!, payments, flowOptionsOf(case.getAsJsonObject("options")), now, case.long("seed")!!.toULong())
            .use { flow ->
                case.getAsJsonArray("script").forEachIndexed { i, s ->
                    val step = s.asJsonObject
                    val expect = step.getAsJsonObject("expect")
                    val at = "step $i"
                    var action = flow.poll(now)
                    while (!expect.has("wait") && action is Action.Wait) {
                        now = action.untilMs
                        action = flow.poll(now)
                    }
                    when (action) {
                        is Action.Send -> action.request.use { r ->
                            assertEquals(at, expect.str("send"), r.endpoint().name.lowercase())
                            expect.long("not_after_ms")?.let { assertTrue(at, now <= it.toULong()) }
                            when {
                                step.has("respond") -> flow.onResponse(r.requestId(), responseOf(step.getAsJsonObject("respond")), now)
                                step.has("fail") -> flow.onTransportFailure(r.requestId(), TransportFailure.valueOf(step.str("fail")!!.uppercase()), null, now)
                            }
                        }
                        is Action.Wait -> {
                            val w = expect.getAsJsonObject("wait") ?: fail("$at: unexpected wait") as Nothing
                            assertTrue(at, action.untilMs >= w.long("min")!!.toULong() && action.untilMs <= w.long("max")!!.toULong())
                            now = action.untilMs
                        }
                        is Action.Awaiting -> {
                            assertTrue(at, expect.bool("awaiting") == true)
                            when {
                                step.has("respond") -> flow.onResponse(action.requestId, responseOf(step.getAsJsonObject("respond")), now)
                                step.has("fail") -> flow.onTransportFailure(action.requestId, TransportFailure.valueOf(step.str("fail")!!.uppercase()), null, now)
                            }
                        }
                        is Action.Done -> assertSubset(expect.get("done") ?: fail("$at: unexpected done") as Nothing, (action.output as CallOutput.Receipt).receipt, at)
                        is Action.Failed -> assertError(expect.getAsJsonObject("failed") ?: fail("$at: unexpected failure ${action.error}") as Nothing, action.error)
                    }
                }
            }
    }
}

/** Bad input is a typed exception, never a crash; no exception or text form shows a secret. */
class BoundaryTest {
    @Test
    fun badInputIsAnExceptionNeverACrash() {
        CoreApi("abc123", "t", ClientOptions()).use { api ->
            val e = runCatching { api.buildJson("process_payment", """{"pat": 5, "payment": "nope"}""") }.exceptionOrNull()
            assertTrue("$e", e is BcpayException.Validation)
            val r = runCatching { api.parseGetOrder("r", HttpResponse(200, emptyList(), byteArrayOf(0xff.toByte(), 0))) }.exceptionOrNull()
            assertTrue("$r", r is BcpayException.InvalidResponse)
        }
        val c = runCatching { CoreApi("ABC/../x", "t", ClientOptions()) }.exceptionOrNull()
        assertTrue("$c", c is BcpayException.Configuration)
        val b = runCatching { CoreApi("abc123", "t", ClientOptions(apiBase = "ftp://nope")) }.exceptionOrNull()
        assertTrue("$b", b is BcpayException.Configuration)
    }
}
