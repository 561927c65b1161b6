package dev.bcpay

import com.google.gson.JsonObject
import com.google.gson.JsonParser
import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.BillingAddress
import dev.bcpay.ffi.ClientOptions
import dev.bcpay.ffi.WireRequest
import dev.bcpay.ffi.HttpResponse
import dev.bcpay.ffi.NewOrder
import dev.bcpay.ffi.OrderProduct
import dev.bcpay.ffi.PaymentAccessToken
import dev.bcpay.ffi.PaymentReceipt
import dev.bcpay.ffi.RefundItem
import dev.bcpay.ffi.RefundPaymentRequest
import dev.bcpay.ffi.RefundQuoteRequest
import dev.bcpay.ffi.RefundRequest
import dev.bcpay.ffi.RetryAdvice
import dev.bcpay.ffi.TransportFailure
import java.io.File
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.ExecutionException
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * The host vectors (tests/host/scenarios.json) through the public [Client], with a scripted
 * transport: the same error classes, kinds, codes, messages, request counts and pages as every
 * other host. Input a Kotlin caller cannot write (`dynamic_only`: its types refuse it) is skipped.
 * Cancellation goes through [Client.payAsync] and `cancel`.
 */
class HostVectorsTest {
    private val vectors = JsonParser.parseString(File(VECTORS, "../host/scenarios.json").readText()).asJsonObject

    /**
     * Answers each request with its script step (the first unused one meant for its endpoint,
     * else the next unused); records which steps were used, by what, and the most requests it
     * held at once.
     */
    private class Scripted(private val steps: List<JsonObject>, private val meantFor: List<String>) : Transport {
        private val usedBy = arrayOfNulls<String>(steps.size)
        private val pastScript = mutableListOf<String>()
        private var held = 0
        var mostHeld = 0
            private set

        val asked: List<String>
            @Synchronized get() = usedBy.filterNotNull() + pastScript

        @Synchronized
        private fun next(request: WireRequest): JsonObject {
            val endpoint = request.endpoint.name.lowercase()
            held += 1
            mostHeld = maxOf(mostHeld, held)
            val free = steps.indices.filter { usedBy[it] == null }
            val pick = free.firstOrNull { meantFor.getOrNull(it) == endpoint } ?: free.firstOrNull()
            if (pick == null) {
                pastScript.add(endpoint)
                return JsonParser.parseString("""{"status": 599, "body_text": "script ran out"}""").asJsonObject
            }
            usedBy[pick] = endpoint
            return steps[pick]
        }

        @Synchronized
        private fun done() {
            held -= 1
        }

        private fun answer(step: JsonObject): HttpResponse {
            step.str("throw")?.let { failure ->
                throw when (failure) {
                    "foreign" -> IllegalStateException("a bug in a custom transport")
                    else -> TransportException(TransportFailure.valueOf(failure.uppercase()), reason = step.str("cause"))
                }
            }
            return responseOf(step)
        }

        override fun send(request: WireRequest): HttpResponse {
            val step = next(request)
            try {
                step.long("delay_ms")?.let { Thread.sleep(it) }
                step.long("hang_ms")?.let {
                    Thread.sleep(it)
                    throw TransportException(TransportFailure.TIMED_OUT)
                }
                return answer(step)
            } finally {
                done()
            }
        }

        override fun sendAsync(request: WireRequest): CompletableFuture<HttpResponse> {
            val step = next(request)
            val answered = CompletableFuture<HttpResponse>()
            answered.whenComplete { _, _ -> done() }
            val hang = step.long("hang_ms")
            if (hang != null) {
                timer.schedule({ answered.completeExceptionally(TransportException(TransportFailure.TIMED_OUT)) }, hang, TimeUnit.MILLISECONDS)
                return answered
            }
            val reply = {
                try {
                    answered.complete(answer(step))
                } catch (e: Exception) {
                    answered.completeExceptionally(e)
                }
            }
            val delay = step.long("delay_ms")
            if (delay == null) reply() else timer.schedule(reply, delay, TimeUnit.MILLISECONDS)
            return answered
        }
    }

    private fun newOrderOf(o: JsonObject): NewOrder {
        val a = o.getAsJsonObject("billing_address")
        val address = BillingAddress(
            a.str("first_name")!!, a.str("last_name")!!, a.str("company"), a.str("street_1")!!, a.str("street_2"), a.str("city")!!,
            a.str("state")!!, a.str("zip")!!, a.str("country")!!, a.str("country_iso2")!!, a.str("email")!!, a.str("phone"),
        )
        val products = o.getAsJsonArray("products").map { it.asJsonObject }.map {
            OrderProduct(it.long("product_id"), it.long("variant_id"), it.str("name"), it.long("quantity")!!,
                it.get("price_inc_tax")?.asDouble, it.get("price_ex_tax")?.asDouble, it.str("sku"))
        }
        return NewOrder(o.long("customer_id")!!, address, products, o.str("default_currency_code"))
    }

    private fun itemsOf(r: JsonObject) = r.getAsJsonArray("items").map { it.asJsonObject }.map {
        RefundItem(it.str("item_type")!!, it.long("item_id")!!, it.long("quantity"), it.get("amount")?.asDouble, it.str("reason"))
    }

    private fun run(client: Client, c: JsonObject): Any? {
        val a = c.getAsJsonObject("args")
        val orderId = { a.long("order_id")!! }
        return when (c.str("call")) {
            "pay" -> {
                val payments = a.getAsJsonArray("payments").map { paymentOf(it.asJsonObject) }
                val cancelAfter = c.long("cancel_after_ms")
                val receipt = if (cancelAfter == null) {
                    client.pay(orderId(), payments)
                } else {
                    val future = client.payAsync(orderId(), payments)
                    timer.schedule({ future.cancel(true) }, cancelAfter, TimeUnit.MILLISECONDS)
                    try {
                        future.get()
                    } catch (e: ExecutionException) {
                        throw e.cause!!
                    }
                }
                summary(receipt)
            }
            "prepare_and_pay" -> {
                client.prepare(orderId())
                summary(client.pay(orderId(), a.getAsJsonArray("payments").map { paymentOf(it.asJsonObject) }))
            }
            "get_order_payment_status" -> client.getOrderPaymentStatus(orderId()).let {
                mapOf("state" to it.state.name.lowercase(), "paid" to it.paid, "remaining" to it.remaining, "total" to it.total)
            }
            "get_order" -> client.getOrder(orderId())
            "create_order" -> client.createOrder(newOrderOf(a.getAsJsonObject("order")))
            "get_payment_methods" -> client.getPaymentMethods(orderId())
            "create_payment_access_token" -> client.createAccessToken(orderId()).let { mapOf<String, Any>() }
            "process_payment" -> client.processPayment(PaymentAccessToken.fromSecret(a.str("pat")!!, System.currentTimeMillis().toULong()),
                paymentOf(a.getAsJsonObject("payment")))
            "get_order_transactions" -> client.getTransactions(orderId())
            "capture_payment" -> client.capture(orderId())
            "create_refund_quote" -> client.createRefundQuote(orderId(), RefundQuoteRequest(itemsOf(a.getAsJsonObject("request"))))
            "refund" -> client.refund(orderId(), itemsOf(a))
            "create_refund" -> a.getAsJsonObject("request").let { r ->
                client.createRefund(orderId(), RefundRequest(itemsOf(r), r.getAsJsonArray("payments").map { it.asJsonObject }.map {
                    RefundPaymentRequest(it.str("provider_id")!!, it.get("amount").asDouble, it.bool("offline")!!)
                }))
            }
            "list_refunds" -> client.listRefunds(orderId())
            "get_stored_instruments" -> client.getStoredInstruments(a.long("customer_id")!!)
            else -> error("no call ${c.str("call")}")
        }
    }

    /** A receipt as the vectors check it. */
    private fun summary(r: PaymentReceipt) = mapOf("payments" to r.payments.size.toString(), "requests_sent" to r.requestsSent.toString(),
        "order_state" to r.orderState.name.lowercase(), "amount_paid" to r.amountPaid, "amount_remaining" to r.amountRemaining)

    private fun checkOk(want: JsonObject, got: Any?) {
        for ((k, w) in want.entrySet()) {
            when {
                k == "len" -> assertEquals(k, w.asInt, (got as List<*>).size)
                got is Map<*, *> -> assertEquals(k, if (w.isJsonNull) null else w.asString, got[k])
                else -> assertSubset(w, valueAt(got!!, k), k)
            }
        }
    }

    private fun retryOf(r: RetryAdvice): String = when (r) {
        is RetryAdvice.After -> """{"type":"after","ms":${r.ms}}"""
        is RetryAdvice.Never -> """{"type":"never"}"""
        is RetryAdvice.Reconcile -> """{"type":"reconcile"}"""
        is RetryAdvice.WithNewToken -> """{"type":"with_new_token"}"""
    }

    private fun checkError(want: JsonObject, error: Throwable) {
        val e = error as? BcpayException ?: throw AssertionError("not a BcpayException: $error", error)
        val d = e.details
        // Kotlin's class for the core's `DeclinedError` is `BcpayException.Declined`.
        assertEquals("class", want.str("class_name")!!.removeSuffix("Error"), e::class.simpleName)
        assertEquals("kind", want.str("kind"), d.kind.name.lowercase())
        want.getAsJsonObject("retry")?.let { assertEquals("retry", JsonParser.parseString(it.toString()), JsonParser.parseString(retryOf(d.retry))) }
        if (want.has("code")) assertEquals("code", want.long("code"), d.code)
        if (want.has("status")) assertEquals("status", want.long("status")?.toInt(), d.status?.toInt())
        want.str("field")?.let { assertEquals("field", camelPath(it), d.fieldErrors.firstOrNull()?.path) }
        want.str("field_code")?.let { assertEquals("field code", it, d.fieldErrors.firstOrNull()?.code) }
        want.str("server_request_id")?.let { assertEquals("server request id", it, d.serverRequestId ?: "") }
        want.str("message")?.let { assertTrue("message ${e.message}", e.message!!.startsWith(it)) }
    }

    /** An event as tests/host/README.md ("Events") projects it; `wait` decisions are left out. */
    private fun projected(e: dev.bcpay.ffi.FlowEvent): String? = when (e) {
        is dev.bcpay.ffi.FlowEvent.RequestSent -> "request ${e.endpoint.name.lowercase()} ${e.attempt}"
        is dev.bcpay.ffi.FlowEvent.ResponseReceived -> "response ${e.endpoint.name.lowercase()} ${e.status}"
        is dev.bcpay.ffi.FlowEvent.TransportFailed ->
            "transport_failure ${e.endpoint.name.lowercase()} ${e.failure.name.lowercase()}" + (e.cause?.let { ": $it" } ?: "")
        is dev.bcpay.ffi.FlowEvent.Decided -> e.decision.name.lowercase().takeIf { it != "wait" }
    }

    private fun scenario(c: JsonObject): String? {
        val transport = Scripted(c.getAsJsonArray("script").map { it.asJsonObject }, c.getAsJsonObject("expect").getAsJsonArray("requests").map { it.asString })
        val config = vectors.getAsJsonObject("config")
        val options = c.getAsJsonObject("options")?.let(::flowOptionsOf) ?: dev.bcpay.ffi.defaultFlowOptions()
        return Client(config.str("store_hash")!!, config.str("api_token")!!, ClientOptions(), transport, options).use { client ->
            val events = ConcurrentLinkedQueue<String>()
            client.eventListener = EventListener { e -> projected(e)?.let(events::add) }
            val started = System.currentTimeMillis()
            val outcome = runCatching { run(client, c) }
            val elapsed = System.currentTimeMillis() - started
            val expect = c.getAsJsonObject("expect")
            runCatching {
                if (expect.has("ok")) checkOk(expect.getAsJsonObject("ok"), outcome.getOrThrow())
                else checkError(expect.getAsJsonObject("error"), outcome.exceptionOrNull() ?: throw AssertionError("expected an error, got ${outcome.getOrNull()}"))
                assertEquals("requests", expect.getAsJsonArray("requests").map { it.asString }, transport.asked)
                expect.long("max_in_flight")?.let { assertEquals("the most requests out at once", it.toInt(), transport.mostHeld) }
                expect.getAsJsonArray("events")?.let { want -> assertEquals("events", want.map { it.asString }, events.toList()) }
                assertTrue("took $elapsed ms", elapsed <= c.long("max_ms")!!)
            }.exceptionOrNull()?.let { "${c.str("name")}: $it" }
        }
    }

    @Test
    fun everyHostVector() {
        val cases = vectors.getAsJsonArray("scenarios").map { it.asJsonObject }.filter { it.bool("dynamic_only") != true }
        assertTrue(cases.size >= 40)
        val pool = Executors.newFixedThreadPool(16)
        val failures = cases.map { c -> pool.submit<String?> { scenario(c) } }.mapNotNull { it.get() }
        pool.shutdown()
        assertEquals(emptyList<String>(), failures)
    }

    @Test
    fun everyKindTheCoreNamesHasItsClass() {
        val names = BcpayException::class.sealedSubclasses.map { it.simpleName + "Error" }.sorted()
        assertEquals(vectors.getAsJsonArray("class_names").map { it.asString }.sorted(), names)
    }

    companion object {
        val timer = Executors.newScheduledThreadPool(2) { r -> Thread(r).also { it.isDaemon = true } }
    }
}
