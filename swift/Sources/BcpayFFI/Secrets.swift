// Card data: the package's own classes for the core's `CardNumber` and `VerificationValue`
// (uniffi custom types, see bindings/uniffi/uniffi.toml). They cross to the core as UTF-8 bytes
// inside the payment; their text forms are the core's redaction.
import Foundation

/// What card data shares: it prints only the core's redaction, shows no field to `dump` or
/// `Mirror`, and equals only itself (comparing digits would be a timing channel).
public protocol CardSecret: AnyObject, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {}

extension CardSecret {
    public static func == (a: Self, b: Self) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
    public var debugDescription: String { "\(Self.self)(\(description))" }
}

/// A card number (spaces and dashes are ignored); prints at most its last four digits. Its bytes
/// are wiped when it is freed; the `String` you pass in is yours.
public final class CardNumber: CardSecret, @unchecked Sendable {
    // Never mutated but by its own deinit: safe to share.
    private let stored: WipedBytes

    public init(digits: String) { stored = WipedBytes(Array(digits.utf8)) }

    /// What uniffi's converter makes of bytes from the core (which it never sends).
    init(bytes: Data) { stored = WipedBytes(Array(bytes)) }

    /// The bytes uniffi's converter writes into the payment.
    var data: Data { Data(stored.bytes) }

    public var description: String { describeCardNumber(number: self) }
}

/// A card verification value (CVV/CVC); never printed. Its bytes are wiped when it is freed.
public final class VerificationValue: CardSecret, @unchecked Sendable {
    // Never mutated but by its own deinit: safe to share.
    private let stored: WipedBytes

    public init(digits: String) { stored = WipedBytes(Array(digits.utf8)) }

    /// What uniffi's converter makes of bytes from the core (which it never sends).
    init(bytes: Data) { stored = WipedBytes(Array(bytes)) }

    /// The bytes uniffi's converter writes into the payment.
    var data: Data { Data(stored.bytes) }

    public var description: String { describeVerificationValue(value: self) }
}

/// Bytes zeroed in place when freed.
final class WipedBytes {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    deinit {
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            memset(base, 0, raw.count)
        }
    }
}
