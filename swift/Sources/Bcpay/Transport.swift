import BcpayFFI
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Thrown by a ``Transport`` when a request got no response. `failure` tells the core whether the
/// server may have seen it: a payment is resent only when it certainly was not.
public struct TransportFailureError: Error, CustomStringConvertible {
    public let failure: TransportFailure
    public let underlying: Error?

    public init(_ failure: TransportFailure, underlying: Error? = nil) {
        self.failure = failure
        self.underlying = underlying
    }

    public var description: String { "transport failure: \(failure)" }
}

/// Sends one request built by the core, exactly as built, and returns the server's answer.
///
/// When no response arrives, throw ``TransportFailureError``: `.notSent` only when the server
/// certainly never saw the request (DNS failure, connection refused), `.timedOut` when no answer
/// came in time, `.maybeSent` for anything else. Never retry inside a transport: the core decides
/// what may be resent. Any other error counts as `.maybeSent`.
public protocol Transport: Sendable {
    func send(_ request: HttpRequest) async throws -> HttpResponse
}

/// The default transport: `URLSession` with a per-request timeout.
public final class URLSessionTransport: Transport, @unchecked Sendable {
    private let session: URLSession
    private let timeout: TimeInterval

    public init(session: URLSession = .shared, timeout: TimeInterval = 30) {
        self.session = session
        self.timeout = timeout
    }

    public func send(_ request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url()) else { throw TransportFailureError(.notSent) }
        var r = URLRequest(url: url, timeoutInterval: timeout)
        r.httpMethod = request.method()
        for (name, value) in zip(request.headerNames(), request.headerValues()) {
            r.setValue(value, forHTTPHeaderField: name)
        }
        r.httpBody = request.body()
        let (data, response): (Data, URLResponse)
        do {
            // dataTask rather than the async `data(for:)`, which older Linux Foundations lack.
            (data, response) = try await withCheckedThrowingContinuation { continuation in
                session.dataTask(with: r) { data, response, error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let response {
                        continuation.resume(returning: (data ?? Data(), response))
                    } else {
                        continuation.resume(throwing: TransportFailureError(.maybeSent))
                    }
                }.resume()
            }
        } catch {
            throw transportFailure(of: error)
        }
        guard let http = response as? HTTPURLResponse else { throw TransportFailureError(.maybeSent) }
        let headers = http.allHeaderFields.compactMap { key, value -> Header? in
            guard let name = key as? String else { return nil }
            return Header(name: name, value: "\(value)")
        }
        return HttpResponse(status: UInt16(clamping: http.statusCode), headers: headers, body: data)
    }
}

/// Maps what a transport threw onto the core's three kinds of transport failure. Anything
/// unrecognised is `.maybeSent`: the safe reading, which makes a payment reconcile, not resend.
public func transportFailure(of error: Error) -> TransportFailureError {
    if let e = error as? TransportFailureError { return e }
    if let e = error as? URLError {
        switch e.code {
        // No connection was ever made, so nothing was written.
        case .cannotFindHost, .cannotConnectToHost, .dnsLookupFailed, .notConnectedToInternet,
             .badURL, .unsupportedURL, .secureConnectionFailed, .serverCertificateUntrusted,
             .serverCertificateHasBadDate, .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return TransportFailureError(.notSent, underlying: e)
        case .timedOut:
            return TransportFailureError(.timedOut, underlying: e)
        default:
            return TransportFailureError(.maybeSent, underlying: e)
        }
    }
    return TransportFailureError(.maybeSent, underlying: error)
}
