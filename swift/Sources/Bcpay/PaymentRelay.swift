import BcpayFFI
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The app's half of a payment, for shopper-facing iOS and macOS apps. It holds no API token and
/// makes no request to BigCommerce: the store's API token opens the whole store, and the Payments
/// API is called server-to-server. The app checks the card form as the shopper types
/// (``checkCard(number:cardholderName:expiryMonth:expiryYear:verificationValue:acceptedMethods:)``),
/// sends the payment to its own server (``pay(orderId:payments:to:timeBudgetMs:session:)``, or
/// ``request(orderId:payments:timeBudgetMs:)`` with your own HTTP), and gets back the same
/// receipt or ``BcpayError`` (with its `shopperMessage`) that paying locally would give. The
/// server pays with bcpay's `Client.payFromApp` (Rust, Node, Python, JVM).
public struct PaymentRelay: Sendable {
    private let clock: @Sendable () -> UInt64

    /// `clock`: milliseconds since the epoch on the device (card expiry is checked against it).
    public init(clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }) {
        self.clock = clock
    }

    /// Each field's state as typed so far: `.incomplete` while more typing could make it valid,
    /// `.invalid` (with the code and a sentence for the shopper) when nothing can. With the
    /// order's `acceptedMethods` (see ``methods(json:)``), a brand the order does not take is
    /// invalid and `paymentMethodId` names the method that takes it.
    public func checkCard(
        number: String, cardholderName: String, expiryMonth: String, expiryYear: String, verificationValue: String,
        acceptedMethods: [PaymentMethod]? = nil
    ) -> CardFormCheck {
        let form = CardFormInput(
            number: CardNumber(digits: number), cardholderName: cardholderName, expiryMonth: expiryMonth, expiryYear: expiryYear,
            verificationValue: VerificationValue(digits: verificationValue))
        return checkCardForm(form: form, nowMs: clock(), methods: acceptedMethods)
    }

    /// The order's accepted methods from the JSON your server sent (a Get Payment Methods `data` array).
    public func methods(json: String) throws -> [PaymentMethod] {
        try paymentMethodsFromJson(json: json)
    }

    /// The body to post to your server (`Content-Type: application/json`), validated here by the
    /// rules the server applies again: a bad card throws `.Validation` naming the field, and
    /// nothing needs sending. The bytes hold card data: send them, then drop them.
    /// `timeBudgetMs` is how long the app will wait; the server's own budget caps it.
    public func request(orderId: Int64, payments: [Payment], timeBudgetMs: Int64? = nil) throws -> Data {
        Data(try buildPaymentRequest(orderId: orderId, payments: payments, timeBudgetMs: timeBudgetMs, nowMs: clock()).bytes())
    }

    /// Reads your server's answer: the receipt, or throws the ``BcpayError`` its payment ended with.
    public func outcome(_ body: Data) throws -> PaymentReceipt {
        try readPaymentOutcome(body: body)
    }

    /// The error for a request to your server that got no answer. Say `.notSent` only when the
    /// connection never opened: otherwise the server may have charged, and the error is
    /// `.AmbiguousOutcome`: ask your server about the order before paying again.
    public func failure(_ failure: TransportFailure = .maybeSent) -> BcpayError {
        relayFailure(failure: failure)
    }

    /// The whole app side: validates, posts the payment to your server's `url` with `session`,
    /// and reads its answer. A request that may have reached the server and got no readable
    /// answer (including a cancelled task) throws `.AmbiguousOutcome`, never a bare `URLError`.
    public func pay(
        orderId: Int64, payments: [Payment], to url: URL, timeBudgetMs: Int64? = nil, session: URLSession = .shared
    ) async throws -> PaymentReceipt {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try self.request(orderId: orderId, payments: payments, timeBudgetMs: timeBudgetMs)
        if let timeBudgetMs { request.timeoutInterval = Double(timeBudgetMs) / 1000 + 5 }
        let body: Data
        do {
            body = try await Self.post(request, session: session)
        } catch {
            throw failure(transportFailure(of: error).failure)
        }
        return try outcome(body)
    }

    private static func post(_ request: URLRequest, session: URLSession) async throws -> Data {
        final class Box: @unchecked Sendable { var task: URLSessionDataTask? }
        let box = Box()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, Error>) in
                let task = session.dataTask(with: request) { data, _, error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: data ?? Data()) }
                }
                box.task = task
                task.resume()
            }
        } onCancel: {
            box.task?.cancel()
        }
    }
}
