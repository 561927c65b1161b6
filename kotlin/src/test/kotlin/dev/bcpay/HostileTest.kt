package dev.bcpay

import com.google.gson.JsonObject
import com.google.gson.JsonParser
import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.BillingAddress
import dev.bcpay.ffi.ClientOptions
import dev.bcpay.ffi.NewOrder
import dev.bcpay.ffi.OrderProduct
import dev.bcpay.ffi.RetryAdvice
import dev.bcpay.ffi.defaultFlowOptions
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest.BodyPublishers
import java.net.http.HttpResponse.BodyHandlers
import java.util.concurrent.Callable
import java.util.concurrent.Executors

/**
 * The hostile world (tests/hostile/scenarios.json) against the Kotlin client and its default
 * java.net.http transport: each scenario on its own sandbox process, all at once.
 */
class HostileTest {
    private val world: JsonObject =
        JsonParser.parseString(File(System.getProperty("bcpay.hostile") ?: "tests/hostile/scenarios.json").readText()).asJsonObject
    private val http = HttpClient.newHttpClient()

    private fun admin(url: String, path: String, body: String? = null): JsonObject {
        val b = java.net.http.HttpRequest.newBuilder(URI.create("$url/__sandbox/$path")).header("content-type", "application/json")
        val req = if (body == null) b.GET().build() else b.POST(BodyPublishers.ofString(body)).build()
        return JsonParser.parseString(http.send(req, BodyHandlers.ofString()).body()).asJsonObject
    }

    private fun requests(ledger: JsonObject, call: String): Long = ledger.getAsJsonObject("requests").get(call)?.asLong ?: 0

    /** Runs one scenario; returns why it failed, or null. */
    private fun run(scenario: JsonObject): String? {
        val name = scenario.get("name").asString
        val expect = scenario.getAsJsonObject("expect")
        val sandbox = ProcessBuilder(System.getProperty("bcpay.sandbox") ?: "target/debug/bcpay-sandbox", "--port", "0", "--stop-when-stdin-closes").start()
        try {
            val url = sandbox.inputStream.bufferedReader().readLine()!!.split(" ").last()
            val base = ClientOptions(apiBase = url, paymentsBase = url)
            val orderId = Client("abc123", "sandbox-token", base).use { setup ->
                val address = BillingAddress("Jane", "Doe", null, "1 Main St", null, "Austin", "Texas", "78751", "United States", "US", "jane@example.com", null)
                setup.createOrder(NewOrder(0, address, listOf(OrderProduct(null, null, "Poster", 1, 20.0, 20.0, null)), null)).id
            }
            val before = admin(url, "ledger")
            admin(url, "faults", scenario.get("faults").toString())
            val options = base.copy(timeoutMs = (scenario.get("timeout_ms")?.asLong ?: 10_000))
            val flow = flowOptionsOf(scenario.getAsJsonObject("options") ?: JsonObject())
            val started = System.nanoTime()
            val events = java.util.concurrent.ConcurrentLinkedQueue<String>()
            val outcome = Client("abc123", "sandbox-token", options, flowOptions = flow).use { c ->
                c.eventListener = EventListener { events.add(it.toString()) }
                runCatching { c.pay(orderId, listOf(paymentOf(world.getAsJsonObject("payment")))) }
            }
            val seconds = (System.nanoTime() - started) / 1e9
            admin(url, "faults", "{}")
            val ledger = admin(url, "ledger")
            if (expect.get("outcome").asString == "paid") {
                val receipt = outcome.getOrElse { return "$name: expected paid, got $it" }
                expect.get("reconciled")?.let { if (receipt.payments[0].reconciled != it.asBoolean) return "$name: reconciled ${receipt.payments[0].reconciled}" }
            } else {
                val e = outcome.exceptionOrNull() as? BcpayException ?: return "$name: expected a BcpayException, got $outcome"
                val d = e.details
                if (d.kind.name.lowercase() != expect.get("kind").asString) return "$name: expected ${expect.get("kind")}, got ${e.message}"
                expect.get("status")?.let { if (d.status?.toInt() != it.asInt) return "$name: status ${d.status}" }
                expect.get("retry_after_ms")?.let {
                    val ms = (d.retry as? RetryAdvice.After)?.ms?.toLong() ?: return "$name: retry ${d.retry}"
                    if (ms > it.asLong || ms + 1000 < it.asLong) return "$name: retry after $ms"
                }
                val texts = listOf(d.title, d.detail ?: "") + d.fieldErrors.flatMap { listOf(it.path, it.description) }
                for (s in world.getAsJsonArray("secrets").map { it.asString }) {
                    if (texts.any { s in it } || (s.length > 3 && (s in e.toString() || s in (e.message ?: "")))) return "$name: a secret leaked: $texts"
                }
            }
            // Every event the listener saw, printed whole, holds no secret either.
            if (events.isEmpty()) return "$name: the listener saw no event"
            for (s in world.getAsJsonArray("secrets").map { it.asString }.filter { it.length > 3 }) {
                events.firstOrNull { s in it }?.let { return "$name: a secret leaked in an event: $it" }
            }
            val charges = ledger.getAsJsonArray("orders").map { it.asJsonObject }
                .firstOrNull { it.get("order_id").asLong == orderId }?.getAsJsonArray("charges")?.size() ?: 0
            if (charges != expect.get("charges").asInt) return "$name: $charges charges"
            if (ledger.get("double_charges").asInt != 0) return "$name: double charges ${ledger.get("double_charges")}"
            if (ledger.get("trap_hits").asInt != 0) return "$name: a redirect was followed: ${ledger.get("trap")}"
            expect.getAsJsonObject("requests")?.entrySet()?.forEach { (call, want) ->
                val n = requests(ledger, call) - requests(before, call)
                if (n != want.asLong) return "$name: $n $call requests, expected $want"
            }
            if (seconds > expect.get("max_seconds").asDouble) return "$name: took ${"%.1f".format(seconds)} s"
            return null
        } finally {
            sandbox.destroy()
        }
    }

    @Test
    fun everyHostileScenario() {
        val scenarios = world.getAsJsonArray("scenarios").map { it.asJsonObject }
        val pool = Executors.newFixedThreadPool(scenarios.size)
        try {
            val failures = pool.invokeAll(scenarios.map { s -> Callable { run(s) } }).mapNotNull { it.get() }
            assertTrue(failures.joinToString("\n"), failures.isEmpty())
        } finally {
            pool.shutdownNow()
        }
    }

    @Test
    fun insecureBaseUrlsAreRefusedBeforeAnyRequest() {
        for (config in world.getAsJsonArray("configs").map { it.asJsonObject }) {
            val options = ClientOptions(apiBase = config.str("api_base"), paymentsBase = config.str("payments_base"))
            val e = runCatching { Client("abc123", "t", options) }.exceptionOrNull() as? BcpayException
                ?: throw AssertionError("${config.get("name")}: no BcpayException")
            val expect = config.getAsJsonObject("expect")
            assertEquals(expect.get("kind").asString, e.details.kind.name.lowercase())
            assertEquals(camelPath(expect.get("field").asString), e.details.fieldErrors[0].path)
            assertEquals(expect.get("code").asString, e.details.fieldErrors[0].code)
        }
    }

    @Test
    fun aTimeoutOutOfRangeIsAConfigurationError() {
        val e = runCatching { Client("abc123", "t", ClientOptions(timeoutMs = 0)) }.exceptionOrNull() as BcpayException
        assertEquals("timeoutMs", e.details.fieldErrors[0].path)
        defaultFlowOptions()
    }
}
