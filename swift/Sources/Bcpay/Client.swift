@_exported import BcpayFFI
import Foundation

/// A BigCommerce Payments API client for one store.
///
/// ``pay(orderId:payments:options:)`` takes an order from unpaid to paid: Get Payment Methods,
/// Create Payment Access Token, Process Payment, with retries, rate limiting and reconciliation
/// of unclear outcomes so that a payment is never sent twice blindly. The single calls run
/// through the same core loop: they wait for the store's rate limiter and retry what is safe to
/// retry. Every failure throws a ``BcpayError``. Cancelling the awaiting task, or a time budget
/// (`FlowOptions.timeBudgetMs`) running out, ends an operation with `.Cancelled`, or
/// `.AmbiguousOutcome` when a payment may have been sent and is not settled.
///
/// All rules live in the Rust core; this class only moves requests between it and `transport`.
public final class Client: @unchecked Sendable {
    private let core: CoreApi
    public let transport: Transport
    public let flowOptions: FlowOptions
    private let clock: @Sendable () -> UInt64
    private let listenerLock = NSLock()
    private var listener: (@Sendable (FlowEvent) -> Void)?

    /// Receives each ``FlowEvent`` of every operation this client runs: each request (endpoint,
    /// request id, method, URL without secrets, attempt), response (status, elapsed ms, the
    /// server's request id), transport failure (with its scrubbed cause) and decision (retry,
    /// reconcile, settled, give up, done, with its reason), on the task that drives the
    /// operation. Without a listener the core records nothing.
    public var eventListener: (@Sendable (FlowEvent) -> Void)? {
        get { listenerLock.lock(); defer { listenerLock.unlock() }; return listener }
        set { listenerLock.lock(); listener = newValue; listenerLock.unlock() }
    }

    public init(
        storeHash: String,
        apiToken: String,
        options: ClientOptions = ClientOptions(),
        transport: Transport? = nil,
        flowOptions: FlowOptions? = nil,
        clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }
    ) throws {
        var options = options
        if options.host == nil { options.host = "swift" }
        let flowOptions = flowOptions ?? options.flowOptions ?? defaultFlowOptions()
        options.flowOptions = flowOptions
        self.core = try CoreApi(storeHash: storeHash, apiToken: apiToken, options: options)
        // The core checked the limits; the default transport enforces them.
        let limits = core.transportLimits()
        self.transport = transport
            ?? URLSessionTransport(timeout: Double(limits.timeoutMs) / 1000, maxBodyBytes: Int(clamping: limits.maxBodyBytes))
        self.flowOptions = flowOptions
        self.clock = clock
    }

    // MARK: The one loop: payments and single calls

    /// A payment flow for the caller to drive itself (see `CoreOperation.poll`).
    public func newFlow(orderId: Int64, payments: [Payment], options: FlowOptions? = nil, seed: UInt64? = nil) throws -> CoreOperation {
        try core.newFlow(orderId: orderId, payments: payments, options: options, nowMs: clock(), seed: seed)
    }

    /// What a request came to: an answer, a transport failure, or the caller's stop (the task was
    /// cancelled or the time budget ran out).
    private enum Exchange: @unchecked Sendable {
        case answered(HttpResponse)
        case failed(TransportFailureError)
        case stopped
    }

    /// Sends `request`, giving up at `deadlineMs` (the awaiting task cancels the request).
    private func exchange(_ request: HttpRequest, deadlineMs: UInt64?) async -> Exchange {
        let transport = self.transport
        let clock = self.clock
        return await withTaskGroup(of: Exchange.self) { group in
            group.addTask {
                do {
                    return .answered(try await transport.send(request))
                } catch {
                    return Task.isCancelled ? .stopped : .failed(transportFailure(of: error))
                }
            }
            if let deadlineMs {
                group.addTask {
                    let now = clock()
                    if deadlineMs > now { try? await Task.sleep(nanoseconds: (deadlineMs - now) * 1_000_000) }
                    return .stopped
                }
            }
            let first = await group.next() ?? .stopped
            group.cancelAll()
            return Task.isCancelled ? .stopped : first
        }
    }

    /// Drives `op` to its end. Each request goes out as soon as the core hands it over (a
    /// payment's methods and token go together); outcomes are reported in the order the core
    /// awaits them.
    private func drive(_ op: CoreOperation) async throws -> CallOutput {
        let deadlineMs = op.deadlineMs()
        let listener = eventListener
        if listener != nil { op.observe() }
        /// Hands what `op` recorded to the listener.
        func emit() {
            guard let listener else { return }
            for event in op.takeEvents() { listener(event) }
        }
        /// Ends `op` for a caller that gave up: the error to throw.
        func stop() -> Error {
            let error = op.cancel(nowMs: clock())
            emit()
            return error
        }
        // The requests out, each sending in a task of its own; one left when the operation ends (a
        // token whose methods refused the card) is cancelled.
        var out: [String: Task<Exchange, Never>] = [:]
        defer { for task in out.values { task.cancel() } }
        var action = op.poll(nowMs: clock())
        while true {
            emit()
            if Task.isCancelled { throw stop() }
            switch action {
            case .send(let request, let id):
                out[id] = Task { await self.exchange(request, deadlineMs: deadlineMs) }
                action = op.poll(nowMs: clock())
            case .awaiting(let id):
                guard let sending = out.removeValue(forKey: id) else {
                    preconditionFailure("bcpay: the core awaits request \(id), which is not out")
                }
                // Cancelling the caller's task cancels the request, which then ends as stopped.
                let outcome = await withTaskCancellationHandler { await sending.value } onCancel: { sending.cancel() }
                // respond/fail report the outcome and return the next action in one call.
                switch outcome {
                case .answered(let response): action = op.respond(requestId: id, response: response, nowMs: clock())
                case .failed(let failed):
                    action = op.fail(requestId: id, failure: failed.failure, cause: failed.reason, nowMs: clock())
                case .stopped: throw stop()
                }
            case .wait(let untilMs):
                let now = clock()
                if untilMs > now {
                    do {
                        try await Task.sleep(nanoseconds: (untilMs - now) * 1_000_000)
                    } catch {
                        throw stop()
                    }
                }
                action = op.poll(nowMs: clock())
            case .done(let output):
                return output
            case .failed(let error):
                throw error
            }
        }
    }

    private func call(_ input: CallInput) async throws -> CallOutput {
        try await drive(core.newCall(call: input, nowMs: clock(), seed: nil))
    }

    /// An output of the wrong kind: cannot happen (the core answers each call with its own).
    private func unexpected(_ output: CallOutput) -> Error {
        BcpayError.InvalidResponse(details: ErrorDetails(
            kind: .invalidResponse, status: nil, code: nil, codeText: nil, title: "unexpected output \(output)", detail: nil,
            fieldErrors: [], shopperMessage: "", remedy: "", endpoint: nil, requestId: nil, serverRequestId: nil, retry: .never, paymentsTaken: []))
    }

    /// Pays `orderId` with `payments` in order (gift certificates and store credit first).
    public func pay(orderId: Int64, payments: [Payment], options: FlowOptions? = nil) async throws -> PaymentReceipt {
        let output = try await drive(newFlow(orderId: orderId, payments: payments, options: options))
        guard case .receipt(let receipt) = output else { throw unexpected(output) }
        return receipt
    }

    /// Pays one payment.
    public func pay(orderId: Int64, payment: Payment) async throws -> PaymentReceipt {
        try await pay(orderId: orderId, payments: [payment])
    }

    /// Every problem with `payments` now (optionally against `methods`); empty when valid.
    public func validate(payments: [Payment], methods: [PaymentMethod]? = nil) -> [FieldError] {
        validatePayments(payments: payments, nowMs: clock(), methods: methods)
    }

    // MARK: Single calls

    /// The payment methods the order can be paid with, with the shopper's stored instruments.
    public func getPaymentMethods(orderId: Int64) async throws -> [PaymentMethod] {
        let output = try await call(.getPaymentMethods(orderId: orderId))
        guard case .paymentMethods(let methods) = output else { throw unexpected(output) }
        return methods
    }

    /// The payment methods for a checkout.
    public func getPaymentMethods(checkoutId: String) async throws -> [PaymentMethod] {
        let output = try await call(.getPaymentMethodsForCheckout(checkoutId: checkoutId))
        guard case .paymentMethods(let methods) = output else { throw unexpected(output) }
        return methods
    }

    /// A payment access token for `orderId`; it lives one hour and pays one payment.
    public func createAccessToken(orderId: Int64, isRecurring: Bool = false) async throws -> PaymentAccessToken {
        let output = try await call(.createPaymentAccessToken(orderId: orderId, isRecurring: isRecurring))
        guard case .accessToken(let token) = output else { throw unexpected(output) }
        return token
    }

    /// One Process Payment, without reconciliation: after an error whose `retry` is `.reconcile`,
    /// read the order's transactions before paying again (``pay(orderId:payments:options:)`` does).
    public func processPayment(token: PaymentAccessToken, payment: Payment, methods: [PaymentMethod]? = nil) async throws -> ProcessedPayment {
        let output = try await call(.processPayment(token: token, payment: payment, methods: methods))
        guard case .payment(let processed) = output else { throw unexpected(output) }
        return processed
    }

    /// Creates an order (V2), Incomplete so that it can be paid.
    public func createOrder(_ order: NewOrder) async throws -> Order {
        let output = try await call(.createOrder(order: order))
        guard case .order(let created) = output else { throw unexpected(output) }
        return created
    }

    /// One order (V2).
    public func getOrder(orderId: Int64) async throws -> Order {
        let output = try await call(.getOrder(orderId: orderId))
        guard case .order(let order) = output else { throw unexpected(output) }
        return order
    }

    /// One page of the order's transactions.
    public func getTransactionPage(orderId: Int64, page: Int32 = 1) async throws -> TransactionPage {
        let output = try await call(.getOrderTransactions(orderId: orderId, page: page))
        guard case .transactionPage(let p) = output else { throw unexpected(output) }
        return p
    }

    /// All of the order's transactions (every page, at most `maxTransactionPages`).
    /// Prepares the payment of `orderId` ahead (when the order is created or the checkout opens): its methods and a
    /// payment access token, kept by this client, so that the order's next `pay` sends only Process Payment.
    public func prepare(orderId: Int64) async throws -> PreparedPayment {
        let output = try await call(.prepare(orderId: orderId))
        guard case .prepared(let prepared) = output else { throw unexpected(output) }
        return prepared
    }

    /// Whether an order is paid and how much is due: the order, then all its transactions, judged by the rule `pay` ends by.
    public func getOrderPaymentStatus(orderId: Int64) async throws -> OrderPaymentStatus {
        let output = try await call(.getOrderPaymentStatus(orderId: orderId))
        guard case .paymentStatus(let status) = output else { throw unexpected(output) }
        return status
    }

    public func getTransactions(orderId: Int64) async throws -> [Transaction] {
        let output = try await call(.getOrderTransactions(orderId: orderId, page: nil))
        guard case .transactions(let transactions) = output else { throw unexpected(output) }
        return transactions
    }

    /// Captures the order's authorized payment.
    public func capture(orderId: Int64) async throws {
        _ = try await call(.capturePayment(orderId: orderId))
    }

    /// Voids the order's authorized payment.
    public func void(orderId: Int64) async throws {
        _ = try await call(.voidPayment(orderId: orderId))
    }

    /// What can be refunded for the request's items, and through which providers.
    public func createRefundQuote(orderId: Int64, request: RefundQuoteRequest) async throws -> RefundQuote {
        let output = try await call(.createRefundQuote(orderId: orderId, request: request))
        guard case .refundQuote(let quote) = output else { throw unexpected(output) }
        return quote
    }

    /// Refunds the order. Never resent after an unclear outcome: check ``listRefunds(orderId:)`` then.
    public func createRefund(orderId: Int64, request: RefundRequest) async throws -> Refund {
        let output = try await call(.createRefund(orderId: orderId, request: request))
        guard case .refund(let refund) = output else { throw unexpected(output) }
        return refund
    }

    /// Refund items of an order as its refund quote allows: the quote, then the refund through the quote's providers for its amounts. A quote that allows only offline refunds fails with `offline_refund_required` (invalid_request). Never resent after an unclear refund: check ``listRefunds(orderId:)`` then.
    public func refund(orderId: Int64, items: [RefundItem]) async throws -> Refund {
        let output = try await call(.refund(orderId: orderId, items: items))
        guard case .refund(let refund) = output else { throw unexpected(output) }
        return refund
    }

    /// The order's refunds.
    public func listRefunds(orderId: Int64) async throws -> [Refund] {
        let output = try await call(.listRefunds(orderId: orderId))
        guard case .refunds(let refunds) = output else { throw unexpected(output) }
        return refunds
    }

    /// The customer's stored cards, PayPal accounts and bank accounts.
    public func getStoredInstruments(customerId: Int64) async throws -> [StoredInstrument] {
        let output = try await call(.getStoredInstruments(customerId: customerId))
        guard case .storedInstruments(let instruments) = output else { throw unexpected(output) }
        return instruments
    }
}

extension BcpayError {
    /// The details every case carries: kind, codes, texts, field errors, retry advice.
    public var details: ErrorDetails {
        switch self {
        case .Validation(let d), .Configuration(let d), .Authentication(let d), .MerchantSetup(let d), .OrderState(let d),
             .Declined(let d), .DuplicatePayment(let d), .InvalidRequest(let d), .NotFound(let d), .Conflict(let d),
             .RateLimited(let d), .Server(let d), .InvalidResponse(let d), .NoResponse(let d), .AmbiguousOutcome(let d),
             .Cancelled(let d):
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
