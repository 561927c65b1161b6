import BcpayFFI
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Thrown by a ``Transport`` when a request got no response. `failure` tells the core whether the
/// server may have seen it: a payment is resent only when it certainly was not.
/// `reason` is the library's or the OS's words for it (by default `underlying`'s description),
/// which the core scrubs of secrets and keeps on the error and the listener's event.
public struct TransportFailureError: Error, CustomStringConvertible, @unchecked Sendable {
    public let failure: TransportFailure
    public let underlying: Error?
    public let reason: String?

    public init(_ failure: TransportFailure, underlying: Error? = nil, reason: String? = nil) {
        self.failure = failure
        self.underlying = underlying
        self.reason = reason ?? underlying.map(describeCause)
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

/// The default transport: one `URLSession` (its own pool) whose delegate never follows a redirect
/// (one could carry the API token or card data to another origin; the core reads the 3xx), reads
/// a body only up to `maxBodyBytes` + 1 bytes (enough for the core to refuse it), and ends each
/// request `timeout` seconds after it starts, headers and body together. The deadline is kept by
/// the transport itself: Linux Foundation does not apply `timeoutIntervalForResource`, and its
/// request timeout restarts with every byte. Cancelling the awaiting task cancels the request.
///
/// A request that ends without its answer (a deadline, a cancellation) leaves its connection in
/// an unknown state, and Linux Foundation may queue the next request behind the late answer on
/// it: the transport then starts over with a fresh session (a fresh pool). The old session
/// finishes what else it carries: cancelling those requests could crash Linux Foundation (see
/// `Exchanges.cancel`).
public final class URLSessionTransport: Transport, @unchecked Sendable {
    private let lock = NSLock()
    private var session: URLSession
    private let configuration: URLSessionConfiguration
    private let exchanges: Exchanges
    private let timeout: TimeInterval
    private let maxBodyBytes: Int

    public init(timeout: TimeInterval = 30, maxBodyBytes: Int = 4 * 1024 * 1024, configuration: URLSessionConfiguration = .ephemeral) {
        let exchanges = Exchanges()
        // Foundation's own timeouts only as a backstop, in whole seconds past the deadline: Linux
        // Foundation turns a sub-second timeout into an immediate one. The deadline is ours.
        configuration.timeoutIntervalForRequest = (timeout + 1).rounded(.up)
        configuration.timeoutIntervalForResource = (timeout + 1).rounded(.up)
        self.configuration = configuration
        self.session = URLSession(configuration: configuration, delegate: exchanges, delegateQueue: nil)
        self.exchanges = exchanges
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
    }

    deinit { session.finishTasksAndInvalidate() }

    private var current: URLSession {
        lock.lock()
        defer { lock.unlock() }
        return session
    }

    /// Drops the pool of `used` (unless that was done already).
    private func renew(after used: URLSession) {
        lock.lock()
        defer { lock.unlock() }
        guard session === used else { return }
        used.finishTasksAndInvalidate()
        session = URLSession(configuration: configuration, delegate: exchanges, delegateQueue: nil)
    }

    public func send(_ request: HttpRequest) async throws -> HttpResponse {
        let wire = request.wire()
        guard let url = URL(string: wire.url) else { throw TransportFailureError(.notSent) }
        var r = URLRequest(url: url, timeoutInterval: (timeout + 1).rounded(.up))
        r.httpMethod = wire.method
        for header in wire.headers {
            r.setValue(String(decoding: header.value, as: UTF8.self), forHTTPHeaderField: header.name)
        }
        r.httpBody = wire.body
        let used = current
        let task = used.dataTask(with: r)
        let limit = maxBodyBytes == Int.max ? Int.max : maxBodyBytes + 1
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HttpResponse, Error>) in
                    exchanges.start(task, limit: limit, continuation: continuation)
                    let exchanges = self.exchanges
                    DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { exchanges.expire(task) }
                    task.resume()
                }
            } onCancel: {
                exchanges.cancel(task)
            }
        } catch {
            let failure = transportFailure(of: error)
            if failure.failure != .notSent { renew(after: used) }
            throw failure
        }
    }
}

/// One request in progress: what has arrived so far, and whom to tell when it ends.
private final class Exchange {
    let limit: Int
    let continuation: CheckedContinuation<HttpResponse, Error>
    var response: HTTPURLResponse?
    var body = Data()
    /// The continuation has been resumed (the exchange stays until Foundation ends the task).
    var answered = false
    /// Foundation asked whether to follow a redirect and was told no: the task ends by itself.
    var redirectRefused = false
    /// `task.cancel()` was called.
    var cancelled = false

    init(limit: Int, continuation: CheckedContinuation<HttpResponse, Error>) {
        self.limit = limit
        self.continuation = continuation
    }
}

/// The session's delegate: routes each task's events to its exchange, under one lock. Every
/// exchange is answered exactly once — completed, capped, expired or failed — whichever comes
/// first, and is forgotten when Foundation ends its task.
private final class Exchanges: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var byTask: [ObjectIdentifier: Exchange] = [:]

    func start(_ task: URLSessionTask, limit: Int, continuation: CheckedContinuation<HttpResponse, Error>) {
        lock.lock()
        byTask[ObjectIdentifier(task)] = Exchange(limit: limit, continuation: continuation)
        lock.unlock()
    }

    private func with<T>(_ task: URLSessionTask, _ body: (Exchange) -> T) -> T? {
        lock.lock()
        defer { lock.unlock() }
        return byTask[ObjectIdentifier(task)].map(body)
    }

    /// Answers the exchange of `task` (unless it has been answered) with `result`.
    private func finish(_ task: URLSessionTask, _ result: (Exchange) -> Result<HttpResponse, Error>) {
        let unanswered = with(task) { e -> Exchange? in
            if e.answered { return nil }
            e.answered = true
            return e
        } ?? nil
        guard let exchange = unanswered else { return }
        exchange.continuation.resume(with: result(exchange))
    }

    /// Cancels `task`, unless Foundation is acting on our refusal to follow its redirect. Linux
    /// Foundation (swift-corelibs-foundation 6.0) stops with a fatal error when the delegate's
    /// redirect answer finds the task no longer waiting for it: cancelling between its question
    /// and our answer crashed the process. A refused redirect ends the task anyway, at once.
    func cancel(_ task: URLSessionTask) {
        let cancellable = with(task) { e -> Bool in
            if !e.redirectRefused { e.cancelled = true }
            return !e.redirectRefused
        } ?? true
        if cancellable { task.cancel() }
    }

    private static func success(_ e: Exchange) -> Result<HttpResponse, Error> {
        guard let http = e.response else { return .failure(TransportFailureError(.maybeSent)) }
        let headers = http.allHeaderFields.compactMap { key, value -> Header? in
            guard let name = key as? String else { return nil }
            return Header(name: name, value: "\(value)")
        }
        return .success(HttpResponse(status: Int32(clamping: http.statusCode), headers: headers, body: e.body))
    }

    /// The total deadline passed: whatever was on its way is abandoned.
    func expire(_ task: URLSessionTask) {
        finish(task) { _ in .failure(TransportFailureError(.timedOut)) }
        cancel(task)
    }

    /// Never follows: the 3xx itself is the response. A task already cancelled gets no answer
    /// (Linux Foundation has stopped waiting for one; answering would be fatal).
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        let waiting = with(task) { e -> Bool in
            if !e.cancelled { e.redirectRefused = true }
            return !e.cancelled
        } ?? false
        if waiting { completionHandler(nil) }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        _ = with(dataTask) { $0.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let full = with(dataTask) { e -> Bool in
            e.body.append(data.prefix(e.limit - e.body.count))
            return e.body.count >= e.limit
        }
        if full == true {
            finish(dataTask, Self.success)
            cancel(dataTask)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        finish(task) { e in
            if let error { return .failure(transportFailure(of: error, responded: e.response != nil)) }
            return Self.success(e)
        }
        lock.lock()
        byTask.removeValue(forKey: ObjectIdentifier(task))
        lock.unlock()
    }
}

/// Maps what a transport threw onto the core's three kinds of transport failure. Anything
/// unrecognised is `.maybeSent`: the safe reading, which makes a payment reconcile, not resend.
/// Once a response has begun (`responded`), nothing is `.notSent`.
/// An error's words for ``TransportFailureError/reason``: a `URLError`'s code and description
/// (`URLError -1004: Could not connect to the server.`), else the error as Swift prints it.
public func describeCause(_ error: Error) -> String {
    if let e = error as? URLError { return "URLError \(e.code.rawValue): \(e.localizedDescription)" }
    return String(describing: error)
}

public func transportFailure(of error: Error, responded: Bool = false) -> TransportFailureError {
    if let e = error as? TransportFailureError { return e }
    if let e = error as? URLError, responded {
        return TransportFailureError(e.code == .timedOut ? .timedOut : .maybeSent, underlying: e)
    }
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
