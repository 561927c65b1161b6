package dev.bcpay

import dev.bcpay.ffi.Header
import dev.bcpay.ffi.HttpResponse
import dev.bcpay.ffi.TransportFailure
import dev.bcpay.ffi.WireRequest
import dev.bcpay.ffi.responseHeadersRead
import java.io.IOException
import java.net.ConnectException
import java.net.NoRouteToHostException
import java.net.URI
import java.net.UnknownHostException
import java.net.http.HttpClient
import java.net.http.HttpConnectTimeoutException
import java.net.http.HttpRequest.BodyPublishers
import java.net.http.HttpResponse.BodyHandlers
import java.net.http.HttpTimeoutException
import java.nio.channels.UnresolvedAddressException
import java.io.ByteArrayOutputStream
import java.nio.ByteBuffer
import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionException
import java.util.concurrent.CompletionStage
import java.util.concurrent.ExecutionException
import java.util.concurrent.Flow
import java.util.concurrent.ForkJoinPool
import java.util.concurrent.TimeoutException

/**
 * Thrown by a [Transport] when a request got no response. [failure] tells the core whether the
 * server may have seen it: a payment is resent only when it certainly was not. [reason] is the
 * library's or the OS's words for it (by default the cause's class and message), which the core
 * scrubs of secrets and keeps on the error and the listener's event.
 */
class TransportException @JvmOverloads constructor(
    val failure: TransportFailure,
    cause: Throwable? = null,
    val reason: String? = cause?.let(::describeCause),
) : IOException("transport failure: ${failure.name.lowercase()}", cause)

/**
 * An exception's words and those of the causes it wraps, for [TransportException.reason]:
 * `ConnectException, caused by ClosedChannelException` (the JDK's HTTP client leaves many messages
 * empty; the class names still say what happened).
 */
fun describeCause(e: Throwable): String =
    generateSequence(e) { it.cause?.takeIf { c -> c !== it } }.take(3)
        .joinToString(", caused by ") { t -> t.message?.let { "${t.javaClass.simpleName}: $it" } ?: t.javaClass.simpleName }

/**
 * Sends one request built by the core, exactly as built, and returns the server's answer. The
 * request's header values and body are bytes (they hold the API token, a payment access token or
 * card data, and a `ByteArray` prints no content); bcpay wipes them once the request is answered:
 * copy them first if you need them afterwards.
 *
 * Implement [send]; override [sendAsync] when the HTTP client has a native asynchronous API.
 * When no response arrives, throw [TransportException] with the right [TransportFailure]:
 * `NOT_SENT` only when the server certainly never saw the request (DNS failure, connection
 * refused), `TIMED_OUT` when no answer came in time, `MAYBE_SENT` for anything else. Never retry
 * inside a transport: the core decides what may be resent.
 */
fun interface Transport {
    /** Sends [request] and returns the response, or throws [TransportException]. */
    fun send(request: WireRequest): HttpResponse

    /** [send] without blocking the caller. */
    fun sendAsync(request: WireRequest): CompletableFuture<HttpResponse> =
        CompletableFuture.supplyAsync({ send(request) }, ForkJoinPool.commonPool())
}

/**
 * The default transport: `java.net.http.HttpClient` (HTTP/1.1, shared connection pool) that
 * never follows a redirect (one could carry the API token or card data to another origin; the
 * core reads the 3xx), ends each request after [timeout] counting headers *and* body (one thread
 * watches every request's deadline; the JDK's own request timeout stops at the headers, so a
 * trickled body would hang, and costs a timer per request), and reads a body only
 * up to [maxBodyBytes] + 1 bytes (enough for the core to refuse it). The JDK client does not retry
 * POSTs on its own.
 */
class JavaHttpTransport @JvmOverloads constructor(
    private val timeout: Duration = Duration.ofSeconds(30),
    private val maxBodyBytes: Long = 4L * 1024 * 1024,
    private val client: HttpClient = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(timeout)
        .build(),
) : Transport {

    /** One byte past the cap: enough for the core to refuse the body. */
    private val bodyLimit = (maxBodyBytes + 1).coerceAtMost(Int.MAX_VALUE.toLong()).toInt()

    private fun javaRequest(request: WireRequest): java.net.http.HttpRequest {
        val body = request.body
        // No `.timeout()`: the JDK client registers and cancels a timer per request under one
        // lock (measured: two-thirds of the extra CPU its threads spent on bcpay's payments); the
        // deadline watch below ends the exchange instead, headers and body alike.
        val builder = java.net.http.HttpRequest.newBuilder(URI.create(request.url))
            // The array itself, not a copy: bcpay wipes it once the request is answered (or
            // abandoned), by which time the JDK has sent it (it resends no POST).
            .method(request.method, if (body == null) BodyPublishers.noBody() else BodyPublishers.ofByteArray(body))
        for (h in request.headers) {
            // The JDK sets these itself and refuses them from callers.
            if (!h.name.equals("content-length", ignoreCase = true) && !h.name.equals("host", ignoreCase = true)) {
                builder.header(h.name, String(h.value, Charsets.UTF_8))
            }
        }
        return builder.build()
    }

    /** The response, with only the headers the core reads (each other one would be copied
     * into the core for nothing). */
    private fun response(r: java.net.http.HttpResponse<ByteArray>): HttpResponse {
        val headers = ArrayList<Header>(2)
        for (name in READ_HEADERS) for (value in r.headers().allValues(name)) headers.add(Header(name, value))
        return HttpResponse(r.statusCode(), headers, r.body())
    }

    /**
     * The JDK's blocking `send`, which runs the exchange with the calling thread (its `sendAsync`
     * hands each step to the client's executor: twice the time per request on loopback). At the
     * deadline the watch interrupts the thread, which makes the JDK (16 and later) abort the
     * exchange, and stops the body; the interrupt is the deadline's, so it is cleared here, but an
     * interrupt the thread already had is left for its owner.
     */
    override fun send(request: WireRequest): HttpResponse {
        val javaRequest = try {
            javaRequest(request)
        } catch (e: Exception) {
            throw transportExceptionOf(e)
        }
        val body = CappedBody(bodyLimit)
        val caller = Thread.currentThread()
        // Written only by the watch, under its lock; read after `forget`, which takes that lock.
        var interruptedHere = false
        val watch = Deadlines.watch(timeout) {
            body.expire()
            if (!caller.isInterrupted) {
                interruptedHere = true
                caller.interrupt()
            }
        }
        val answer: java.net.http.HttpResponse<ByteArray>? = try {
            client.send(javaRequest) { body }
        } catch (e: Exception) {
            val deadlinePassed = Deadlines.forget(watch)
            // The deadline's interrupt is cleared; the owner's, which the JDK's
            // InterruptedException took off the thread, is put back.
            if (interruptedHere) Thread.interrupted() else if (e is InterruptedException) Thread.currentThread().interrupt()
            throw when {
                deadlinePassed -> TransportException(TransportFailure.TIMED_OUT, e)
                e is InterruptedException -> TransportException(TransportFailure.MAYBE_SENT, e)
                else -> transportExceptionOf(e)
            }
        }
        // Answered: if the deadline struck as the answer came, its interrupt is not the caller's.
        if (Deadlines.forget(watch) && interruptedHere) Thread.interrupted()
        return response(answer!!)
    }

    override fun sendAsync(request: WireRequest): CompletableFuture<HttpResponse> {
        val javaRequest = try {
            javaRequest(request)
        } catch (e: Exception) {
            return CompletableFuture.failedFuture(transportExceptionOf(e))
        }
        val body = CappedBody(bodyLimit)
        val sent = client.sendAsync(javaRequest) { body }
        // Cancelling the JDK's future aborts its exchange (JDK 16 and later), headers or body.
        val watch = Deadlines.watch(timeout) {
            body.expire()
            sent.cancel(true)
        }
        return sent.handle { r, e ->
            val deadlinePassed = Deadlines.forget(watch)
            if (e != null) throw if (deadlinePassed) TransportException(TransportFailure.TIMED_OUT, e) else transportExceptionOf(e)
            response(r)
        }
    }
}

/**
 * The total deadlines of every default transport's exchanges: one daemon thread looks at them
 * every [TICK_MS] and expires the overdue. A timer per request would wake a thread per request
 * (most requests end long before their deadline, so each new timer is the earliest).
 */
private object Deadlines {
    private const val TICK_MS = 50L

    /**
     * One exchange's deadline. Firing and forgetting exclude each other, so a forgotten watch
     * (its exchange ended) never fires after, and [forget] says whether it had: the one answer to
     * "did the deadline end this exchange", since [fire] holds the lock while it stops the
     * exchange, and the caller forgets only after the exchange failed.
     */
    class Watch(val dueNanos: Long, private val expire: () -> Unit) {
        private var fired = false
        private var forgotten = false

        @Synchronized
        fun fire() {
            if (forgotten || fired) return
            fired = true
            expire()
        }

        @Synchronized
        fun forget(): Boolean {
            forgotten = true
            return fired
        }
    }

    private val watched: MutableSet<Watch> = java.util.concurrent.ConcurrentHashMap.newKeySet()

    init {
        Thread({
            while (true) {
                Thread.sleep(TICK_MS)
                val now = System.nanoTime()
                for (w in watched) {
                    if (now - w.dueNanos >= 0 && watched.remove(w)) {
                        try {
                            w.fire()
                        } catch (e: Exception) {
                            // An exchange's own failure; the others still need watching.
                        }
                    }
                }
            }
        }, "bcpay-deadlines").apply { isDaemon = true }.start()
    }

    fun watch(timeout: Duration, expire: () -> Unit): Watch = Watch(System.nanoTime() + timeout.toNanos(), expire).also { watched.add(it) }

    /** Ends the watch of an exchange that ended; true when its deadline had passed and fired. */
    fun forget(watch: Watch): Boolean {
        watched.remove(watch)
        return watch.forget()
    }
}

/** The response headers the core reads, lower case (the core's list). */
private val READ_HEADERS: List<String> by lazy { responseHeadersRead() }

/** Collects at most [limit] bytes of a body, then cancels the rest of it. */
private class CappedBody(private val limit: Int) : java.net.http.HttpResponse.BodySubscriber<ByteArray> {
    private val out = ByteArrayOutputStream()
    private val result = CompletableFuture<ByteArray>()
    @Volatile private var subscription: Flow.Subscription? = null

    /** The total deadline passed: stops reading, which aborts the exchange. */
    fun expire() {
        if (result.completeExceptionally(DeadlinePassed())) subscription?.cancel()
    }

    private class DeadlinePassed : TimeoutException("the response's deadline passed")

    override fun getBody(): CompletionStage<ByteArray> = result

    override fun onSubscribe(s: Flow.Subscription) {
        subscription = s
        // Done before it began: the deadline passed while the headers were awaited.
        if (result.isDone) s.cancel() else s.request(1)
    }

    override fun onNext(items: List<ByteBuffer>) {
        if (result.isDone) return
        for (b in items) {
            val n = minOf(b.remaining(), limit - out.size())
            val bytes = ByteArray(n)
            b.get(bytes)
            out.write(bytes)
        }
        if (out.size() >= limit) {
            subscription?.cancel()
            result.complete(out.toByteArray())
        } else {
            subscription?.request(1)
        }
    }

    override fun onError(t: Throwable) {
        result.completeExceptionally(t)
    }

    override fun onComplete() {
        result.complete(out.toByteArray())
    }
}

/**
 * Maps whatever a transport threw onto the core's three kinds of transport failure. Anything
 * unrecognised counts as `MAYBE_SENT`: the safe reading, which makes a payment reconcile rather
 * than resend.
 */
fun transportExceptionOf(error: Throwable): TransportException {
    var e: Throwable = error
    while ((e is CompletionException || e is ExecutionException) && e.cause != null) e = e.cause!!
    if (e is TransportException) return e
    val failure = when {
        // No connection was ever made, so nothing was written.
        e is HttpConnectTimeoutException || e is ConnectException || e is UnknownHostException ||
            e is NoRouteToHostException || e is UnresolvedAddressException ||
            e.cause is ConnectException || e.cause is UnresolvedAddressException -> TransportFailure.NOT_SENT
        // The JDK rejects a malformed request before opening a connection.
        e is IllegalArgumentException -> TransportFailure.NOT_SENT
        e is HttpTimeoutException || e is TimeoutException -> TransportFailure.TIMED_OUT
        else -> TransportFailure.MAYBE_SENT
    }
    return TransportException(failure, e)
}
