package dev.bcpay

import dev.bcpay.ffi.Action
import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.ClientOptions
import dev.bcpay.ffi.CoreApi
import dev.bcpay.ffi.Endpoint
import dev.bcpay.ffi.ErrorDetails
import dev.bcpay.ffi.FieldError
import dev.bcpay.ffi.FlowOptions
import dev.bcpay.ffi.HttpRequest
import dev.bcpay.ffi.HttpResponse
import dev.bcpay.ffi.NewOrder
import dev.bcpay.ffi.Order
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.PaymentAccessToken
import dev.bcpay.ffi.PaymentFlow
import dev.bcpay.ffi.PaymentMethod
import dev.bcpay.ffi.PaymentReceipt
import dev.bcpay.ffi.ProcessedPayment
import dev.bcpay.ffi.Refund
import dev.bcpay.ffi.RefundQuote
import dev.bcpay.ffi.RefundQuoteRequest
import dev.bcpay.ffi.RefundRequest
import dev.bcpay.ffi.StoredInstrument
import dev.bcpay.ffi.Transaction
import dev.bcpay.ffi.TransactionPage
import dev.bcpay.ffi.defaultFlowOptions
import dev.bcpay.ffi.hasNextPage
import dev.bcpay.ffi.transportError
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
 * instruments) send one request each and never retry. Every failure is a [BcpayException].
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
    /** The flow options [pay] uses unless given others. */
    val flowOptions: FlowOptions = defaultFlowOptions(),
    /** Milliseconds since the epoch; tests may supply their own. */
    private val clock: () -> Long = System::currentTimeMillis,
) : AutoCloseable {
    private val core = CoreApi(storeHash, apiToken, options.copy(host = options.host ?: "kotlin"))

    /** Sends the core's requests. */
    val transport: Transport = transport ?: core.transportLimits().let {
        JavaHttpTransport(java.time.Duration.ofMillis(it.timeoutMs.toLong()), it.maxBodyBytes.toLong())
    }

    private fun now(): ULong = clock().toULong()

    override fun close() = core.close()

    // -----------------------------------------------------------------------------------------
    // The payment flow
    // -----------------------------------------------------------------------------------------

    /** A flow for the caller to drive itself (see [PaymentFlow.poll]). */
    @JvmOverloads
    fun newFlow(orderId: Long, payments: List<Payment>, options: FlowOptions = flowOptions, seed: Long? = null): PaymentFlow =
        core.newFlow(orderId.toULong(), payments, options, now(), seed?.toULong())

    /** Pays [orderId] with [payments] in order (gift certificates and store credit first). Blocks. */
    @JvmOverloads
    fun pay(orderId: Long, payments: List<Payment>, options: FlowOptions = flowOptions): PaymentReceipt =
        newFlow(orderId, payments, options).use(::drive)

    private fun drive(flow: PaymentFlow): PaymentReceipt {
        while (true) {
            when (val action = flow.poll(now())) {
                is Action.Send -> action.request.use { request ->
                    val id = request.requestId()
                    val response = try {
                        transport.send(request)
                    } catch (e: Exception) {
                        flow.onTransportFailure(id, transportExceptionOf(e).failure, now())
                        null
                    }
                    if (response != null) flow.onResponse(id, response, now())
                }
                is Action.Wait -> Thread.sleep(maxOf(0L, action.untilMs.toLong() - clock()))
                is Action.Awaiting -> error("bcpay: a request is in flight in a sequential flow")
                is Action.Done -> return action.receipt
                is Action.Failed -> throw action.error
            }
        }
    }

    /** Pays one payment. Blocks. */
    fun pay(orderId: Long, payment: Payment): PaymentReceipt = pay(orderId, listOf(payment))

    /** [pay] without blocking: the future completes with the receipt or a [BcpayException]. */
    @JvmOverloads
    fun payAsync(orderId: Long, payments: List<Payment>, options: FlowOptions = flowOptions): CompletableFuture<PaymentReceipt> {
        val flow = try {
            newFlow(orderId, payments, options)
        } catch (e: BcpayException) {
            return CompletableFuture.failedFuture(e)
        }
        val result = CompletableFuture<PaymentReceipt>()
        fun step() {
            try {
                when (val action = flow.poll(now())) {
                    is Action.Send -> {
                        val request = action.request
                        val id = request.requestId()
                        transport.sendAsync(request).whenComplete { response, error ->
                            try {
                                if (error == null) {
                                    flow.onResponse(id, response, now())
                                } else {
                                    flow.onTransportFailure(id, transportExceptionOf(error).failure, now())
                                }
                            } finally {
                                request.close()
                            }
                            step()
                        }
                    }
                    is Action.Wait -> {
                        val delay = maxOf(0L, action.untilMs.toLong() - clock())
                        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute { step() }
                    }
                    is Action.Awaiting -> throw IllegalStateException("bcpay: a request is in flight in a sequential flow")
                    is Action.Done -> result.complete(action.receipt)
                    is Action.Failed -> result.completeExceptionally(action.error)
                }
            } catch (e: Throwable) {
                result.completeExceptionally(e)
            }
        }
        step()
        return result.whenComplete { _, _ -> flow.close() }
    }

    /** Every problem with [payments] at this moment (optionally against [methods]); empty when valid. */
    @JvmOverloads
    fun validate(payments: List<Payment>, methods: List<PaymentMethod>? = null): List<FieldError> =
        validatePayments(payments, now(), methods)

    // -----------------------------------------------------------------------------------------
    // Single calls: one request each, no retries
    // -----------------------------------------------------------------------------------------

    private fun <T> call(request: HttpRequest, parse: (String, HttpResponse) -> T): T = request.use {
        val response = try {
            transport.send(it)
        } catch (e: Exception) {
            throw transportError(it, transportExceptionOf(e).failure)
        }
        parse(it.requestId(), response)
    }

    /** The payment methods the order can be paid with, with the shopper's stored instruments. */
    fun getPaymentMethods(orderId: Long): List<PaymentMethod> =
        call(core.buildGetPaymentMethods(orderId.toULong()), core::parseGetPaymentMethods)

    /** The payment methods for a checkout. */
    fun getPaymentMethodsForCheckout(checkoutId: String): List<PaymentMethod> =
        call(core.buildGetPaymentMethodsForCheckout(checkoutId), core::parseGetPaymentMethods)

    /** A payment access token for [orderId]; it lives one hour and pays one payment. */
    @JvmOverloads
    fun createAccessToken(orderId: Long, isRecurring: Boolean = false): PaymentAccessToken =
        call(core.buildCreateAccessToken(orderId.toULong(), isRecurring)) { id, r -> core.parseCreateAccessToken(id, r, now()) }

    /**
     * One Process Payment with [token]. It is never retried: after a [BcpayException] whose
     * `details.retry` is `Reconcile`, read the order's transactions before paying again ([pay]
     * does this for you).
     */
    @JvmOverloads
    fun processPayment(token: PaymentAccessToken, payment: Payment, methods: List<PaymentMethod>? = null): ProcessedPayment =
        call(core.buildProcessPayment(token, payment, now(), methods)) { id, r -> core.parseProcessPayment(id, r, payment.paymentMethodId) }

    /** Creates an order (V2), Incomplete so that it can be paid. */
    fun createOrder(order: NewOrder): Order = call(core.buildCreateOrder(order), core::parseCreateOrder)

    /** One order (V2). */
    fun getOrder(orderId: Long): Order = call(core.buildGetOrder(orderId.toULong()), core::parseGetOrder)

    /** One page of the order's transactions. */
    @JvmOverloads
    fun getTransactionPage(orderId: Long, page: Int = 1): TransactionPage =
        call(core.buildGetTransactions(orderId.toULong(), page.toUInt()), core::parseGetTransactions)

    /** All of the order's transactions, following pages. */
    fun getTransactions(orderId: Long): List<Transaction> {
        val all = mutableListOf<Transaction>()
        var page = 1
        while (true) {
            val current = getTransactionPage(orderId, page)
            all += current.transactions
            if (!hasNextPage(current)) return all
            page += 1
        }
    }

    /** Captures the order's authorized payment. */
    fun capture(orderId: Long) =
        call(core.buildCapture(orderId.toULong())) { id, r -> core.parsePaymentAction(Endpoint.CAPTURE_PAYMENT, id, r) }

    /** Voids the order's authorized payment. */
    fun void(orderId: Long) =
        call(core.buildVoid(orderId.toULong())) { id, r -> core.parsePaymentAction(Endpoint.VOID_PAYMENT, id, r) }

    /** What can be refunded for [request]'s items, and through which providers. */
    fun createRefundQuote(orderId: Long, request: RefundQuoteRequest): RefundQuote =
        call(core.buildCreateRefundQuote(orderId.toULong(), request), core::parseCreateRefundQuote)

    /** Refunds the order. Never retried: check [listRefunds] after an unclear outcome. */
    fun createRefund(orderId: Long, request: RefundRequest): Refund =
        call(core.buildCreateRefund(orderId.toULong(), request), core::parseCreateRefund)

    /** The order's refunds. */
    fun listRefunds(orderId: Long): List<Refund> = call(core.buildListRefunds(orderId.toULong()), core::parseListRefunds)

    /** The customer's stored cards, PayPal accounts and bank accounts. */
    fun getStoredInstruments(customerId: Long): List<StoredInstrument> =
        call(core.buildGetStoredInstruments(customerId.toULong()), core::parseGetStoredInstruments)
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
        is BcpayException.Transport -> details
        is BcpayException.AmbiguousOutcome -> details
    }
