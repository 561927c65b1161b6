package dev.bcpay

import dev.bcpay.ffi.TransportFailure
import org.junit.Assert.assertEquals
import org.junit.Assert.assertSame
import org.junit.Test
import java.io.IOException
import java.net.ConnectException
import java.net.UnknownHostException
import java.net.http.HttpConnectTimeoutException
import java.net.http.HttpTimeoutException
import java.util.concurrent.CompletionException

/** The mapping of JDK failures onto what the server may have seen: it decides whether a payment may be resent. */
class TransportTest {
    private fun failureOf(e: Throwable) = transportExceptionOf(e).failure

    @Test
    fun failuresBeforeAnyConnectionAreNotSent() {
        assertEquals(TransportFailure.NOT_SENT, failureOf(ConnectException("Connection refused")))
        assertEquals(TransportFailure.NOT_SENT, failureOf(UnknownHostException("nowhere.invalid")))
        assertEquals(TransportFailure.NOT_SENT, failureOf(HttpConnectTimeoutException("connect timed out")))
        assertEquals(TransportFailure.NOT_SENT, failureOf(IOException("wrapped", ConnectException("refused"))))
    }

    @Test
    fun aRequestTimeoutIsTimedOut() {
        assertEquals(TransportFailure.TIMED_OUT, failureOf(HttpTimeoutException("request timed out")))
    }

    @Test
    fun anythingElseMayHaveBeenSent() {
        assertEquals(TransportFailure.MAYBE_SENT, failureOf(IOException("Connection reset")))
        assertEquals(TransportFailure.MAYBE_SENT, failureOf(RuntimeException("a custom transport's bug")))
    }

    @Test
    fun asyncWrappersAreLookedThrough() {
        assertEquals(TransportFailure.TIMED_OUT, failureOf(CompletionException(HttpTimeoutException("late"))))
        val own = TransportException(TransportFailure.NOT_SENT)
        assertSame(own, transportExceptionOf(CompletionException(own)))
    }
}
