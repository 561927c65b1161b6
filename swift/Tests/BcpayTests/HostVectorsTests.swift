import Bcpay
import Foundation
import XCTest

/// The host vectors (tests/host/scenarios.json) through the public Swift `Client`, with a scripted
/// transport: the same error classes, kinds, codes, messages, request counts and pages as every
/// other host. Input a Swift caller cannot write (`dynamic_only`: its types refuse it) is skipped;
/// cancellation cancels the awaiting task.
final class HostVectorsTests: XCTestCase {
    /// A call's answer carried out of its task (records are not all Sendable).
    private struct Output: @unchecked Sendable { let value: Any }

    private static func vectors() throws -> JSON {
        try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: vectorsDir.appendingPathComponent("../host/scenarios.json")))
    }

    /// Answers each request with its script step (the first unused one meant for its endpoint,
    /// else the next unused); records which steps were used, by what, and the most requests it
    /// held at once.
    private final class Scripted: Transport, @unchecked Sendable {
        private let lock = NSLock()
        private let steps: [JSON]
        private let meantFor: [String]
        private var usedBy: [String?]
        private var pastScript: [String] = []
        private var held = 0
        private var most = 0

        init(_ script: [JSON], meantFor: [String]) {
            steps = script
            self.meantFor = meantFor
            usedBy = Array(repeating: nil, count: script.count)
        }

        private func next(_ request: HttpRequest) -> JSON {
            lock.lock()
            defer { lock.unlock() }
            let endpoint = wireName(request.endpoint())
            held += 1
            most = max(most, held)
            let free = steps.indices.filter { usedBy[$0] == nil }
            guard let pick = free.first(where: { $0 < meantFor.count && meantFor[$0] == endpoint }) ?? free.first else {
                pastScript.append(endpoint)
                return .object(["status": .number(599), "body_text": .string("script ran out")])
            }
            usedBy[pick] = endpoint
            return steps[pick]
        }

        private func done() {
            lock.lock()
            defer { lock.unlock() }
            held -= 1
        }

        var requests: [String] {
            lock.lock()
            defer { lock.unlock() }
            return usedBy.compactMap { $0 } + pastScript
        }

        var mostHeld: Int {
            lock.lock()
            defer { lock.unlock() }
            return most
        }

        func send(_ request: HttpRequest) async throws -> HttpResponse {
            let step = next(request)
            defer { done() }
            if let ms = step["delay_ms"]?.u64 { try await Task.sleep(nanoseconds: ms * 1_000_000) }
            if let ms = step["hang_ms"]?.u64 {
                try await Task.sleep(nanoseconds: ms * 1_000_000)
                throw TransportFailureError(.timedOut)
            }
            switch step["throw"]?.string {
            case nil: return responseOf(step)
            case "foreign": throw CocoaError(.featureUnsupported)
            case "not_sent": throw TransportFailureError(.notSent, reason: step["cause"]?.string)
            case "timed_out": throw TransportFailureError(.timedOut, reason: step["cause"]?.string)
            default: throw TransportFailureError(.maybeSent, reason: step["cause"]?.string)
            }
        }
    }

    private static func newOrderOf(_ o: JSON) -> NewOrder {
        let a = o["billing_address"]!
        let address = BillingAddress(
            firstName: a["first_name"]!.string!, lastName: a["last_name"]!.string!, company: a["company"]?.string, street1: a["street_1"]!.string!,
            street2: a["street_2"]?.string, city: a["city"]!.string!, state: a["state"]!.string!, zip: a["zip"]!.string!,
            country: a["country"]!.string!, countryIso2: a["country_iso2"]!.string!, email: a["email"]!.string!, phone: a["phone"]?.string)
        let products = o["products"]!.array.map {
            OrderProduct(productId: $0["product_id"]?.int, variantId: $0["variant_id"]?.int, name: $0["name"]?.string, quantity: $0["quantity"]!.int!,
                         priceIncTax: $0["price_inc_tax"]?.double, priceExTax: $0["price_ex_tax"]?.double, sku: $0["sku"]?.string)
        }
        return NewOrder(customerId: o["customer_id"]!.int!, billingAddress: address, products: products, defaultCurrencyCode: o["default_currency_code"]?.string)
    }

    private static func itemsOf(_ r: JSON) -> [RefundItem] {
        r["items"]!.array.map {
            RefundItem(itemType: $0["item_type"]!.string!, itemId: $0["item_id"]!.int!, quantity: $0["quantity"]?.int, amount: $0["amount"]?.double,
                       reason: $0["reason"]?.string)
        }
    }

    /// What the call returned, as something the expectation can be checked against.
    private static func run(_ client: Client, _ c: JSON) async throws -> Any {
        let a = c["args"]!
        let orderId = { a["order_id"]!.int! }
        switch c["call"]!.string! {
        case "pay":
            let payments = a["payments"]!.array.map(paymentOf)
            return summary(try await client.pay(orderId: orderId(), payments: payments))
        case "prepare_and_pay":
            _ = try await client.prepare(orderId: orderId())
            return summary(try await client.pay(orderId: orderId(), payments: a["payments"]!.array.map(paymentOf)))
        case "get_order_payment_status":
            let st = try await client.getOrderPaymentStatus(orderId: orderId())
            return ["state": wireName(st.state), "paid": st.paid, "remaining": st.remaining, "total": st.total] as [String: String?]
        case "get_order": return try await client.getOrder(orderId: orderId())
        case "create_order": return try await client.createOrder(newOrderOf(a["order"]!))
        case "get_payment_methods": return try await client.getPaymentMethods(orderId: orderId())
        case "create_payment_access_token":
            _ = try await client.createAccessToken(orderId: orderId())
            return [String: Int]()
        case "process_payment":
            let token = PaymentAccessToken.fromSecret(secret: a["pat"]!.string!, nowMs: UInt64(Date().timeIntervalSince1970 * 1000))
            return try await client.processPayment(token: token, payment: paymentOf(a["payment"]!))
        case "get_order_transactions": return try await client.getTransactions(orderId: orderId())
        case "capture_payment":
            try await client.capture(orderId: orderId())
            return [String: Int]()
        case "create_refund_quote": return try await client.createRefundQuote(orderId: orderId(), request: RefundQuoteRequest(items: itemsOf(a["request"]!)))
        case "create_refund":
            let r = a["request"]!
            let payments = r["payments"]!.array.map {
                RefundPaymentRequest(providerId: $0["provider_id"]!.string!, amount: $0["amount"]!.double!, offline: $0["offline"]!.bool!)
            }
            return try await client.createRefund(orderId: orderId(), request: RefundRequest(items: itemsOf(r), payments: payments))
        case "refund": return try await client.refund(orderId: orderId(), items: itemsOf(a))
        case "list_refunds": return try await client.listRefunds(orderId: orderId())
        case "get_stored_instruments": return try await client.getStoredInstruments(customerId: a["customer_id"]!.int!)
        default: throw CocoaError(.featureUnsupported)
        }
    }

    /// A receipt as the vectors check it.
    private static func summary(_ r: PaymentReceipt) -> [String: String?] {
        ["payments": "\(r.payments.count)", "requests_sent": "\(r.requestsSent)", "order_state": wireName(r.orderState),
         "amount_paid": r.amountPaid, "amount_remaining": r.amountRemaining]
    }

    private static func retryText(_ r: RetryAdvice) -> JSON {
        switch r {
        case .never: return .object(["type": .string("never")])
        case .after(let ms): return .object(["type": .string("after"), "ms": .number(Double(ms))])
        case .withNewToken: return .object(["type": .string("with_new_token")])
        case .reconcile: return .object(["type": .string("reconcile")])
        }
    }

    /// Why the outcome does not match, or nil.
    private static func mismatch(_ c: JSON, output: Any?, error: Error?) -> String? {
        let expect = c["expect"]!
        if let ok = expect["ok"] {
            guard let output else { return "unexpected error \(String(describing: error))" }
            for (k, w) in ok.object {
                if k == "len" {
                    guard let list = output as? [Any], list.count == Int(w.int!) else { return "len of \(output)" }
                } else if let dict = output as? [String: String?] {
                    let want: String? = w.string ?? w.int.map { "\($0)" }
                    if dict[k] ?? nil != want { return "\(k): \(String(describing: dict[k])) != \(String(describing: want))" }
                } else {
                    let got = valueAt(output, k).map { "\($0)" } ?? "nil"
                    let want = w.string ?? w.int.map { "\($0)" } ?? w.text
                    if got != want { return "\(k): \(got) != \(want)" }
                }
            }
            return nil
        }
        let want = expect["error"]!
        guard let e = error as? BcpayError else { return "not a BcpayError: \(String(describing: error ?? output as Any))" }
        let d = e.details
        let caseName = Mirror(reflecting: e).children.first?.label ?? "?"
        if caseName + "Error" != want["class_name"]!.string! { return "class \(caseName)" }
        if wireName(d.kind) != want["kind"]!.string! { return "kind \(d.kind)" }
        if let r = want["retry"], retryText(d.retry) != r { return "retry \(d.retry)" }
        if let code = want["code"], d.code != code.int { return "code \(String(describing: d.code))" }
        if let status = want["status"], d.status.map(Int64.init) != status.int { return "status \(String(describing: d.status))" }
        if let field = want["field"]?.string, d.fieldErrors.first?.path != camelPath(field) { return "field \(String(describing: d.fieldErrors.first?.path))" }
        if let code = want["field_code"]?.string, d.fieldErrors.first?.code != code { return "field code \(String(describing: d.fieldErrors.first?.code))" }
        if let id = want["server_request_id"]?.string, (d.serverRequestId ?? "") != id { return "server request id \(String(describing: d.serverRequestId))" }
        if let message = want["message"]?.string, !e.description.hasPrefix(message) { return "message \(e.description)" }
        return nil
    }

    /// The snake_case name of a generated enum case (`getOrder` → `get_order`).
    private static func snake(_ value: Any) -> String {
        "\(value)".reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
    }

    /// An event as tests/host/README.md ("Events") projects it; `wait` decisions are left out.
    private static func projected(_ e: FlowEvent) -> String? {
        switch e {
        case .requestSent(let endpoint, _, _, _, let attempt): return "request \(snake(endpoint)) \(attempt)"
        case .responseReceived(let endpoint, _, let status, _, _, _): return "response \(snake(endpoint)) \(status)"
        case .transportFailed(let endpoint, _, let failure, let cause, _, _):
            return "transport_failure \(snake(endpoint)) \(snake(failure))" + (cause.map { ": \($0)" } ?? "")
        case .decided(let decision, _, _): return decision == .wait ? nil : snake(decision)
        }
    }

    private static func scenario(_ c: JSON, config: JSON) async -> String? {
        let name = c["name"]!.string!
        let transport = Scripted(c["script"]!.array, meantFor: c["expect"]!["requests"]!.array.map { $0.string! })
        do {
            let client = try Client(storeHash: config["store_hash"]!.string!, apiToken: config["api_token"]!.string!, transport: transport,
                                    flowOptions: flowOptionsOf(c["options"] ?? .object([:])))
            let events = Heard()
            client.eventListener = { event in if let line = projected(event) { events.add(line) } }
            let started = Date()
            let task = Task { Output(value: try await run(client, c)) }
            if let ms = c["cancel_after_ms"]?.u64 {
                Task {
                    try await Task.sleep(nanoseconds: ms * 1_000_000)
                    task.cancel()
                }
            }
            var output: Any?
            var failure: Error?
            do { output = try await task.value.value } catch { failure = error }
            let elapsed = Date().timeIntervalSince(started) * 1000
            if let why = mismatch(c, output: output, error: failure) { return "\(name): \(why)" }
            let want = c["expect"]!["requests"]!.array.map { $0.string! }
            if transport.requests != want { return "\(name): requests \(transport.requests)" }
            if let most = c["expect"]!["max_in_flight"]?.int, transport.mostHeld != Int(most) {
                return "\(name): at most \(transport.mostHeld) requests at once, expected \(most)"
            }
            if let want = c["expect"]!["events"]?.array.map({ $0.string! }), events.lines != want { return "\(name): events \(events.lines)" }
            if elapsed > Double(c["max_ms"]!.int!) { return "\(name): took \(Int(elapsed)) ms" }
            return nil
        } catch {
            return "\(name): \(error)"
        }
    }

    func testEveryHostVector() async throws {
        let v = try Self.vectors()
        let cases = v["scenarios"]!.array.filter { $0["dynamic_only"]?.bool != true }
        XCTAssertGreaterThanOrEqual(cases.count, 40)
        let config = v["config"]!
        let failures = await withTaskGroup(of: String?.self) { group in
            for c in cases { group.addTask { await Self.scenario(c, config: config) } }
            var all: [String] = []
            for await f in group { if let f { all.append(f) } }
            return all
        }
        XCTAssertEqual(failures, [])
    }
}
