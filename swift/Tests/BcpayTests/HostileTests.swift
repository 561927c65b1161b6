import Bcpay
import Foundation
import XCTest

/// The hostile world (tests/hostile/scenarios.json) against the Swift client and its default
/// URLSession transport: each scenario on its own sandbox.
final class HostileTests: XCTestCase {
    private func world() throws -> JSON {
        try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: vectorsDir.appendingPathComponent("../hostile/scenarios.json")))
    }

    /// Runs one scenario; returns why it failed, or nil.
    private static func run(_ scenario: JSON, payment: JSON, secrets: [String]) async throws -> String? {
        let name = scenario["name"]!.string!
        let expect = scenario["expect"]!
        let s = try await Sandbox.start()
        defer { s.stopDetached() }
        let id = try await s.order(price: 20)
        let before = try await s.admin("ledger")
        _ = try await s.admin("faults", scenario["faults"]!.text)
        let client = try s.client(flowOptions: flowOptionsOf(scenario["options"] ?? .object([:])), timeoutMs: scenario["timeout_ms"]?.int ?? 10_000)
        let heard = Heard()
        client.eventListener = { heard.add("\($0)") }
        let started = Date()
        var receipt: PaymentReceipt?
        var failure: Error?
        do {
            receipt = try await client.pay(orderId: id, payment: paymentOf(payment))
        } catch {
            failure = error
        }
        let seconds = Date().timeIntervalSince(started)
        _ = try await s.admin("faults", "{}")
        let ledger = try await s.admin("ledger")
        if expect["outcome"]?.string == "paid" {
            guard let receipt else { return "\(name): expected paid, got \(String(describing: failure))" }
            if let r = expect["reconciled"]?.bool, receipt.payments.first?.reconciled != r { return "\(name): reconciled \(!r)" }
        } else {
            guard let e = failure as? BcpayError else { return "\(name): expected a BcpayError, got \(String(describing: failure ?? receipt as Any))" }
            let d = e.details
            if "\(d.kind)".lowercased() != expect["kind"]!.string!.replacingOccurrences(of: "_", with: "") {
                return "\(name): expected \(expect["kind"]!.string!), got \(e)"
            }
            if let status = expect["status"]?.int, d.status.map(Int64.init) != status { return "\(name): status \(String(describing: d.status))" }
            if let ms = expect["retry_after_ms"]?.u64 {
                guard case .after(let got) = d.retry, got <= ms, got + 1000 >= ms else { return "\(name): retry \(d.retry)" }
            }
            let texts = ([d.title, d.detail ?? ""] + d.fieldErrors.flatMap { [$0.path, $0.description] }).joined(separator: " ")
            for secret in secrets where texts.contains(secret) || (secret.count > 3 && "\(e)".contains(secret)) {
                return "\(name): a secret leaked into the error: \(texts)"
            }
        }
        // Every event the listener heard, printed whole, holds no secret either.
        let events = heard.lines
        if events.isEmpty { return "\(name): the listener heard no event" }
        for secret in secrets where secret.count > 3 {
            if let leak = events.first(where: { $0.contains(secret) }) { return "\(name): a secret leaked in an event: \(leak)" }
        }
        let charges = ledger["orders"]!.array.first { $0["order_id"]?.int == id }?["charges"]?.array.count ?? 0
        if charges != Int(expect["charges"]!.int!) { return "\(name): \(charges) charges" }
        if ledger["double_charges"]?.int != 0 { return "\(name): double charges" }
        if ledger["trap_hits"]?.int != 0 { return "\(name): a redirect was followed: \(ledger["trap"]!.text)" }
        for (call, want) in expect["requests"]?.object ?? [:] {
            let n = (ledger["requests"]?[call]?.int ?? 0) - (before["requests"]?[call]?.int ?? 0)
            if n != want.int! { return "\(name): \(n) \(call) requests, expected \(want.int!)" }
        }
        if seconds > Double(expect["max_seconds"]!.int!) { return "\(name): took \(seconds) s" }
        return nil
    }

    func testEveryHostileScenario() async throws {
        let doc = try world()
        let payment = doc["payment"]!
        let secrets = doc["secrets"]!.array.compactMap(\.string)
        // One scenario at a time: Linux Foundation delivers every URLSession's events on shared
        // threads, so the endless-body scenario, run alongside, starved the others' requests for
        // up to a minute on a loaded two-core machine and broke their time ceilings.
        var failures: [String] = []
        for scenario in doc["scenarios"]!.array {
            if let f = try await Self.run(scenario, payment: payment, secrets: secrets) { failures.append(f) }
        }
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
    }

    func testInsecureBaseUrlsAreRefusedBeforeAnyRequest() throws {
        for config in try world()["configs"]!.array {
            let options = ClientOptions(apiBase: config["api_base"]?.string, paymentsBase: config["payments_base"]?.string)
            XCTAssertThrowsError(try Client(storeHash: "abc123", apiToken: "t", options: options)) { error in
                guard let e = error as? BcpayError, case .Configuration(let d) = e else { return XCTFail("\(error)") }
                XCTAssertEqual(d.fieldErrors.first?.path, config["expect"]?["field"]?.string.map(camelPath))
                XCTAssertEqual(d.fieldErrors.first?.code, config["expect"]?["code"]?.string)
            }
        }
    }
}
