import Bcpay
import Foundation
import XCTest

/// End to end over URLSession against the sandbox (BCPAY_SANDBOX_BIN names its binary).
final class ClientTests: XCTestCase {
    private static var sandbox: Process?
    private static var url = ""

    override class func setUp() {
        let binary = ProcessInfo.processInfo.environment["BCPAY_SANDBOX_BIN"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../target/debug/bcpay-sandbox").standardizedFileURL.path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--port", "0"]
        let out = Pipe()
        p.standardOutput = out
        try! p.run()
        var line = Data()
        while let byte = try? out.fileHandleForReading.read(upToCount: 1), let b = byte.first, b != 10 { line.append(b) }
        url = String(decoding: line, as: UTF8.self).components(separatedBy: " ").last ?? ""
        sandbox = p
    }

    override class func tearDown() { sandbox?.terminate() }

    private func client(flowOptions: FlowOptions = defaultFlowOptions(), timeout: TimeInterval = 30) throws -> Client {
        try Client(
            storeHash: "abc123", apiToken: "sandbox-token", options: ClientOptions(apiBase: Self.url, paymentsBase: Self.url),
            transport: URLSessionTransport(timeout: timeout), flowOptions: flowOptions)
    }

    private func card(_ number: String = "4242424242424242") -> Payment {
        Payment(
            instrument: .card(
                number: CardNumber(digits: number), cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030,
                verificationValue: VerificationValue(digits: "123"), issueMonth: nil, issueYear: nil, issueNumber: nil),
            paymentMethodId: "stripe.card", saveInstrument: false)
    }

    private func order(_ c: Client) async throws -> UInt64 {
        let address = BillingAddress(
            firstName: "Jane", lastName: "Doe", company: nil, street1: "1 Main St", street2: nil, city: "Austin", state: "Texas",
            zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com", phone: nil)
        let product = OrderProduct(productId: nil, variantId: nil, name: "Poster", quantity: 1, priceIncTax: 40, priceExTax: 40, sku: nil)
        let o = try await c.createOrder(NewOrder(customerId: 0, billingAddress: address, products: [product], defaultCurrencyCode: nil))
        XCTAssertEqual(o.statusId, 0)
        return UInt64(o.id)
    }

    func testCardPaymentAndStoredCard() async throws {
        let c = try client()
        let id = try await order(c)
        let receipt = try await c.pay(orderId: id, payment: card())
        XCTAssertEqual(receipt.payments.first?.transactionType, "purchase")
        let status = try await c.getOrder(orderId: id).statusId
        XCTAssertEqual(status, 11)
    }

    func testDeclineIsTypedAndShowsNoCardNumber() async throws {
        let c = try client()
        let id = try await order(c)
        do {
            _ = try await c.pay(orderId: id, payment: card("4000000000000002"))
            XCTFail("expected a decline")
        } catch let e as BcpayError {
            guard case .Declined(let d) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(d.code, 30102)
            XCTAssertFalse("\(e) \(e.localizedDescription)".contains("4000000000000002"))
        }
    }

    func testTimeoutAfterCommitIsReconciledOnce() async throws {
        let id = try await order(try client())
        var request = URLRequest(url: URL(string: "\(Self.url)/__sandbox/faults")!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"slow": 1, "slow_ms": 800}"#.utf8)
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        _ = try await URLSession.shared.data(for: request)
        var options = defaultFlowOptions()
        options.reconcileDelayMs = 50
        let receipt = try await client(flowOptions: options, timeout: 0.2).pay(orderId: id, payment: card())
        XCTAssertEqual(receipt.payments.first?.reconciled, true)
        request.httpBody = Data("{}".utf8)
        _ = try await URLSession.shared.data(for: request)
    }

    func testSecretsNeverInTextForms() {
        let number = CardNumber(digits: "4000056655665556")
        let shown = "\(number) \(String(reflecting: number)) \(card("4000056655665556")) \(VerificationValue(digits: "918"))"
        XCTAssertFalse(shown.contains("4000056655665556"))
        XCTAssertFalse(shown.contains("918"))
        XCTAssertTrue(shown.contains("5556"))
    }
}
