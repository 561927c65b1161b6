package dev.bcpay

import dev.bcpay.ffi.Action
import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.CallInput
import dev.bcpay.ffi.CallOutput
import dev.bcpay.ffi.ClientOptions
import dev.bcpay.ffi.CoreApi
import dev.bcpay.ffi.CoreOperation
import dev.bcpay.ffi.ErrorDetails
import dev.bcpay.ffi.FieldError
import dev.bcpay.ffi.FlowEvent
import dev.bcpay.ffi.FlowOptions
import dev.bcpay.ffi.HttpResponse
import dev.bcpay.ffi.NewOrder
import dev.bcpay.ffi.Order
import dev.bcpay.ffi.OrderPaymentStatus
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.PaymentAccessToken
import dev.bcpay.ffi.PaymentMethod
import dev.bcpay.ffi.PaymentReceipt
import dev.bcpay.ffi.PreparedPayment
import dev.bcpay.ffi.ProcessedPayment
import dev.bcpay.ffi.Refund
import dev.bcpay.ffi.RefundItem
import dev.bcpay.ffi.RefundQuote
import dev.bcpay.ffi.RefundQuoteRequest
import dev.bcpay.ffi.RefundRequest
import dev.bcpay.ffi.StoredInstrument
import dev.bcpay.ffi.Transaction
import dev.bcpay.ffi.TransportFailure
import dev.bcpay.ffi.TransactionPage
import dev.bcpay.ffi.WireRequest
import dev.bcpay.ffi.defaultFlowOptions
import dev.bcpay.ffi.validatePayments
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit

/**
 * A BigCommerce Payments API client for one store.
 *
 * [pay] takes an order from unpaid to paid: Get Payment Methods, Create Payment Access Token,
 * Process Payment, with retries, rate limiting and reconciliation of unclear outcomes so that a
 * payment is never sent twice blindly. The single calls ([getPaymentMethods],
 * [createAccessToken], [processPayment], orders, transactions, capture, void, refunds, stored
 * instruments) run through the same core loop: they wait for the store's rate limiter and retry
 * what is safe to retry. Every failure is a [BcpayException]; with a time budget
 * (`FlowOptions.timeBudgetMs`) an operation ends at it with `Cancelled` or `AmbiguousOutcome`.
 *
 * All rules live in the Rust core; this class only moves requests between it and [transport].
 * Close the client (or use `use {}`) to free the core promptly.
 */
class Client @JvmOverloads constructor(
    storeHash: String,
    apiToken: String,
    options: ClientOptions = ClientOptions(),
    /** Sends the core's requests; by default a [JavaHttpTransport] with the options' limits. */
    transport: Transport? = null,
    /** The flow options [pay] and the single calls use unless given others. */
    val flowOptions: FlowOptions = options.flowOptions ?: defaultFlowOptions(),
    /** Milliseconds since the epoch; tests may supply their own. */
    private val clock: () -> Long = System::currentTimeMillis,
) : AutoCloseable {
    private val core = CoreApi(storeHash, apiToken, options.copy(host = options.host ?: "kotlin", flowOptions = flowOptions))

    /** The core's handle for starting payments in one call (see [StepDriver.start]). */
    private val api = ApiHandle(core)

    /** Sends the core's requests. */
    val transport: Transport = transport ?: core.transportLimits().let {
        JavaHttpTransport(java.time.Duration.ofMillis(it.timeoutMs.toLong()), it.maxBodyBytes.toLong())
    }

    private fun now(): ULong = clock().toULong()

    /**
     * Receives each [FlowEvent] of every operation this client runs: each request (endpoint,
     * request id, method, URL without secrets, attempt), response (status, elapsed ms, the
     * server's request id), transport failure (with its scrubbed cause) and decision (retry,
     * reconcile, settled, give up, done, with its reason). Called on the thread that drives the
     * operation; an exception it throws is dropped, so a listener's bug cannot abandon a payment
     * mid-flight. Without a listener the core records nothing.
     */
    @Volatile
    var eventListener: EventListener? = null

    /** Starts recording [op]'s events when there is a listener, and returns it. */
    private fun watch(op: CoreOperation): EventListener? = eventListener?.also { op.observe() }

    /** Hands what [driver]'s operation recorded to [listener]. */
    private fun emit(driver: StepDriver, listener: EventListener?) {
        if (listener == null) return
        for (event in driver.operation.takeEvents()) {
            try {
                listener.onEvent(event)
            } catch (e: Exception) {
                // A listener's failure is its own; the payment goes on.
            }
        }
    }

    override fun close() {
        api.close()
        core.close()
    }

    // -----------------------------------------------------------------------------------------
    // The one loop: payments and single calls
    // -----------------------------------------------------------------------------------------

    /** A payment flow for the caller to drive itself (see [CoreOperation.poll]). */
    @JvmOverloads
    fun newFlow(orderId: Long, payments: List<Payment>, options: FlowOptions? = null, seed: Long? = null): CoreOperation =
        if (options == null && seed == null) core.newPayment(orderId, payments, now()) else core.newFlow(orderId, payments, options, now(), seed?.toULong())

    /**
     * Drives [op] to its end, blocking. A request still in flight when the time budget runs out,
     * or when the thread is interrupted, is abandoned and the operation told so.
     */
    private fun drive(op: CoreOperation): CallOutput = op.use { run(StepDriver(op), watch(op), null) }

    /**
     * Starts a payment in one call to the core (see [StepDriver.start]): its driver, its event
     * listener, and its first steps.
     */
    private fun start(orderId: Long, payments: List<Payment>, options: FlowOptions?): Triple<StepDriver, EventListener?, Steps> {
        val listener = eventListener
        val (driver, first) = api.use { StepDriver.start(it, orderId, payments, options, listener != null, clock()) }
        return Triple(driver, listener, first)
    }

    /** Drives [driver]'s operation from [first] (or a first poll) to its end, then closes [driver]. */
    private fun run(driver: StepDriver, listener: EventListener?, first: Steps?): CallOutput {
        // Requests handed out and not yet awaited: still to send, or sent without blocking (the
        // ones handed out beside the request awaited: a payment's methods and token).
        val out = LinkedHashMap<String, Out>()
        val deadline = driver.deadlineMs
        try {
            var steps = first ?: driver.poll(clock())
            while (true) {
                emit(driver, listener)
                for (request in steps.sends) out[request.requestId] = Out(request)
                steps = when (val next = steps.next) {
                    is Next.Awaiting -> {
                        val id = next.requestId
                        // A request out beside the one awaited (a payment's token beside its methods)
                        // goes on a sender thread, by the transport's blocking `send`: the JDK
                        // client's blocking exchange takes half the time of its asynchronous one.
                        for ((other, beside) in out) if (other != id) beside.startBeside(transport)
                        val awaited = out.remove(id) ?: error("bcpay: the core awaits request $id, which is not out")
                        val outcome: Any = try {
                            if (deadline == null && awaited.sent == null) {
                                try {
                                    transport.send(awaited.request)
                                } finally {
                                    awaited.request.wipe()
                                }
                            } else {
                                val future = awaited.startAsync(transport)
                                try {
                                    if (deadline == null) future.get() else future.get(maxOf(0L, deadline - clock()), TimeUnit.MILLISECONDS)
                                } catch (e: java.util.concurrent.TimeoutException) {
                                    future.cancel(true)
                                    throw stop(driver, listener)
                                } catch (e: java.util.concurrent.ExecutionException) {
                                    throw e.cause ?: e
                                }
                            }
                        } catch (e: BcpayException) {
                            throw e
                        } catch (e: InterruptedException) {
                            Thread.currentThread().interrupt()
                            throw stop(driver, listener)
                        } catch (e: Exception) {
                            transportExceptionOf(e)
                        }
                        when (outcome) {
                            is HttpResponse -> driver.respond(id, outcome, clock())
                            else -> (outcome as TransportException).let { driver.fail(id, it.failure, it.reason, clock()) }
                        }
                    }
                    is Next.Wait -> try {
                        Thread.sleep(maxOf(0L, next.untilMs - clock()))
                        driver.poll(clock())
                    } catch (e: InterruptedException) {
                        Thread.currentThread().interrupt()
                        throw stop(driver, listener)
                    }
                    is Next.Ended -> when (val ended = next.outcome) {
                        is Action.Done -> return ended.output
                        is Action.Failed -> throw ended.error
                        else -> error("bcpay: the operation ended without an outcome")
                    }
                }
            }
        } finally {
            // A request still out when the operation ends (a token whose methods refused the card).
            for (left in out.values) left.abandon()
            driver.close()
        }
    }

    /** Ends [driver]'s operation for a caller that gave up, reports it, and returns the error to throw. */
    private fun stop(driver: StepDriver, listener: EventListener?): BcpayException =
        driver.operation.cancel(now()).also { emit(driver, listener) }

    /**
     * Drives [driver]'s operation without blocking. Cancelling the returned future ends it: the future
     * then completes exceptionally with the core's [BcpayException] (`Cancelled`, or
     * `AmbiguousOutcome` when a payment may have been sent), not a bare `CancellationException`.
     * Each request goes out as soon as the core hands it over; outcomes are reported in the order
     * the core awaits them.
     */
    private fun driveAsync(driver: StepDriver, listener: EventListener?, first: Steps): CompletableFuture<CallOutput> {
        val result = OperationFuture<CallOutput>()
        val out = java.util.concurrent.ConcurrentHashMap<String, CompletableFuture<HttpResponse>>()
        result.onCancel = {
            // The core ends the operation first, so that the aborted requests' failures, reported
            // as they unwind, are ignored (their ids are no longer out) and nothing is resent.
            val error = stop(driver, listener)
            out.values.forEach { it.cancel(true) }
            error
        }
        val deadline = driver.deadlineMs
        fun step(next: () -> Steps) {
            if (result.isDone) return
            try {
                val steps = next()
                emit(driver, listener)
                for (request in steps.sends) {
                    val sent = transport.sendAsync(request)
                    sent.whenComplete { _, _ -> request.wipe() }
                    out[request.requestId] = if (deadline == null) sent else sent.orTimeout(maxOf(0L, deadline - clock()), TimeUnit.MILLISECONDS)
                }
                when (val next = steps.next) {
                    is Next.Awaiting -> {
                        val id = next.requestId
                        val awaited = out[id] ?: throw IllegalStateException("bcpay: the core awaits request $id, which is not out")
                        awaited.whenComplete { response, error ->
                            out.remove(id)
                            val cause = (error as? java.util.concurrent.CompletionException)?.cause ?: error
                            if (result.isDone) return@whenComplete
                            if (cause is java.util.concurrent.TimeoutException && deadline != null && clock() >= deadline) {
                                awaited.cancel(true)
                                result.completeExceptionally(stop(driver, listener))
                                return@whenComplete
                            }
                            step {
                                if (cause == null) {
                                    driver.respond(id, response, clock())
                                } else {
                                    val failed = transportExceptionOf(cause)
                                    driver.fail(id, failed.failure, failed.reason, clock())
                                }
                            }
                        }
                    }
                    is Next.Wait -> {
                        val delay = maxOf(0L, next.untilMs - clock())
                        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute { step { driver.poll(clock()) } }
                    }
                    is Next.Ended -> when (val ended = next.outcome) {
                        is Action.Done -> result.complete(ended.output)
                        is Action.Failed -> result.completeExceptionally(ended.error)
                        else -> result.completeExceptionally(IllegalStateException("bcpay: the operation ended without an outcome"))
                    }
                }
            } catch (e: Throwable) {
                result.completeExceptionally(e)
            }
        }
        step { first }
        result.whenComplete { _, _ ->
            out.values.forEach { it.cancel(true) }
            driver.close()
        }
        return result
    }

    private fun call(input: CallInput): CallOutput = drive(core.newCall(input, now(), null))

    private inline fun <reified T : CallOutput> unexpected(output: CallOutput): Nothing =
        throw IllegalStateException("bcpay: expected ${T::class.simpleName}, the core answered ${output::class.simpleName}")

    /** Pays [orderId] with [payments] in order (gift certificates and store credit first). Blocks. */
    @JvmOverloads
    fun pay(orderId: Long, payments: List<Payment>, options: FlowOptions? = null): PaymentReceipt =
        start(orderId, payments, options).let { (driver, listener, first) -> receiptOf(run(driver, listener, first)) }

    /**
     * Pays for a shopper-facing app that relayed the payment to this server (the app holds no
     * token; see `dev.bcpay.app.PaymentRelay`): [body] is the app's `bcpay.payment_request`
     * envelope, the answer the `bcpay.payment_outcome` envelope to send back with HTTP 200,
     * whatever happened — a refused request, a decline, an ambiguous outcome. Pass the order
     * this shopper is checking out as [expectOrderId] to refuse any other. Blocks.
     */
    @JvmOverloads
    fun payFromApp(body: ByteArray, expectOrderId: Long? = null): ByteArray =
        core.payFromApp(body, expectOrderId, now(), null).use { op ->
            val output = try {
                run(StepDriver(op), watch(op), null)
            } catch (e: BcpayException) {
                // A cancelled or timed-out payment still answers the app, with its envelope.
                (op.poll(now()) as? Action.Done)?.output ?: throw e
            }
            (output as? CallOutput.RelayOutcome)?.body ?: unexpected<CallOutput.RelayOutcome>(output)
        }

    /** Pays one payment. Blocks. */
    fun pay(orderId: Long, payment: Payment): PaymentReceipt = pay(orderId, listOf(payment))

    /**
     * [pay] without blocking: the future completes with the receipt or a [BcpayException].
     * Cancelling it ends the payment with a [BcpayException] that says whether a payment may have
     * been sent (see [driveAsync]).
     */
    @JvmOverloads
    fun payAsync(orderId: Long, payments: List<Payment>, options: FlowOptions? = null): CompletableFuture<PaymentReceipt> {
        val (driver, listener, first) = try {
            start(orderId, payments, options)
        } catch (e: BcpayException) {
            return CompletableFuture<PaymentReceipt>().also { it.completeExceptionally(e) }
        }
        val driven = driveAsync(driver, listener, first)
        val result = OperationFuture<PaymentReceipt>()
        result.onCancel = { driven.cancel(true); null }
        driven.whenComplete { output, error ->
            if (error != null) result.completeExceptionally(error) else result.complete(receiptOf(output))
        }
        return result
    }

    private fun receiptOf(output: CallOutput): PaymentReceipt =
        (output as? CallOutput.Receipt)?.receipt ?: unexpected<CallOutput.Receipt>(output)

    /** Every problem with [payments] at this moment (optionally against [methods]); empty when valid. */
    @JvmOverloads
    fun validate(payments: List<Payment>, methods: List<PaymentMethod>? = null): List<FieldError> =
        validatePayments(payments, now(), methods)

    // -----------------------------------------------------------------------------------------
    // Single calls
    // -----------------------------------------------------------------------------------------

    /** The payment methods the order can be paid with, with the shopper's stored instruments. */
    fun getPaymentMethods(orderId: Long): List<PaymentMethod> =
        when (val o = call(CallInput.GetPaymentMethods(orderId))) {
            is CallOutput.PaymentMethods -> o.methods
            else -> unexpected<CallOutput.PaymentMethods>(o)
        }

    /** The payment methods for a checkout. */
    fun getPaymentMethodsForCheckout(checkoutId: String): List<PaymentMethod> =
        when (val o = call(CallInput.GetPaymentMethodsForCheckout(checkoutId))) {
            is CallOutput.PaymentMethods -> o.methods
            else -> unexpected<CallOutput.PaymentMethods>(o)
        }

    /** A payment access token for [orderId]; it lives one hour and pays one payment. */
    @JvmOverloads
    fun createAccessToken(orderId: Long, isRecurring: Boolean = false): PaymentAccessToken =
        when (val o = call(CallInput.CreatePaymentAccessToken(orderId, isRecurring))) {
            is CallOutput.AccessToken -> o.token
            else -> unexpected<CallOutput.AccessToken>(o)
        }

    /**
     * One Process Payment with [token], without reconciliation: after a [BcpayException] whose
     * `details.retry` is `Reconcile`, read the order's transactions before paying again ([pay]
     * does this for you).
     */
    @JvmOverloads
    fun processPayment(token: PaymentAccessToken, payment: Payment, methods: List<PaymentMethod>? = null): ProcessedPayment =
        when (val o = call(CallInput.ProcessPayment(token, payment, methods))) {
            is CallOutput.Payment -> o.payment
            else -> unexpected<CallOutput.Payment>(o)
        }

    /** Creates an order (V2), Incomplete so that it can be paid. */
    fun createOrder(order: NewOrder): Order = when (val o = call(CallInput.CreateOrder(order))) {
        is CallOutput.Order -> o.order
        else -> unexpected<CallOutput.Order>(o)
    }

    /** One order (V2). */
    fun getOrder(orderId: Long): Order = when (val o = call(CallInput.GetOrder(orderId))) {
        is CallOutput.Order -> o.order
        else -> unexpected<CallOutput.Order>(o)
    }

    /** One page of the order's transactions. */
    @JvmOverloads
    fun getTransactionPage(orderId: Long, page: Int = 1): TransactionPage =
        when (val o = call(CallInput.GetOrderTransactions(orderId, page))) {
            is CallOutput.TransactionPage -> o.page
            else -> unexpected<CallOutput.TransactionPage>(o)
        }

    /** All of the order's transactions (every page, at most `maxTransactionPages`). */
    /**
     * Prepares the payment of [orderId] ahead (when the order is created or the checkout opens): its methods and a
     * payment access token, kept by this client, so that the order's next [pay] sends only Process Payment.
     */
    fun prepare(orderId: Long): PreparedPayment = when (val o = call(CallInput.Prepare(orderId))) {
        is CallOutput.Prepared -> o.prepared
        else -> unexpected<CallOutput.Prepared>(o)
    }

    /** Whether an order is paid and how much is due: the order, then all its transactions, judged by the rule [pay] ends by. */
    fun getOrderPaymentStatus(orderId: Long): OrderPaymentStatus =
        when (val o = call(CallInput.GetOrderPaymentStatus(orderId))) {
            is CallOutput.PaymentStatus -> o.status
            else -> unexpected<CallOutput.PaymentStatus>(o)
        }

    fun getTransactions(orderId: Long): List<Transaction> =
        when (val o = call(CallInput.GetOrderTransactions(orderId, null))) {
            is CallOutput.Transactions -> o.transactions
            else -> unexpected<CallOutput.Transactions>(o)
        }

    /** Captures the order's authorized payment. */
    fun capture(orderId: Long) {
        call(CallInput.CapturePayment(orderId))
    }

    /** Voids the order's authorized payment. */
    fun void(orderId: Long) {
        call(CallInput.VoidPayment(orderId))
    }

    /** What can be refunded for [request]'s items, and through which providers. */
    fun createRefundQuote(orderId: Long, request: RefundQuoteRequest): RefundQuote =
        when (val o = call(CallInput.CreateRefundQuote(orderId, request))) {
            is CallOutput.RefundQuote -> o.quote
            else -> unexpected<CallOutput.RefundQuote>(o)
        }

    /** Refunds the order. Never resent after an unclear outcome: check [listRefunds] then. */
    fun createRefund(orderId: Long, request: RefundRequest): Refund =
        when (val o = call(CallInput.CreateRefund(orderId, request))) {
            is CallOutput.Refund -> o.refund
            else -> unexpected<CallOutput.Refund>(o)
        }

    /** Refund items of an order as its refund quote allows: the quote, then the refund through the quote's providers for its amounts. A quote that allows only offline refunds fails with `offline_refund_required` (invalid_request). Never resent after an unclear refund: check [listRefunds] then. */
    fun refund(orderId: Long, items: List<RefundItem>): Refund =
        when (val o = call(CallInput.Refund(orderId, items))) {
            is CallOutput.Refund -> o.refund
            else -> unexpected<CallOutput.Refund>(o)
        }

    /** The order's refunds. */
    fun listRefunds(orderId: Long): List<Refund> = when (val o = call(CallInput.ListRefunds(orderId))) {
        is CallOutput.Refunds -> o.refunds
        else -> unexpected<CallOutput.Refunds>(o)
    }

    /** The customer's stored cards, PayPal accounts and bank accounts. */
    fun getStoredInstruments(customerId: Long): List<StoredInstrument> =
        when (val o = call(CallInput.GetStoredInstruments(customerId))) {
            is CallOutput.StoredInstruments -> o.instruments
            else -> unexpected<CallOutput.StoredInstruments>(o)
        }
}

/**
 * A future whose [cancel] ends the operation behind it and completes with the error that says
 * what happened to it ([onCancel]'s), instead of a bare `CancellationException`.
 */
/** Receives each [FlowEvent] of a [Client]'s operations (see [Client.eventListener]). */
fun interface EventListener {
    fun onEvent(event: FlowEvent)
}

/** A request the core handed out: still to send, or sent without blocking ([sent]). */
private class Out(val request: WireRequest) {
    var sent: CompletableFuture<HttpResponse>? = null

    /** Sends the request without blocking, once; the request is wiped when its exchange ends. */
    fun startAsync(transport: Transport): CompletableFuture<HttpResponse> = start { transport.sendAsync(request) }

    /** Sends the request with [Transport.send] on a sender thread, once. */
    fun startBeside(transport: Transport): CompletableFuture<HttpResponse> =
        start { CompletableFuture.supplyAsync({ transport.send(request) }, SENDERS) }

    private fun start(send: () -> CompletableFuture<HttpResponse>): CompletableFuture<HttpResponse> = sent ?: send().also { future ->
        sent = future
        future.whenComplete { _, _ -> request.wipe() }
    }

    private companion object {
        /** Daemon threads that send the requests a blocking operation sends beside the one it awaits. */
        val SENDERS: java.util.concurrent.ExecutorService = java.util.concurrent.Executors.newCachedThreadPool { task ->
            Thread(task, "bcpay-send").apply { isDaemon = true }
        }
    }

    /** The operation ended before this request was awaited. */
    fun abandon() {
        sent?.cancel(true) ?: request.wipe()
    }
}

private class OperationFuture<T> : CompletableFuture<T>() {
    @Volatile var onCancel: () -> Throwable? = { null }

    override fun cancel(mayInterruptIfRunning: Boolean): Boolean {
        if (isDone) return false
        val error = onCancel() ?: return super.cancel(mayInterruptIfRunning)
        completeExceptionally(error)
        return isCompletedExceptionally
    }
}

/** The details every [BcpayException] carries: kind, codes, texts, field errors, retry advice. */
val BcpayException.details: ErrorDetails
    get() = when (this) {
        is BcpayException.Validation -> details
        is BcpayException.Configuration -> details
        is BcpayException.Authentication -> details
        is BcpayException.MerchantSetup -> details
        is BcpayException.OrderState -> details
        is BcpayException.Declined -> details
        is BcpayException.DuplicatePayment -> details
        is BcpayException.InvalidRequest -> details
        is BcpayException.NotFound -> details
        is BcpayException.Conflict -> details
        is BcpayException.RateLimited -> details
        is BcpayException.Server -> details
        is BcpayException.InvalidResponse -> details
        is BcpayException.NoResponse -> details
        is BcpayException.AmbiguousOutcome -> details
        is BcpayException.Cancelled -> details
    }
