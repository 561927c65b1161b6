import Bcpay
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// Starts `binary` with `arguments` and returns it with the first line it prints (where it listens).
/// Its stdin is a pipe this process holds (the process keeps it as `standardInput`), and the
/// server stops when that closes: were this process to crash, the server would otherwise live on
/// holding the inherited stderr, and `swift test` would wait for that output's end for ever.
func spawn(_ binary: String, _ arguments: [String]) throws -> (Process, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = arguments + ["--stop-when-stdin-closes"]
    p.standardInput = Pipe()
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    var line = Data()
    while let byte = try out.fileHandleForReading.read(upToCount: 1), let b = byte.first, b != 10 { line.append(b) }
    return (p, String(decoding: line, as: UTF8.self))
}

/// A sandbox process of its own (BCPAY_SANDBOX_BIN names the binary), stopped on `stop()`.
final class Sandbox: @unchecked Sendable {
    let url: String
    private let process: Process

    init() throws {
        let binary = ProcessInfo.processInfo.environment["BCPAY_SANDBOX_BIN"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../target/debug/bcpay-sandbox").standardizedFileURL.path
        let (p, line) = try spawn(binary, ["--port", "0"])
        url = line.components(separatedBy: " ").last ?? ""
        process = p
    }

    /// Starts a sandbox on a thread of its own: `init` blocks reading the process's first line, and
    /// a blocked thread of Swift's small cooperative pool (two threads on a two-core machine)
    /// stalls every other task, such as the hostile scenarios' clients, for as long.
    static func start() async throws -> Sandbox {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try Sandbox() }) }.start()
        }
    }

    /// ``stop()`` on a thread of its own (see ``start()``).
    func stopDetached() {
        Thread { self.stop() }.start()
    }

    /// SIGKILL, not `terminate()`'s SIGTERM: a process spawned from a Dispatch worker thread
    /// inherits its blocked signals, SIGTERM among them, and would never stop.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A client of this sandbox.
    func client(flowOptions: FlowOptions = defaultFlowOptions(), timeoutMs: Int64? = nil) throws -> Client {
        try Client(
            storeHash: "abc123", apiToken: "sandbox-token",
            options: ClientOptions(apiBase: url, paymentsBase: url, timeoutMs: timeoutMs), flowOptions: flowOptions)
    }

    /// `GET` (or, with a body, `POST`) `/__sandbox/<path>`.
    func admin(_ path: String, _ body: String? = nil) async throws -> JSON {
        var request = URLRequest(url: URL(string: "\(url)/__sandbox/\(path)")!)
        if let body {
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "content-type")
        }
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            URLSession(configuration: .ephemeral).dataTask(with: request) { data, _, error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: data ?? Data()) }
            }.resume()
        }
        return parseJSON(data) ?? .null
    }

    /// The ledger's charges of `orderId`.
    func charges(_ orderId: Int64) async throws -> [JSON] {
        try await admin("ledger")["orders"]!.array.first { $0["order_id"]?.int == orderId }?["charges"]?.array ?? []
    }

    /// The order `base` created over plain HTTP with `extra` fields merged in: the sandbox's
    /// triggers (`total_inc_tax`, `staff_notes`), which are not bcpay inputs.
    func rawOrder(_ base: [String: JSON], _ extra: [String: JSON]) async throws -> Int64 {
        var body = base
        body.merge(extra) { $1 }
        var request = URLRequest(url: URL(string: "\(url)/stores/abc123/v2/orders")!)
        request.httpMethod = "POST"
        request.httpBody = Data(JSON.object(body).text.utf8)
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.setValue("sandbox-token", forHTTPHeaderField: "x-auth-token")
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            URLSession(configuration: .ephemeral).dataTask(with: request) { data, _, error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: data ?? Data()) }
            }.resume()
        }
        return try XCTUnwrap(parseJSON(data)?["id"]?.int)
    }

    /// A $`price` Incomplete order for `customerId` (0: a guest).
    func order(customerId: Int64 = 0, price: Double = 40) async throws -> Int64 {
        let address = BillingAddress(
            firstName: "Jane", lastName: "Doe", company: nil, street1: "1 Main St", street2: nil, city: "Austin", state: "Texas",
            zip: "78751", country: "United States", countryIso2: "US", email: "jane@example.com", phone: nil)
        let product = OrderProduct(productId: nil, variantId: nil, name: "Poster", quantity: 1, priceIncTax: price, priceExTax: price, sku: nil)
        let o = try await client().createOrder(NewOrder(customerId: customerId, billingAddress: address, products: [product], defaultCurrencyCode: nil))
        XCTAssertEqual(o.statusId, 0)
        return o.id
    }
}

func card(_ number: String = "4242424242424242", cvv: String = "123") -> Payment {
    Payment(
        instrument: .card(
            number: CardNumber(digits: number), cardholderName: "Jane Doe", expiryMonth: 12, expiryYear: 2030,
            verificationValue: VerificationValue(digits: cvv), issueMonth: nil, issueYear: nil, issueNumber: nil),
        paymentMethodId: "stripe.card", saveInstrument: false)
}
