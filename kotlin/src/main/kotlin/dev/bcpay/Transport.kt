package dev.bcpay

import dev.bcpay.ffi.Header
import dev.bcpay.ffi.HttpRequest
import dev.bcpay.ffi.HttpResponse
import dev.bcpay.ffi.TransportFailure
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
import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionException
import java.util.concurrent.ExecutionException
import java.util.concurrent.ForkJoinPool

/**
 * Thrown by a [Transport] when a request got no response. [failure] tells the core whether the
 * server may have seen it: a payment is resent only when it certainly was not.
 */
class TransportException(val failure: TransportFailure, cause: Throwable? = null) :
    IOException("transport failure: ${failure.name.lowercase()}", cause)

/**
 * Sends one request built by the core, exactly as built, and returns the server's answer.
 *
 * Implement [send]; override [sendAsync] when the HTTP client has a native asynchronous API.
 * When no response arrives, throw [TransportException] with the right [TransportFailure]:
 * `NOT_SENT` only when the server certainly never saw the request (DNS failure, connection
 * refused), `TIMED_OUT` when no answer came in time, `MAYBE_SENT` for anything else. Never retry
 * inside a transport: the core decides what may be resent.
 */
fun interface Transport {
    /** Sends [request] and returns the response, or throws [TransportException]. */
    fun send(request: HttpRequest): HttpResponse

    /** [send] without blocking the caller. */
    fun sendAsync(request: HttpRequest): CompletableFuture<HttpResponse> =
        CompletableFuture.supplyAsync({ send(request) }, ForkJoinPool.commonPool())
}

/**
 * The default transport: `java.net.http.HttpClient` (HTTP/1.1, shared connection pool) with a
 * per-request timeout. The JDK client does not retry POSTs on its own.
 */
class JavaHttpTransport @JvmOverloads constructor(
    private val timeout: Duration = Duration.ofSeconds(30),
    private val client: HttpClient = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout)
        .build(),
) : Transport {

    private fun javaRequest(request: HttpRequest): java.net.http.HttpRequest {
        val body = request.body()
        val builder = java.net.http.HttpRequest.newBuilder(URI.create(request.url()))
            .timeout(timeout)
            .method(request.method(), if (body == null) BodyPublishers.noBody() else BodyPublishers.ofByteArray(body))
        val values = request.headerValues()
        request.headerNames().forEachIndexed { i, name ->
            // The JDK sets these itself and refuses them from callers.
            if (!name.equals("content-length", ignoreCase = true) && !name.equals("host", ignoreCase = true)) builder.header(name, values[i])
        }
        return builder.build()
    }

    private fun response(r: java.net.http.HttpResponse<ByteArray>): HttpResponse =
        HttpResponse(
            r.statusCode().toUShort(),
            r.headers().map().flatMap { (name, values) -> values.map { Header(name, it) } },
            r.body(),
        )

    override fun send(request: HttpRequest): HttpResponse {
        try {
            return response(client.send(javaRequest(request), BodyHandlers.ofByteArray()))
        } catch (e: InterruptedException) {
            Thread.currentThread().interrupt()
            throw TransportException(TransportFailure.MAYBE_SENT, e)
        } catch (e: Exception) {
            throw transportExceptionOf(e)
        }
    }

    override fun sendAsync(request: HttpRequest): CompletableFuture<HttpResponse> {
        val javaRequest = try {
            javaRequest(request)
        } catch (e: Exception) {
            return CompletableFuture.failedFuture(transportExceptionOf(e))
        }
        return client.sendAsync(javaRequest, BodyHandlers.ofByteArray())
            .handle { r, e -> if (e != null) throw transportExceptionOf(e) else response(r) }
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
        e is HttpTimeoutException -> TransportFailure.TIMED_OUT
        else -> TransportFailure.MAYBE_SENT
    }
    return TransportException(failure, e)
}
