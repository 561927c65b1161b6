import Bcpay
import Foundation
import XCTest

/// The repository's `tests/vectors` (BCPAY_VECTORS overrides).
let vectorsDir: URL = ProcessInfo.processInfo.environment["BCPAY_VECTORS"].map { URL(fileURLWithPath: $0) }
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../tests/vectors").standardizedFileURL

/// A JSON value decoded with Codable, so numbers, booleans and null read the same on every
/// platform (JSONSerialization's NSNumber bridging differs between Darwin and Linux).
enum JSONValue: Codable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): if n == n.rounded() && abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    subscript(key: String) -> JSONValue? { if case .object(let o) = self { return o[key] } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var int: Int64? { if case .number(let n) = self { return Int64(n) } else { return nil } }
    var u64: UInt64? { int.map { UInt64($0) } }
    var double: Double? { if case .number(let n) = self { return n } else { return nil } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var array: [JSONValue] { if case .array(let a) = self { return a } else { return [] } }
    var object: [String: JSONValue] { if case .object(let o) = self { return o } else { return [:] } }
    var isNull: Bool { self == .null }
    /// Compact JSON text.
    var text: String { String(decoding: try! JSONEncoder().encode(self), as: UTF8.self) }
}

typealias JSON = JSONValue

func loadVectors(_ name: String) throws -> JSON {
    try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: vectorsDir.appendingPathComponent(name)))
}

func parseJSON(_ data: Data) -> JSON? { try? JSONDecoder().decode(JSONValue.self, from: data) }

/// A vector's response: `body` serialized compactly, or `body_text` byte for byte.
func responseOf(_ r: JSON) -> HttpResponse {
    let body = r["body_text"]?.string.map { Data($0.utf8) } ?? Data((r["body"] ?? .null).text.utf8)
    let headers = (r["headers"]?.object ?? [:]).map { Header(name: $0.key, value: $0.value.string ?? "") }
    return HttpResponse(status: Int32(r["status"]!.int!), headers: headers, body: body)
}

/// A typed payment from its wire JSON (snake_case, as in the vectors).
func paymentOf(_ p: JSON) -> Payment {
    let i = p["instrument"]!
    let cvv = i["verification_value"]?.string.map { VerificationValue(digits: $0) }
    let token = i["token"]?.string ?? ""
    let instrument: PaymentInstrument
    switch i["type"]?.string {
    case "card":
        instrument = .card(
            number: CardNumber(digits: i["number"]!.string!), cardholderName: i["cardholder_name"]?.string ?? "",
            expiryMonth: i["expiry_month"]?.int, expiryYear: i["expiry_year"]?.int, verificationValue: cvv,
            issueMonth: i["issue_month"]?.int, issueYear: i["issue_year"]?.int, issueNumber: i["issue_number"]?.int)
    case "stored_card": instrument = .storedCard(token: token, verificationValue: cvv)
    case "stored_paypal_account": instrument = .storedPaypalAccount(token: token)
    case "stored_bank_account": instrument = .storedBankAccount(token: token)
    case "gift_certificate": instrument = .giftCertificate(giftCertificateCode: i["gift_certificate_code"]!.string!)
    case "store_credit": instrument = .storeCredit
    default:
        instrument = .tokenizedCard(
            token: token, iin: i["iin"]?.string, lastFourDigits: i["last_four_digits"]?.string,
            expirationMonth: i["expiration_month"]?.string, expirationYear: i["expiration_year"]?.string)
    }
    return Payment(instrument: instrument, paymentMethodId: p["payment_method_id"]!.string!, saveInstrument: p["save_instrument"]?.bool ?? false)
}

/// Default flow options with the vector's overrides.
func flowOptionsOf(_ o: JSON) -> FlowOptions {
    var f = defaultFlowOptions()
    for (key, v) in o.object {
        switch key {
        case "fetch_methods": f.fetchMethods = v.bool!
        case "reconcile": f.reconcile = v.bool!
        case "max_attempts": f.maxAttempts = Int32(v.int!)
        case "backoff_base_ms": f.backoffBaseMs = v.int!
        case "backoff_cap_ms": f.backoffCapMs = v.int!
        case "pat_refresh_margin_ms": f.patRefreshMarginMs = v.int!
        case "reconcile_delay_ms": f.reconcileDelayMs = v.int!
        case "settle_window_ms": f.settleWindowMs = v.int!
        case "time_budget_ms": f.timeBudgetMs = v.int!
        case "resend_when_unrecorded": f.resendWhenUnrecorded = v.bool!
        case "max_transaction_pages": f.maxTransactionPages = Int32(v.int!)
        case "is_recurring": f.isRecurring = v.bool!
        default: XCTFail("unknown flow option \(key)")
        }
    }
    return f
}

private func camel(_ key: String) -> String {
    let parts = key.split(separator: "_").map(String.init)
    return parts.enumerated().map { $0.offset == 0 ? $0.element : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
}

private let aliases = ["type": ["methodType", "instrumentType"]]

private func unwrapOptional(_ v: Any) -> Any? {
    let m = Mirror(reflecting: v)
    guard m.displayStyle == .optional else { return v }
    return m.children.first.map { unwrapOptional($0.value) } ?? nil
}

/// The value at wire key `key` of a generated record or object.
func valueAt(_ obj: Any, _ key: String) -> Any? {
    if key == "has_next", let page = obj as? TransactionPage { return hasNextPage(page: page) }
    if let token = obj as? PaymentAccessToken {
        switch key {
        case "claims": return token.claims()
        case "received_at_ms": return token.receivedAtMs()
        case "expires_at_ms": return token.expiresAtMs()
        default: break
        }
    }
    let names = [camel(key)] + (aliases[key] ?? [])
    for child in Mirror(reflecting: obj).children where names.contains(child.label ?? "") {
        return unwrapOptional(child.value)
    }
    XCTFail("\(type(of: obj)) has no field for '\(key)'")
    return nil
}

private func normalized(_ s: String) -> String { s.replacingOccurrences(of: "_", with: "").lowercased() }

/// The subset match of `tests/vectors/README.md`.
func assertSubset(_ expected: JSON, _ actual: Any?, _ path: String = "$", file: StaticString = #filePath, line: UInt = #line) {
    let actual = actual.flatMap(unwrapOptional)
    switch expected {
    case .null:
        XCTAssertTrue(actual == nil || actual is Void, "\(path): expected null, got \(String(describing: actual))", file: file, line: line)
    case .object(let object):
        guard let actual else { return XCTFail("\(path): missing", file: file, line: line) }
        for (key, value) in object { assertSubset(value, valueAt(actual, key), "\(path).\(key)", file: file, line: line) }
    case .array(let array):
        guard let actual, Mirror(reflecting: actual).displayStyle == .collection else {
            return XCTFail("\(path): not a list", file: file, line: line)
        }
        let list = Mirror(reflecting: actual).children.map(\.value)
        XCTAssertEqual(list.count, array.count, "\(path): length", file: file, line: line)
        for (i, (e, a)) in zip(array, list).enumerated() { assertSubset(e, a, "\(path)[\(i)]", file: file, line: line) }
    case .bool(let b):
        XCTAssertEqual(actual as? Bool, b, path, file: file, line: line)
    case .number(let n):
        let text = actual.map { "\($0)" } ?? "nil"
        XCTAssertEqual(Double(text), n, "\(path): \(text) != \(n)", file: file, line: line)
    case .string(let text):
        XCTAssertEqual(actual.map { normalized("\($0)") }, normalized(text), path, file: file, line: line)
    }
}

func pairs(_ errors: [FieldError]) -> [String] { errors.map { "\($0.path) \($0.code)" }.sorted() }
func pairs(_ errors: JSON, camel: Bool = true) -> [String] {
    errors.array.map { "\((camel ? camelPath : { $0 })($0["path"]?.string ?? "")) \($0["code"]?.string ?? "")" }.sorted()
}

/// A core field path in the names Swift gives the fields (`verification_value` → `verificationValue`).
func camelPath(_ path: String) -> String {
    var out = ""
    var upper = false
    for c in path {
        if c == "_" { upper = true } else if upper { out += c.uppercased(); upper = false } else { out.append(c) }
    }
    return out
}

/// Checks an error against a vector's expected error (a subset of the core's error).
func assertError(_ expected: JSON, _ error: Error?, file: StaticString = #filePath, line: UInt = #line) {
    guard let e = error as? BcpayError else { return XCTFail("not a BcpayError: \(String(describing: error))", file: file, line: line) }
    let d = e.details
    for (key, value) in expected.object {
        switch key {
        case "field_errors": XCTAssertEqual(pairs(value), pairs(d.fieldErrors), file: file, line: line)
        case "retry":
            let r = value
            let (type, ms): (String, Int64?) = {
                switch d.retry {
                case .never: return ("never", nil)
                case .after(let ms): return ("after", ms)
                case .withNewToken: return ("with_new_token", nil)
                case .reconcile: return ("reconcile", nil)
                }
            }()
            XCTAssertEqual(type, r["type"]?.string, file: file, line: line)
            XCTAssertEqual(ms, r["ms"]?.int, file: file, line: line)
        default: assertSubset(value, valueAt(d, key), "error.\(key)", file: file, line: line)
        }
    }
}

/// A Swift enum case's wire name (`ambiguousOutcome` → `ambiguous_outcome`).
func wireName(_ e: Any) -> String {
    var out = ""
    for c in "\(e)" {
        if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
    }
    return out
}

/// What an event listener heard, in order (listeners run on the driving task's thread).
final class Heard: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [String] = []
    func add(_ line: String) { lock.lock(); all.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return all }
}
