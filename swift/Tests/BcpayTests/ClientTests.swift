import Bcpay
import Foundation
import XCTest

/// End to end over the default URLSession transport, each test against a sandbox of its own.
final class ClientTests: XCTestCase {
    private func storedToken(_ c: Client, _ orderId: Int64, method: String, type: String, email: String? = nil) async throws -> String {
        let methods = try await c.getPaymentMethods(orderId: orderId)
        let m = try XCTUnwrap(methods.first { $0.id == method })
        return try XCTUnwrap(m.storedInstruments.first { $0.instrumentType == type && (email == nil || $0.email == email) }).token
    }

    func testNewCardStoredCardPaypalAndGiftCertificateSplit() async throws {
        let s = try Sandbox()
        defer { s.stop() }
        let c = try s.client()

        var id = try await s.order()
        let receipt = try await c.pay(orderId: id, payment: card())
        XCTAssertEqual(receipt.payments.first?.transactionType, "purchase")
        let status = try await c.getOrder(orderId: id).statusId
        XCTAssertEqual(status, 11)

        id = try await s.order(customerId: 11)
        let cardToken = try await storedToken(c, id, method: "stripe.card", type: "stored_card")
        _ = try await c.pay(orderId: id, payment: Payment(
            instrument: .storedCard(token: cardToken, verificationValue: VerificationValue(digits: "123")), paymentMethodId: "stripe.card", saveInstrument: false))
        var charges = try await s.charges(id)
        XCTAssertEqual(charges.map { $0["instrument_type"]?.string }, ["stored_card"])

        id = try await s.order(customerId: 11)
        let paypal = try await storedToken(c, id, method: "braintree.paypal", type: "stored_paypal_account", email: "jane@example.com")
        _ = try await c.pay(orderId: id, payment: Payment(instrument: .storedPaypalAccount(token: paypal), paymentMethodId: "braintree.paypal", saveInstrument: false))
        charges = try await s.charges(id)
        XCTAssertEqual(charges.map { $0["instrument_type"]?.string }, ["stored_paypal_account"])

        id = try await s.order(price: 80)
        let split = try await c.pay(orderId: id, payments: [
            Payment(instrument: .giftCertificate(giftCertificateCode: "GC-25-OFF"), paymentMethodId: "bigcommerce.gift_certificate", saveInstrument: false),
            card("5555555555554444"),
        ])
        XCTAssertEqual(split.payments.count, 2)
        let tx = try await c.getTransactions(orderId: id)
        XCTAssertEqual(tx.map(\.method), ["gift_certificate", "credit_card"])
        XCTAssertEqual(tx.map(\.amount), ["25.00", "55.00"])
    }

    func testDeclineIsTypedAndShowsNoCardNumber() async throws {
        let s = try Sandbox()
        defer { s.stop() }
        let id = try await s.order()
        do {
            _ = try await s.client().pay(orderId: id, payment: card("4000000000000002"))
            XCTFail("expected a decline")
        } catch let e as BcpayError {
            guard case .Declined(let d) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(d.code, 30102)
            let shown = "\(e) \(String(reflecting: e)) \(e.localizedDescription) \(d)"
            XCTAssertFalse(shown.contains("4000000000000002"), shown)
            // A sentence from the core, not a dump of the record.
            XCTAssertTrue(e.localizedDescription.hasPrefix("declined: "), e.localizedDescription)
            XCTAssertFalse(e.localizedDescription.contains("ErrorDetails("), e.localizedDescription)
        }
        let charges = try await s.charges(id)
        XCTAssertEqual(charges.count, 0)
    }

    /// The documented codes only the sandbox's trigger cards and orders reach
    /// (`tests/sandbox/documented_codes.json`, shared with every host).
    func testDocumentedCodesFromTheSandboxTriggers() async throws {
        let s = try Sandbox()
        defer { s.stop() }
        var options = defaultFlowOptions()
        options.backoffBaseMs = 1
        options.backoffCapMs = 5
        let c = try s.client(flowOptions: options)
        let cases = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: vectorsDir.appendingPathComponent("../sandbox/documented_codes.json")))
        for one in cases["cases"]!.array {
            let name = one["name"]!.string!
            let id = try await s.rawOrder(cases["base_order"]!.object, one["order"]!.object)
            let p = one["payment"]!
            var payment = card(p["instrument"]!["number"]!.string!)
            payment.saveInstrument = p["save_instrument"]?.bool ?? false
            let expect = one["expect"]!
            do {
                _ = try await c.pay(orderId: id, payment: payment)
                XCTFail("\(name): paid")
            } catch let e as BcpayError {
                let d = e.details
                XCTAssertEqual(wireName(d.kind), expect["kind"]!.string!, name)
                XCTAssertEqual(d.code, expect["code"]!.int!, name)
                XCTAssertEqual(String(wireName(d.retry).prefix { $0 != "(" }), expect["retry"]!.string!, name)
                XCTAssertEqual(d.shopperMessage, expect["shopper_message"]!.string!, name)
            }
            let charges = try await s.charges(id)
            XCTAssertEqual(charges.count, Int(expect["charged"]!.int!), name)
        }
    }

    func testA429IsWaitedOut() async throws {
        let s = try Sandbox()
        defer { s.stop() }
        let id = try await s.order()
        _ = try await s.admin("faults", #"{"burst_429": 0.5, "seed": 3}"#)
        let receipt = try await s.client().pay(orderId: id, payment: card())
        _ = try await s.admin("faults", "{}")
        XCTAssertEqual(receipt.payments.count, 1)
        let ledger = try await s.admin("ledger")
        XCTAssertGreaterThan(ledger["faults_injected"]?["burst_429"]?.int ?? 0, 0, "the sandbox answered 429 at least once")
        let charges = try await s.charges(id)
        XCTAssertEqual(charges.count, 1)
    }

    func testTimeoutAfterCommitIsReconciledWithExactlyOneCharge() async throws {
        let s = try Sandbox()
        defer { s.stop() }
        let id = try await s.order()
        _ = try await s.admin("faults", #"{"slow": 1, "slow_ms": 1500}"#)
        var options = defaultFlowOptions()
        options.reconcileDelayMs = 100
        let started = Date()
        let receipt = try await s.client(flowOptions: options, timeoutMs: 300).pay(orderId: id, payment: card())
        _ = try await s.admin("faults", "{}")
        XCTAssertEqual(receipt.payments.first?.reconciled, true)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.4, "the client's deadline, not the server's answer, ended the request")
        let charges = try await s.charges(id)
        XCTAssertEqual(charges.count, 1)
        let ledger = try await s.admin("ledger")
        XCTAssertEqual(ledger["double_charges"]?.int, 0)
    }

    func testCancellingDuringTheSettleWaitIsAnAmbiguousBcpayError() async throws {
        let s = try Sandbox()
        defer { s.stop() }
        let id = try await s.order()
        _ = try await s.admin("faults", #"{"slow": 1, "slow_ms": 1500}"#)
        var options = defaultFlowOptions()
        options.reconcileDelayMs = 5_000
        let client = try s.client(flowOptions: options, timeoutMs: 300)
        let task = Task { try await client.pay(orderId: id, payment: card()) }
        try await Task.sleep(nanoseconds: 1_000_000_000)
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("expected a cancellation")
        } catch let e as BcpayError {
            guard case .AmbiguousOutcome(let d) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(d.endpoint, .processPayment)
        } catch {
            XCTFail("a cancelled payment must end in a BcpayError, got \(error)")
        }
        _ = try await s.admin("faults", "{}")
    }

    func testCancellingBeforeAnyPaymentIsCancelled() async throws {
        let s = try Sandbox()
        defer { s.stop() }
        let id = try await s.order()
        _ = try await s.admin("faults", #"{"trickle_ms": 1000}"#)
        let client = try s.client(timeoutMs: 10_000)
        let task = Task { try await client.pay(orderId: id, payment: card()) }
        try await Task.sleep(nanoseconds: 300_000_000)
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("expected a cancellation")
        } catch let e as BcpayError {
            guard case .Cancelled = e else { return XCTFail("\(e)") }
        }
        _ = try await s.admin("faults", "{}")
    }

    /// Both management calls answer 301 and the first ends the payment, so the request beside it
    /// is cancelled while Linux Foundation may be waiting for the delegate's word on its redirect:
    /// cancelling a task in that state crashed the process (swift-corelibs-foundation checks its
    /// state when the word arrives). Many payments, so the race is met.
    func testCancellingARequestThatIsBeingRedirectedDoesNotCrash() async throws {
        let s = try Sandbox()
        defer { s.stop() }
        let c = try s.client()
        var orders: [Int64] = []
        for _ in 0..<60 { orders.append(try await s.order()) }
        _ = try await s.admin("faults", #"{"redirect_management": 301}"#)
        for id in orders {
            do {
                _ = try await c.pay(orderId: id, payment: card())
                XCTFail("a 301 was taken as success")
            } catch let e as BcpayError {
                XCTAssertEqual(e.details.status, 301)
            }
        }
    }

    func testSecretsNeverInTextForms() {
        let number = CardNumber(digits: "4000056655665556")
        var dumped = ""
        dump(card("4000056655665556"), to: &dumped)
        let shown = "\(number) \(String(reflecting: number)) \(card("4000056655665556")) \(VerificationValue(digits: "918")) \(dumped)"
        XCTAssertFalse(shown.contains("4000056655665556"))
        XCTAssertFalse(shown.contains("918"))
        XCTAssertTrue(shown.contains("5556"))
        // Reflection sees no field of card data (its bytes would dump as numbers).
        XCTAssertTrue(Mirror(reflecting: number).children.isEmpty)
        XCTAssertTrue(Mirror(reflecting: VerificationValue(digits: "918")).children.isEmpty)
    }
}
