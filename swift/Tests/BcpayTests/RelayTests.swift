import Bcpay
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// `bcpay app-server` (BCPAY_APP_SERVER_BIN): a merchant's server holding the token, over an
/// embedded sandbox, with `POST /checkout` and `POST /pay`.
final class AppServer: @unchecked Sendable {
    let url: String
    private let process: Process

    init() throws {
        let binary = ProcessInfo.processInfo.environment["BCPAY_APP_SERVER_BIN"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../target/debug/bcpay").standardizedFileURL.path
        let (p, line) = try spawn(binary, ["app-server", "--port", "0", "--settle-window-ms", "600"])
        url = line.components(separatedBy: " ").first { $0.hasPrefix("http://") } ?? ""
        process = p
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A new order and its accepted methods, as a checkout screen gets them from its server.
    func checkout() async throws -> (orderId: Int64, methodsJSON: String) {
        var request = URLRequest(url: URL(string: "\(url)/checkout")!)
        request.httpMethod = "POST"
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            URLSession(configuration: .ephemeral).dataTask(with: request) { data, _, error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: data ?? Data()) }
            }.resume()
        }
        let json = parseJSON(data)!
        return (json["order_id"]!.int!, json["methods"]!.text)
    }
}

/// The relay end to end: the app (PaymentRelay, no token) → its server → the sandbox → the app.
final class RelayTests: XCTestCase {
    let relay = PaymentRelay()

    func testCardStoredCardDeclineAmbiguousAndDeviceValidation() async throws {
        let server = try AppServer()
        defer { server.stop() }
        let pay = URL(string: "\(server.url)/pay")!

        // A card, brand-checked against the order's methods as the shopper typed it.
        var (orderId, methodsJSON) = try await server.checkout()
        let methods = try relay.methods(json: methodsJSON)
        let check = relay.checkCard(
            number: "4242 4242 4242 4242", cardholderName: "Jane Doe", expiryMonth: "12", expiryYear: "30", verificationValue: "123",
            acceptedMethods: methods)
        XCTAssertTrue(check.complete)
        XCTAssertEqual(check.paymentMethodId, "stripe.card")
        let receipt = try await relay.pay(orderId: orderId, payments: [card()], to: pay, timeBudgetMs: 30_000)
        XCTAssertEqual(receipt.orderId, orderId)

        // A stored card from the methods the server passed.
        (orderId, methodsJSON) = try await server.checkout()
        let token = try relay.methods(json: methodsJSON).first { $0.id == "stripe.card" }!.storedInstruments.first!.token
        let stored = Payment(instrument: .storedCard(token: token, verificationValue: VerificationValue(digits: "123")), paymentMethodId: "stripe.card", saveInstrument: false)
        _ = try await relay.pay(orderId: orderId, payments: [stored], to: pay)

        // A decline, its shopper message intact.
        (orderId, _) = try await server.checkout()
        do {
            _ = try await relay.pay(orderId: orderId, payments: [card("4000000000009995")], to: pay)
            XCTFail("declined")
        } catch BcpayError.Declined(let details) {
            XCTAssertEqual(details.code, 30106)
            XCTAssertTrue(details.shopperMessage.contains("insufficient funds"), details.shopperMessage)
        }

        // Gateway trouble nothing records: ambiguous, not paid again.
        (orderId, _) = try await server.checkout()
        do {
            _ = try await relay.pay(orderId: orderId, payments: [card("4000000000003063")], to: pay)
            XCTFail("ambiguous")
        } catch BcpayError.AmbiguousOutcome(let details) {
            XCTAssertEqual(details.retry, .reconcile)
        }

        // A bad card is caught on the device: no request.
        do {
            _ = try await relay.pay(orderId: orderId, payments: [card("4242424242424241")], to: URL(string: "http://127.0.0.1:9/never")!)
            XCTFail("invalid")
        } catch BcpayError.Validation(let details) {
            XCTAssertEqual(details.fieldErrors.first?.code, "luhn_check_failed")
        }

        // No server listening: the request never left, so it is not ambiguous.
        do {
            _ = try await relay.pay(orderId: orderId, payments: [card()], to: URL(string: "http://127.0.0.1:9/pay")!)
            XCTFail("no server")
        } catch BcpayError.NoResponse {
        }
    }

    func testRelayVectors() throws {
        let doc = try loadVectors("relay.json")
        let forms = doc["card_form"]!.array
        XCTAssertGreaterThanOrEqual(forms.count, 30)
        for c in forms {
            let name = c["name"]!.string!
            let f = c["form"]!
            let methods = try c["methods"].map { try relay.methods(json: $0.text) }
            let at = PaymentRelay(clock: { c["now_ms"]!.u64! })
            let check = at.checkCard(
                number: f["number"]?.string ?? "", cardholderName: f["cardholder_name"]?.string ?? "",
                expiryMonth: f["expiry_month"]?.string ?? "", expiryYear: f["expiry_year"]?.string ?? "",
                verificationValue: f["verification_value"]?.string ?? "", acceptedMethods: methods)
            let expect = c["expect"]!
            for (field, state) in expect["fields"]!.object {
                let actual = check.fields.first { $0.field == field }!
                let shown = "\(actual.state)".lowercased() + (actual.code.map { ":\($0)" } ?? "")
                XCTAssertEqual(shown, state.string, "\(name): \(field)")
            }
            if let brand = expect["brand"] {
                XCTAssertEqual(check.brand.map { "\($0)".uppercased() }, brand.string.map { $0.replacingOccurrences(of: "_", with: "") }, name)
            }
            if let complete = expect["complete"] { XCTAssertEqual(check.complete, complete.bool, name) }
            if let id = expect["payment_method_id"] { XCTAssertEqual(check.paymentMethodId, id.string, name) }
            if let year = expect["expiry_year"] { XCTAssertEqual(check.expiryYear, year.int, name) }
        }
        let outcomes = doc["read_outcome"]!.array
        XCTAssertGreaterThanOrEqual(outcomes.count, 10)
        for c in outcomes {
            let name = c["name"]!.string!
            let body = c["body_text"]?.string.map { Data($0.utf8) } ?? Data(c["body"]!.text.utf8)
            let expect = c["expect"]!
            do {
                let receipt = try relay.outcome(body)
                guard let ok = expect["ok"] else { XCTFail("\(name): paid"); continue }
                XCTAssertEqual(receipt.orderId, ok["order_id"]!.int, name)
                XCTAssertEqual(receipt.payments.count, ok["payments"]!.array.count, name)
            } catch let error as BcpayError {
                guard let want = expect["error"] else { XCTFail("\(name): \(error)"); continue }
                XCTAssertEqual(wireName(error.details.kind), want["kind"]!.string, name)
                if let code = want["code"] { XCTAssertEqual(error.details.code, code.int, name) }
                if let message = want["shopper_message"] { XCTAssertEqual(error.details.shopperMessage, message.string, name) }
            }
        }
    }

    func testRequestBodiesAndChecksShowNoCardData() throws {
        let body = try buildPaymentRequest(orderId: 215, payments: [card("4242424242424242", cvv: "987")], timeBudgetMs: nil, nowMs: 1795219200000)
        for shown in ["\(body)", String(describing: body), String(reflecting: body)] {
            XCTAssertFalse(shown.contains("4242424242424242") || shown.contains("987"), shown)
        }
        let check = "\(relay.checkCard(number: "4242424242424242", cardholderName: "Jane Doe", expiryMonth: "12", expiryYear: "30", verificationValue: "987"))"
        XCTAssertFalse(check.contains("4242424242424242") || check.contains("987"), check)
    }
}
