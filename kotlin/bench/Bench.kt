// Measures the Kotlin package (a bench, not a test): SDK CPU per payment with an in-memory
// transport, and loopback throughput of Client.pay against hand-written java.net.http flows
// making the same three calls (one after another; the methods and token together, as bcpay sends
// them), rounds interleaved, with each flow's CPU per payment by thread group (the payers, the
// thread sending a request beside the awaited one, the JDK HTTP client's threads). Usage:
// kotlin/scripts/bench.sh
import dev.bcpay.Client
import dev.bcpay.Transport
import dev.bcpay.ffi.BillingAddress
import dev.bcpay.ffi.CardNumber
import dev.bcpay.ffi.ClientOptions
import dev.bcpay.ffi.Endpoint
import dev.bcpay.ffi.Header
import dev.bcpay.ffi.HttpResponse
import dev.bcpay.ffi.NewOrder
import dev.bcpay.ffi.OrderProduct
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.PaymentInstrument
import dev.bcpay.ffi.RateLimitConfig
import dev.bcpay.ffi.VerificationValue
import java.lang.management.ManagementFactory
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest.BodyPublishers
import java.net.http.HttpResponse.BodyHandlers
import java.util.Base64
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.Executors

fun card() = Payment(
    PaymentInstrument.Card(CardNumber("4242424242424242"), "Jane Doe", 12, 2030, VerificationValue("123"), null, null, null),
    "stripe.card",
)

/** The JVM's own figures: its process CPU time. */
val jvm = ManagementFactory.getOperatingSystemMXBean() as com.sun.management.OperatingSystemMXBean

fun json(status: Int, body: String) = HttpResponse(status, listOf(Header("content-type", "application/json")), body.toByteArray())

fun cpuPerPayment() {
    val b64 = { s: String -> Base64.getUrlEncoder().withoutPadding().encodeToString(s.toByteArray()) }
    val exp = System.currentTimeMillis() / 1000 + 3600
    val pat = "${b64("""{"alg":"HS256"}""")}.${b64("""{"exp":$exp,"iat":${exp - 3600},"data":{"order_id":215}}""")}.c2ln"
    val canned = mapOf(
        Endpoint.GET_PAYMENT_METHODS to json(200, """{"data":[{"id":"stripe.card","name":"Stripe","test_mode":true,"type":"card","supported_instruments":[{"instrument_type":"VISA","verification_value_required":true}],"stored_instruments":[]}],"meta":{}}"""),
        Endpoint.CREATE_PAYMENT_ACCESS_TOKEN to json(201, """{"data":{"id":"$pat"},"meta":{}}"""),
        Endpoint.PROCESS_PAYMENT to json(201, """{"data":{"id":"tx-1","status":"success","transaction_type":"purchase"}}"""),
    )
    val options = ClientOptions(rateLimit = RateLimitConfig(1_000_000_000, 4000, 250))
    val client = Client("abc123", "t", options, Transport { canned.getValue(it.endpoint) })
    val threads = ManagementFactory.getThreadMXBean()
    // The process's CPU too: the JDK's cleaner thread wipes each payment's card number and CVV.
    repeat(20_000) { client.pay(215, listOf(card())) }
    val results = (1..5).map {
        val (t0, p0) = threads.currentThreadCpuTime to jvm.processCpuTime
        repeat(20_000) { client.pay(215, listOf(card())) }
        (threads.currentThreadCpuTime - t0) / 20_000 / 1000.0 to (jvm.processCpuTime - p0) / 20_000 / 1000.0
    }
    val median = { v: List<Double> -> v.sorted()[v.size / 2] }
    println(
        "SDK CPU per payment (Client.pay, in-memory transport, JNA calls included): %.1f µs on the calling thread, %.1f µs in the process (medians of 5)"
            .format(median(results.map { it.first }), median(results.map { it.second })),
    )
}

/** Payments per round: rounds long enough that one burst of machine noise moves a ratio little. */
const val PER_ROUND = 2000

fun throughput(base: String) {
    val options = ClientOptions(apiBase = base, paymentsBase = base, rateLimit = RateLimitConfig(1_000_000_000, 4000, 250))
    val client = Client("abc123", "sandbox-token", options)
    val http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
    val store = "$base/stores/abc123"
    val tokenRe = Regex("\"id\":\"([^\"]+)\"")
    val auth = arrayOf("X-Auth-Token", "sandbox-token", "Accept", "application/json")
    fun methods(orderId: Long) {
        http.send(java.net.http.HttpRequest.newBuilder(URI.create("$store/v3/payments/methods?order_id=$orderId")).headers(*auth).build(), BodyHandlers.ofByteArray())
    }
    fun token(orderId: Long): String {
        val token = http.send(
            java.net.http.HttpRequest.newBuilder(URI.create("$store/v3/payments/access_tokens")).headers(*auth, "Content-Type", "application/json")
                .POST(BodyPublishers.ofString("""{"order":{"id":$orderId}}""")).build(),
            BodyHandlers.ofString(),
        )
        return tokenRe.find(token.body())!!.groupValues[1]
    }
    fun process(pat: String) {
        val paid = http.send(
            java.net.http.HttpRequest.newBuilder(URI.create("$base/stores/abc123/payments"))
                .headers("Accept", "application/vnd.bc.v1+json", "Content-Type", "application/json", "Authorization", "PAT $pat")
                .POST(BodyPublishers.ofString("""{"payment":{"instrument":{"type":"card","number":"4242424242424242","cardholder_name":"Jane Doe","expiry_month":12,"expiry_year":2030,"verification_value":"123"},"payment_method_id":"stripe.card"}}""")).build(),
            BodyHandlers.ofString(),
        )
        check(paid.statusCode() == 201) { "hand-written flow got ${paid.statusCode()}" }
    }
    fun handWritten(orderId: Long) {
        methods(orderId)
        process(token(orderId))
    }
    // The methods and the token together, as bcpay sends them: the token on another thread (a
    // round trip less of latency; in CPU-bound loopback, a thread handoff more).
    val beside = Executors.newCachedThreadPool { Thread(it, "beside").apply { isDaemon = true } }
    fun handWrittenTogether(orderId: Long) {
        val pat = java.util.concurrent.CompletableFuture.supplyAsync({ token(orderId) }, beside)
        methods(orderId)
        process(pat.get())
    }
    val address = BillingAddress("J", "D", null, "1", null, "A", "T", "1", "US", "US", "j@d.com", null)
    fun orders(n: Int) = (1..n).map { client.createOrder(NewOrder(0, address, listOf(OrderProduct(null, null, "x", 1, 5.0, 5.0, null)), null)).id }
    val pool = Executors.newFixedThreadPool(8) { Thread(it, "caller") }
    /** Payments per second, and the JVM's CPU µs per payment (the sandbox is another process). */
    fun round(pay: (Long) -> Unit, ids: List<Long>): Pair<Double, Double> {
        val queue = ConcurrentLinkedQueue(ids)
        val before = threadCpu()
        val (t0, c0) = System.nanoTime() to jvm.processCpuTime
        (1..8).map { pool.submit { while (true) pay(queue.poll() ?: break) } }.forEach { it.get() }
        val rate = ids.size / ((System.nanoTime() - t0) / 1e9) to (jvm.processCpuTime - c0) / 1000.0 / ids.size
        lastThreads = threadCpu().mapValues { (group, ns) -> (ns - (before[group] ?: 0L)) / 1000.0 / ids.size }
        return rate
    }
    val sdk = { id: Long -> client.pay(id, listOf(card())); Unit }
    // Warm-up: the JIT compiles both paths (bcpay's is the larger) before anything is measured,
    // as it has in a server that has been up a while.
    val flows = listOf(sdk, ::handWritten, ::handWrittenTogether)
    repeat(2) { for (flow in flows) round(flow, orders(PER_ROUND)) }
    // Per flow, each round's CPU µs per payment by thread group (see threadCpu).
    val byThreads = List(3) { ArrayList<Map<String, Double>>() }
    val rates = (0 until 15).map { r ->
        // Rotate which goes first, so warm-up and drift favour none.
        val rate = DoubleArray(3)
        val cpu = DoubleArray(3)
        for (k in 0 until 3) {
            val flow = (r + k) % 3
            round(flows[flow], orders(PER_ROUND)).let { (p, c) -> rate[flow] = p; cpu[flow] = c }
            byThreads[flow].add(lastThreads)
        }
        println(
            "round $r: bcpay %.0f payments/s %.0f µs CPU, hand-written %.0f/s %.0f µs, together %.0f/s %.0f µs; ratios %.3f %.3f"
                .format(rate[0], cpu[0], rate[1], cpu[1], rate[2], cpu[2], rate[0] / rate[1], rate[0] / rate[2]),
        )
        rate to cpu
    }
    val median = { v: List<Double> -> v.sorted()[v.size / 2] }
    println(
        "throughput ratio (median of 15 interleaved rounds' ratios): %.3f of hand-written, %.3f of hand-written with the methods and token together"
            .format(median(rates.map { it.first[0] / it.first[1] }), median(rates.map { it.first[0] / it.first[2] })),
    )
    println(
        "JVM CPU per payment (medians): bcpay %.0f µs, hand-written %.0f µs, together %.0f µs"
            .format(median(rates.map { it.second[0] }), median(rates.map { it.second[1] }), median(rates.map { it.second[2] })),
    )
    // Where each flow's JVM CPU goes (the rest of the process: the JIT compiler, the GC).
    for ((flow, name) in listOf("bcpay", "hand-written", "together").withIndex()) {
        val groups = byThreads[flow].flatMap { it.keys }.toSortedSet()
        println("$name, CPU µs per payment by thread (medians): " + groups.joinToString(", ") { g -> "%s %.0f".format(g, median(byThreads[flow].map { it[g] ?: 0.0 })) })
    }
    pool.shutdown()
}

/** The last round's CPU µs per payment by thread group. */
var lastThreads: Map<String, Double> = emptyMap()

/**
 * CPU ns so far of the JVM's live Java threads, by group: the payers ("caller"), the threads that
 * send a request beside the awaited one ("beside" for the hand-written flow, "bcpay-send"), the
 * JDK HTTP client's, and the rest. A thread that ends within a round is missed (the pools here
 * keep theirs).
 */
fun threadCpu(): Map<String, Long> {
    val threads = ManagementFactory.getThreadMXBean()
    val groups = HashMap<String, Long>()
    for (info in threads.getThreadInfo(threads.allThreadIds)) {
        if (info == null) continue
        val group = when {
            info.threadName == "caller" -> "callers"
            info.threadName == "beside" || info.threadName == "bcpay-send" -> "beside"
            info.threadName.startsWith("HttpClient-") -> "jdk-http"
            else -> "other"
        }
        val ns = threads.getThreadCpuTime(info.threadId)
        if (ns > 0) groups.merge(group, ns, Long::plus)
    }
    return groups
}

fun main(args: Array<String>) {
    cpuPerPayment()
    if (args.isNotEmpty()) throughput(args[0])
}
