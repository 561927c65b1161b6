@_exported import BcpayFFI
import Foundation

/// A BigCommerce Payments API client for one store.
///
/// ``pay(orderId:payments:options:)`` takes an order from unpaid to paid: Get Payment Methods,
/// Create Payment Access Token, Process Payment, with retries, rate limiting and reconciliation
/// of unclear outcomes so that a payment is never sent twice blindly. The single calls send one
/// request each and never retry. Every failure throws a ``BcpayError``.
///
/// All rules live in the Rust core; this class only moves requests between it and `transport`.
public final class Client: @unchecked Sendable {
    private let core: CoreApi
    public let transport: Transport
    public let flowOptions: FlowOptions
    private let clock: @Sendable () -> UInt64

    public init(
        storeHash: String,
        apiToken: String,
        options: ClientOptions = ClientOptions(),
        transport: Transport? = nil,
        flowOptions: FlowOptions = defaultFlowOptions(),
        clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }
    ) throws {
        var options = options
        if options.host == nil { options.host = "swift" }
        self.core = try CoreApi(storeHash: storeHash, apiToken: apiToken, options: options)
        // The core checked the limits; the default transport enforces them.
        let limits = core.transportLimits()
        self.transport = transport
            ?? URLSessionTransport(timeout: Double(limits.timeoutMs) / 1000, maxBodyBytes: Int(clamping: limits.maxBodyBytes))
        self.flowOptions = flowOptions
        self.clock = clock
    }

    // MARK: The payment flow

    /// A flow for the caller to drive itself (see `PaymentFlow.poll`).
    public func newFlow(orderId: UInt64, payments: [Payment], options: FlowOptions? = nil, seed: UInt64? = nil) throws -> PaymentFlow {
        try core.newFlow(orderId: orderId, payments: payments, options: options ?? flowOptions, nowMs: clock(), seed: seed)
    }

    /// Pays `orderId` with `payments` in order (gift certificates and store credit first).
    ///
    /// Cancelling the task that awaits this ends it with a ``BcpayError``: `.AmbiguousOutcome`
    /// when a payment may have been sent and is not settled (check the order before paying
    /// again), else `.Transport`.
    public func pay(orderId: UInt64, payments: [Payment], options: FlowOptions? = nil) async throws -> PaymentReceipt {
        let flow = try newFlow(orderId: orderId, payments: payments, options: options)
        while true {
            if Task.isCancelled { throw flow.cancel(nowMs: clock()) }
            switch flow.poll(nowMs: clock()) {
            case .send(let request):
                let id = request.requestId()
                do {
                    let response = try await transport.send(request)
                    flow.onResponse(requestId: id, response: response, nowMs: clock())
                } catch {
                    if Task.isCancelled { throw flow.cancel(nowMs: clock()) }
                    flow.onTransportFailure(requestId: id, failure: transportFailure(of: error).failure, nowMs: clock())
                }
            case .wait(let untilMs):
                let now = clock()
                if untilMs > now {
                    do {
                        try await Task.sleep(nanoseconds: (untilMs - now) * 1_000_000)
                    } catch {
                        throw flow.cancel(nowMs: clock())
                    }
                }
            case .awaiting:
                preconditionFailure("bcpay: a request is in flight in a sequential flow")
            case .done(let receipt):
                return receipt
            case .failed(let error):
                throw error
            }
        }
    }

    /// Pays one payment.
    public func pay(orderId: UInt64, payment: Payment) async throws -> PaymentReceipt {
        try await pay(orderId: orderId, payments: [payment])
    }

    /// Every problem with `payments` now (optionally against `methods`); empty when valid.
    public func validate(payments: [Payment], methods: [PaymentMethod]? = nil) -> [FieldError] {
        validatePayments(payments: payments, nowMs: clock(), methods: methods)
    }

    // MARK: Single calls: one request each, no retries

    private func call<T>(_ request: HttpRequest, _ parse: (String, HttpResponse) throws -> T) async throws -> T {
        let response: HttpResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw transportError(request: request, failure: transportFailure(of: error).failure)
        }
        return try parse(request.requestId(), response)
    }

    /// The payment methods the order can be paid with, with the shopper's stored instruments.
    public func getPaymentMethods(orderId: UInt64) async throws -> [PaymentMethod] {
        try await call(core.buildGetPaymentMethods(orderId: orderId)) { try core.parseGetPaymentMethods(requestId: $0, response: $1) }
    }

    /// The payment methods for a checkout.
    public func getPaymentMethods(checkoutId: String) async throws -> [PaymentMethod] {
        try await call(core.buildGetPaymentMethodsForCheckout(checkoutId: checkoutId)) { try core.parseGetPaymentMethods(requestId: $0, response: $1) }
    }

    /// A payment access token for `orderId`; it lives one hour and pays one payment.
    public func createAccessToken(orderId: UInt64, isRecurring: Bool = false) async throws -> PaymentAccessToken {
        try await call(core.buildCreateAccessToken(orderId: orderId, isRecurring: isRecurring)) {
            try core.parseCreateAccessToken(requestId: $0, response: $1, nowMs: clock())
        }
    }

    /// One Process Payment. Never retried: after an error whose `retry` is `.reconcile`, read the
    /// order's transactions before paying again (``pay(orderId:payments:options:)`` does this).
    public func processPayment(token: PaymentAccessToken, payment: Payment, methods: [PaymentMethod]? = nil) async throws -> ProcessedPayment {
        try await call(core.buildProcessPayment(token: token, payment: payment, nowMs: clock(), methods: methods)) {
            try core.parseProcessPayment(requestId: $0, response: $1, paymentMethodId: payment.paymentMethodId)
        }
    }

    /// Creates an order (V2), Incomplete so that it can be paid.
    public func createOrder(_ order: NewOrder) async throws -> Order {
        try await call(core.buildCreateOrder(order: order)) { try core.parseCreateOrder(requestId: $0, response: $1) }
    }

    /// One order (V2).
    public func getOrder(orderId: UInt64) async throws -> Order {
        try await call(core.buildGetOrder(orderId: orderId)) { try core.parseGetOrder(requestId: $0, response: $1) }
    }

    /// One page of the order's transactions.
    public func getTransactionPage(orderId: UInt64, page: UInt32 = 1) async throws -> TransactionPage {
        try await call(core.buildGetTransactions(orderId: orderId, page: page)) { try core.parseGetTransactions(requestId: $0, response: $1) }
    }

    /// All of the order's transactions, following pages.
    public func getTransactions(orderId: UInt64) async throws -> [Transaction] {
        var all: [Transaction] = []
        var page: UInt32 = 1
        while true {
            let current = try await getTransactionPage(orderId: orderId, page: page)
            all += current.transactions
            if !hasNextPage(page: current) { return all }
            page += 1
        }
    }

    /// Captures the order's authorized payment.
    public func capture(orderId: UInt64) async throws {
        try await call(core.buildCapture(orderId: orderId)) { try core.parsePaymentAction(endpoint: .capturePayment, requestId: $0, response: $1) }
    }

    /// Voids the order's authorized payment.
    public func void(orderId: UInt64) async throws {
        try await call(core.buildVoid(orderId: orderId)) { try core.parsePaymentAction(endpoint: .voidPayment, requestId: $0, response: $1) }
    }

    /// What can be refunded for the request's items, and through which providers.
    public func createRefundQuote(orderId: UInt64, request: RefundQuoteRequest) async throws -> RefundQuote {
        try await call(core.buildCreateRefundQuote(orderId: orderId, request: request)) { try core.parseCreateRefundQuote(requestId: $0, response: $1) }
    }

    /// Refunds the order. Never retried: check ``listRefunds(orderId:)`` after an unclear outcome.
    public func createRefund(orderId: UInt64, request: RefundRequest) async throws -> Refund {
        try await call(core.buildCreateRefund(orderId: orderId, request: request)) { try core.parseCreateRefund(requestId: $0, response: $1) }
    }

    /// The order's refunds.
    public func listRefunds(orderId: UInt64) async throws -> [Refund] {
        try await call(core.buildListRefunds(orderId: orderId)) { try core.parseListRefunds(requestId: $0, response: $1) }
    }

    /// The customer's stored cards, PayPal accounts and bank accounts.
    public func getStoredInstruments(customerId: UInt64) async throws -> [StoredInstrument] {
        try await call(core.buildGetStoredInstruments(customerId: customerId)) { try core.parseGetStoredInstruments(requestId: $0, response: $1) }
    }
}

extension BcpayError {
    /// The details every case carries: kind, codes, texts, field errors, retry advice.
    public var details: ErrorDetails {
        switch self {
        case .Validation(let d), .Configuration(let d), .Authentication(let d), .MerchantSetup(let d), .OrderState(let d),
             .Declined(let d), .DuplicatePayment(let d), .InvalidRequest(let d), .NotFound(let d), .Conflict(let d),
             .RateLimited(let d), .Server(let d), .InvalidResponse(let d), .Transport(let d), .AmbiguousOutcome(let d):
            return d
        }
    }
}

extension BcpayError: CustomDebugStringConvertible, CustomStringConvertible {
    /// The core's sentence for this error; never card data or tokens. It is also what
    /// `localizedDescription` shows.
    public var description: String { describeError(details: details) }
    public var debugDescription: String { description }
}
