package dev.bcpay

import com.sun.jna.Native
import dev.bcpay.ffi.Action
import dev.bcpay.ffi.CoreApi
import dev.bcpay.ffi.CoreOperation
import dev.bcpay.ffi.Endpoint
import dev.bcpay.ffi.FfiConverterOptionalTypeFlowOptions
import dev.bcpay.ffi.FfiConverterSequenceTypePayment
import dev.bcpay.ffi.FfiConverterTypeAction
import dev.bcpay.ffi.FlowOptions
import dev.bcpay.ffi.HttpResponse
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.TransportFailure
import dev.bcpay.ffi.UniffiWithHandle
import dev.bcpay.ffi.WireHeader
import dev.bcpay.ffi.WireRequest
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * The C functions of bcpay-uniffi's `steps` module, bound by JNA's direct mapping: `long`, `int`
 * and `byte[]` only, which JNA passes without allocating native structures. Every uniffi call
 * allocates one per record or string in or out, and Debian's JNA records each allocation in a
 * global map (~8 µs each, more when threads contend), so a client drives its operations' steps
 * through these instead (one call per request, how it ended included), starts a payment with one
 * (`bcpay_start_payment`) and uses uniffi to create the other operations. The encoding is
 * documented in `bindings/uniffi/src/steps.rs`.
 */
internal object NativeSteps {
    init {
        // The library uniffi's bindings load, by the name they load it by.
        Native.register(NativeSteps::class.java, System.getProperty("uniffi.component.bcpay.libraryOverride") ?: "bcpay_uniffi")
    }

    const val POLL = 0
    const val RESPONSE = 1
    const val FAILURE = 2
    const val REFUSED = Int.MIN_VALUE

    @JvmStatic external fun bcpay_steps(operation: Long, kind: Int, input: ByteArray?, inputLen: Int, nowMs: Long, out: ByteArray, outCap: Int): Int

    @JvmStatic external fun bcpay_steps_pending(operation: Long, out: ByteArray, outCap: Int): Int

    @JvmStatic external fun bcpay_operation_deadline_ms(operation: Long): Long

    @JvmStatic external fun bcpay_operation_release(operation: Long)

    @JvmStatic external fun bcpay_start_payment(api: Long, orderId: Long, input: ByteArray, inputLen: Int, observe: Int, nowMs: Long, out: ByteArray, outCap: Int): Int

    @JvmStatic external fun bcpay_operation_clone(operation: Long): Long

    @JvmStatic external fun bcpay_api_release(api: Long)

    /** `bcpay_start_payment`'s header: the operation's handle and its deadline. */
    const val START_HEADER = 16
}

/**
 * A `CoreApi` handle for [NativeSteps.bcpay_start_payment], released when the client is closed
 * and no call uses it any more: uniffi's objects count their calls the same way, so that closing
 * a client while another thread pays cannot free what that payment is using.
 */
internal class ApiHandle(api: CoreApi) : AutoCloseable {
    private val handle = api.uniffiCloneHandle()
    private val users = java.util.concurrent.atomic.AtomicLong(1)
    private val closed = java.util.concurrent.atomic.AtomicBoolean(false)

    fun <R> use(block: (Long) -> R): R {
        do {
            val count = users.get()
            check(count != 0L) { "bcpay: the client is closed" }
        } while (!users.compareAndSet(count, count + 1))
        try {
            return block(handle)
        } finally {
            release()
        }
    }

    override fun close() {
        if (closed.compareAndSet(false, true)) release()
    }

    private fun release() {
        if (users.decrementAndGet() == 0L) NativeSteps.bcpay_api_release(handle)
    }
}

/** What an operation does after sending [sends]: await a request, wait, or end. */
internal class Steps(val sends: List<WireRequest>, val next: Next)

internal sealed class Next {
    class Awaiting(val requestId: String) : Next()
    class Wait(val untilMs: Long) : Next()
    /** Done or failed, with the outcome (an `Action.Done` or `Action.Failed`). */
    class Ended(val outcome: Action) : Next()
}

/**
 * Drives an operation's steps through [NativeSteps], on a handle of its own; [close] releases it
 * and wipes the buffers (requests carry the API token, payment access tokens and card data). Its
 * methods are synchronized: an asynchronous operation may be closed (cancelled) on one thread
 * while another steps it, and the handle must outlive every call made with it.
 *
 * A driver is made for an operation uniffi created ([StepDriver] of a [CoreOperation]), or with
 * a payment it starts itself ([start]), whose `CoreOperation` object exists only once something
 * needs it ([operation]: events, cancelling).
 */
internal class StepDriver private constructor(private var handle: Long, private val given: CoreOperation?, deadline: Long) : AutoCloseable {
    /** Drives [op]; asks its deadline once (it is constant). */
    private constructor(op: CoreOperation, handle: Long) : this(handle, op, NativeSteps.bcpay_operation_deadline_ms(handle))

    constructor(op: CoreOperation) : this(op, op.uniffiCloneHandle())

    /** When the operation's time budget runs out (ms since the epoch), if it has one. */
    val deadlineMs: Long? = deadline.takeIf { it >= 0 }

    private var made: CoreOperation? = null

    /** The operation as uniffi's object, for what the steps do not carry: its events, cancelling it. */
    @get:Synchronized
    val operation: CoreOperation
        get() = given ?: made ?: run {
            check(handle != 0L) { "bcpay: the operation has ended" }
            CoreOperation(UniffiWithHandle, NativeSteps.bcpay_operation_clone(handle)).also { made = it }
        }

    @Synchronized
    fun poll(nowMs: Long): Steps = call(NativeSteps.POLL, null, 0, nowMs)

    @Synchronized
    fun respond(requestId: String, response: HttpResponse, nowMs: Long): Steps {
        val input = BUFFERS.get().input
        input.reset()
        input.text16(requestId)
        input.u16(response.status)
        input.u16(response.headers.size)
        for (h in response.headers) {
            input.text16(h.name)
            input.bytes32(h.value.toByteArray(Charsets.UTF_8))
        }
        input.bytes32(response.body)
        return call(NativeSteps.RESPONSE, input.buffer, input.length, nowMs)
    }

    @Synchronized
    fun fail(requestId: String, failure: TransportFailure, cause: String?, nowMs: Long): Steps {
        val input = BUFFERS.get().input
        input.reset()
        input.text16(requestId)
        input.u8(
            when (failure) {
                TransportFailure.NOT_SENT -> 0
                TransportFailure.MAYBE_SENT -> 1
                TransportFailure.TIMED_OUT -> 2
            },
        )
        if (cause == null) {
            input.u8(0)
        } else {
            input.u8(1)
            input.bytes32(cause.toByteArray(Charsets.UTF_8))
        }
        return call(NativeSteps.FAILURE, input.buffer, input.length, nowMs)
    }

    private fun call(kind: Int, data: ByteArray?, length: Int, nowMs: Long): Steps {
        check(handle != 0L) { "bcpay: the operation has ended" }
        val buffers = BUFFERS.get()
        var out = buffers.out
        var n = NativeSteps.bcpay_steps(handle, kind, data, length, nowMs, out, out.size)
        data?.fill(0, 0, length)
        if (n < 0 && n != NativeSteps.REFUSED) {
            out = ByteArray(-n)
            n = NativeSteps.bcpay_steps_pending(handle, out, out.size)
        }
        check(n >= 0) { "bcpay: the core could not step the operation (a bug in bcpay's Kotlin client)" }
        return decode(out, 0, n)
    }

    /** Reads the steps in [data] from [from] to [end], then wipes them. */
    private fun decode(data: ByteArray, from: Int, end: Int): Steps {
        try {
            return Decoder(data, from, end).steps()
        } finally {
            data.fill(0, 0, end)
        }
    }

    @Synchronized
    override fun close() {
        if (handle == 0L) return
        NativeSteps.bcpay_operation_release(handle)
        handle = 0
        made?.close()
    }

    /** A thread's buffers for the steps of every operation it drives, wiped after each call. */
    private class Buffers {
        val out = ByteArray(4096)
        val input = Encoder()
    }

    companion object {
        private val BUFFERS: ThreadLocal<Buffers> = ThreadLocal.withInitial(::Buffers)

        /**
         * Starts a payment of [orderId] on [api] (a `CoreApi` handle) in one call, its first steps
         * included: what `CoreApi.newFlow`, the deadline and a first [poll] would be, without a
         * uniffi call's native structures. The payments and options go in uniffi's own
         * serialization, written by its generated converters. Throws the core's error when the
         * payment cannot start (bad input).
         */
        fun start(api: Long, orderId: Long, payments: List<Payment>, options: FlowOptions?, observe: Boolean, nowMs: Long): Pair<StepDriver, Steps> {
            val buffers = BUFFERS.get()
            // Each call consumes the handles the converters write (card numbers, CVVs): an
            // attempt writes its own.
            fun attempt(out: ByteArray, observe: Boolean): Int {
                val input = buffers.input
                input.reset()
                val length = (FfiConverterSequenceTypePayment.allocationSize(payments) + FfiConverterOptionalTypeFlowOptions.allocationSize(options)).toInt()
                input.room(length)
                val written = ByteBuffer.wrap(input.buffer, 0, length)
                FfiConverterSequenceTypePayment.write(payments, written)
                FfiConverterOptionalTypeFlowOptions.write(options, written)
                try {
                    return NativeSteps.bcpay_start_payment(api, orderId, input.buffer, written.position(), if (observe) 1 else 0, nowMs, out, out.size)
                } finally {
                    input.buffer.fill(0, 0, written.position())
                }
            }
            var out = buffers.out
            var n = attempt(out, observe)
            if (n < 0 && n != NativeSteps.REFUSED && readLong(out, 0) == 0L) {
                // A failure to start that did not fit: nothing was kept, nothing sent. Again, with room.
                out = ByteArray(-n)
                n = attempt(out, observe)
            }
            check(n != NativeSteps.REFUSED) { "bcpay: the core could not start the payment (a bug in bcpay's Kotlin client)" }
            val driver = StepDriver(readLong(out, 0), null, readLong(out, 8))
            if (n < 0) {
                val rest = ByteArray(-n - NativeSteps.START_HEADER)
                val m = NativeSteps.bcpay_steps_pending(driver.handle, rest, rest.size)
                check(m == rest.size) { "bcpay: the core could not step the operation (a bug in bcpay's Kotlin client)" }
                return driver to driver.decode(rest, 0, m)
            }
            val first = driver.decode(out, NativeSteps.START_HEADER, n)
            val ended = first.next
            if (driver.handle == 0L && ended is Next.Ended) throw (ended.outcome as Action.Failed).error
            return driver to first
        }

        private fun readLong(data: ByteArray, at: Int): Long = ByteBuffer.wrap(data, at, 8).order(ByteOrder.LITTLE_ENDIAN).long
    }
}

/** A growable little-endian buffer, wiped before it grows; its user wipes what it wrote. */
private class Encoder {
    var buffer = ByteArray(1024)
    var length = 0

    fun reset() {
        length = 0
    }

    fun room(n: Int) {
        if (length + n <= buffer.size) return
        val bigger = buffer.copyOf(maxOf(buffer.size * 2, length + n))
        buffer.fill(0)
        buffer = bigger
    }

    fun u8(v: Int) {
        room(1)
        buffer[length++] = v.toByte()
    }

    fun u16(v: Int) {
        room(2)
        buffer[length++] = v.toByte()
        buffer[length++] = (v shr 8).toByte()
    }

    fun u32(v: Int) {
        room(4)
        for (shift in 0..24 step 8) buffer[length++] = (v shr shift).toByte()
    }

    fun text16(text: String) {
        val bytes = text.toByteArray(Charsets.UTF_8)
        u16(bytes.size)
        put(bytes)
    }

    fun bytes32(bytes: ByteArray) {
        u32(bytes.size)
        put(bytes)
    }

    private fun put(bytes: ByteArray) {
        room(bytes.size)
        bytes.copyInto(buffer, length)
        length += bytes.size
    }
}

/** Reads the steps `bcpay_steps` wrote. */
private class Decoder(private val data: ByteArray, from: Int, private val end: Int) {
    private var at = from

    private fun u8(): Int = data[at++].toInt() and 0xFF

    private fun u16(): Int = u8() or (u8() shl 8)

    private fun u32(): Int = u16() or (u16() shl 16)

    private fun i64(): Long {
        var v = 0L
        for (shift in 0..56 step 8) v = v or ((u8().toLong() and 0xFF) shl shift)
        return v
    }

    private fun text(length: Int): String = String(data, at, length, Charsets.UTF_8).also { at += length }

    private fun bytes(length: Int): ByteArray = data.copyOfRange(at, at + length).also { at += length }

    fun steps(): Steps {
        val sends = ArrayList<WireRequest>(2)
        while (at < end) {
            when (val tag = u8().toChar()) {
                'S' -> sends.add(request())
                'A' -> return Steps(sends, Next.Awaiting(text(u16())))
                'W' -> return Steps(sends, Next.Wait(i64()))
                // The outcome in uniffi's own serialization, read by its generated reader: no call
                // (and no RustBuffer) more to fetch it.
                'D', 'F' -> {
                    val length = u32()
                    val outcome = FfiConverterTypeAction.read(ByteBuffer.wrap(data, at, length).order(ByteOrder.BIG_ENDIAN))
                    at += length
                    return Steps(sends, Next.Ended(outcome))
                }
                else -> error("bcpay: unknown step '$tag'")
            }
        }
        error("bcpay: the steps ended without saying what comes next")
    }

    private fun request(): WireRequest {
        val id = text(u16())
        val endpoint = ENDPOINTS.getValue(text(u16()))
        val method = text(u16())
        val url = text(u32())
        val headers = List(u16()) { WireHeader(text(u16()), bytes(u32())) }
        val body = if (u8() == 0) null else bytes(u32())
        return WireRequest(id, endpoint, method, url, headers, body)
    }

    private companion object {
        /** The core's endpoint names (`get_payment_methods`) to the enum uniffi generated. */
        val ENDPOINTS: Map<String, Endpoint> = Endpoint.values().associateBy { it.name.lowercase() }
    }
}

/** Wipes what a request carries that may be secret: header values and the body. */
internal fun WireRequest.wipe() {
    for (h in headers) h.value.fill(0)
    body?.fill(0)
}
