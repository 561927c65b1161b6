import Bcpay
import Foundation
import XCTest

/// Every conformance vector in `tests/vectors/` (format: its README).
final class VectorsTests: XCTestCase {
    private func core(_ config: JSON?, maxResponseBytes: Int64? = nil) throws -> CoreApi {
        try CoreApi(
            storeHash: config?["store_hash"]?.string ?? "abc123", apiToken: config?["api_token"]?.string ?? "t",
            options: ClientOptions(host: config?["host"]?.string, maxResponseBytes: maxResponseBytes))
    }

    func testBuild() throws {
        let doc = try loadVectors("build.json")
        let api = try core(doc["config"])
        for c in doc["cases"]!.array {
            let name = c["name"]!.string!
            let expect = c["expect"]!
            do {
                let r = try api.buildJson(call: c["call"]!.string!, inputJson: c["input"]!.text)
                XCTAssertNil(expect["error"], name)
                XCTAssertEqual(r.method(), expect["method"]?.string, name)
                XCTAssertEqual(r.url(), expect["url"]?.string, name)
                var headers: [String: String] = [:]
                for n in r.headerNames() { headers[n.lowercased()] = r.header(name: n) }
                let ua = headers.removeValue(forKey: "user-agent") ?? ""
                XCTAssertTrue(ua.hasPrefix("bcpay/") && ua.hasSuffix(" (vectors)"), name)
                XCTAssertEqual(headers, (expect["headers"]?.object ?? [:]).mapValues { $0.string ?? "" }, name)
                XCTAssertEqual(r.body().flatMap(parseJSON) ?? .null, expect["body"] ?? .null, name)
            } catch {
                guard let expected = expect["error"] else { XCTFail("\(name): \(error)"); continue }
                assertError(expected, error)
            }
        }
    }

    func testParse() throws {
        let doc = try loadVectors("parse.json")
        for c in doc["cases"]!.array {
            let name = c["name"]!.string!
            let api = try core(doc["config"], maxResponseBytes: c["max_response_bytes"]?.int)
            let response = responseOf(c["response"]!)
            let context = c["context"] ?? .object([:])
            let expect = c["expect"]!
            let id = "req-vector"
            do {
                let result: Any?
                switch c["call"]!.string! {
                case "get_payment_methods": result = try api.parseGetPaymentMethods(requestId: id, response: response)
                case "create_payment_access_token": result = try api.parseCreateAccessToken(requestId: id, response: response, nowMs: context["now_ms"]!.u64!)
                case "process_payment":
                    result = try api.parseProcessPayment(requestId: id, response: response, paymentMethodId: context["payment_method_id"]!.string!)
                case "create_order": result = try api.parseCreateOrder(requestId: id, response: response)
                case "get_order": result = try api.parseGetOrder(requestId: id, response: response)
                case "get_order_transactions": result = try api.parseGetTransactions(requestId: id, response: response)
                case "capture_payment": try api.parsePaymentAction(endpoint: .capturePayment, requestId: id, response: response); result = nil
                case "void_payment": try api.parsePaymentAction(endpoint: .voidPayment, requestId: id, response: response); result = nil
                case "create_refund_quote": result = try api.parseCreateRefundQuote(requestId: id, response: response)
                case "create_refund": result = try api.parseCreateRefund(requestId: id, response: response)
                case "list_refunds": result = try api.parseListRefunds(requestId: id, response: response)
                case "get_stored_instruments": result = try api.parseGetStoredInstruments(requestId: id, response: response)
                default: XCTFail("\(name): unknown call"); continue
                }
                XCTAssertNil(expect["error"], name)
                assertSubset(expect["ok"] ?? .null, result, name)
            } catch {
                guard let expected = expect["error"] else { XCTFail("\(name): \(error)"); continue }
                assertError(expected, error)
            }
        }
    }

    func testValidate() throws {
        let doc = try loadVectors("validate.json")
        for c in doc["cases"]!.array {
            let payments: JSON = c["payment"].map { .array([$0]) } ?? c["payments"]!
            let errors = try validatePaymentsJson(paymentsJson: payments.text, nowMs: c["now_ms"]!.u64!, methodsJson: c["methods"]?.text)
            XCTAssertEqual(pairs(errors), pairs(c["expect_errors"]!, camel: false), c["name"]!.string!)
        }
    }

    func testFlow() throws {
        let doc = try loadVectors("flow.json")
        for c in doc["cases"]!.array {
            let name = c["name"]!.string!
            // A core (so a rate limiter) per case, as every host's runner does: one case's 429
            // must not hold up the next.
            let api = try core(doc["config"])
            var now = c["now_ms"]!.u64!
            let flow = try api.newFlow(
                orderId: c["order_id"]!.int!, payments: c["payments"]!.array.map(paymentOf),
                options: flowOptionsOf(c["options"]!), nowMs: now, seed: c["seed"]!.u64!)
            for (i, step) in c["script"]!.array.enumerated() {
                let expect = step["expect"]!
                let at = "\(name) step \(i)"
                var action = flow.poll(nowMs: now)
                while expect["wait"] == nil, case .wait(let until) = action {
                    now = until
                    action = flow.poll(nowMs: now)
                }
                switch action {
                case .send(let r, _):
                    XCTAssertEqual(snake("\(r.endpoint())"), expect["send"]?.string, at)
                    if let notAfter = expect["not_after_ms"]?.u64 { XCTAssertLessThanOrEqual(now, notAfter, at) }
                    if let respond = step["respond"] {
                        flow.onResponse(requestId: r.requestId(), response: responseOf(respond), nowMs: now)
                    } else if let fail = step["fail"]?.string {
                        let failure: TransportFailure = fail == "not_sent" ? .notSent : fail == "maybe_sent" ? .maybeSent : .timedOut
                        flow.onTransportFailure(requestId: r.requestId(), failure: failure, cause: nil, nowMs: now)
                    }
                case .wait(let until):
                    guard let w = expect["wait"] else { XCTFail("\(at): unexpected wait"); continue }
                    XCTAssertTrue(until >= w["min"]!.u64! && until <= w["max"]!.u64!, "\(at): wait until \(until), expected \(w.text)")
                    now = until
                case .awaiting(let id):
                    XCTAssertEqual(expect["awaiting"]?.bool, true, at)
                    if let respond = step["respond"] {
                        flow.onResponse(requestId: id, response: responseOf(respond), nowMs: now)
                    } else if let fail = step["fail"]?.string {
                        let failure: TransportFailure = fail == "not_sent" ? .notSent : fail == "maybe_sent" ? .maybeSent : .timedOut
                        flow.onTransportFailure(requestId: id, failure: failure, cause: nil, nowMs: now)
                    }
                case .done(let output):
                    guard let done = expect["done"] else { XCTFail("\(at): unexpected done"); continue }
                    guard case .receipt(let receipt) = output else { XCTFail("\(at): not a receipt: \(output)"); continue }
                    assertSubset(done, receipt, at)
                case .failed(let error):
                    guard let failed = expect["failed"] else { XCTFail("\(at): unexpected failure \(error)"); continue }
                    assertError(failed, error)
                }
            }
        }
    }
}

/// `capturePayment` → `capture_payment`.
private func snake(_ s: String) -> String {
    s.reduce(into: "") { out, ch in
        if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
    }
}
