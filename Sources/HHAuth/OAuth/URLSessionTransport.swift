import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// ``HHTransport`` over FoundationNetworking's URLSession (libcurl underneath on Linux).
///
/// The calling worker thread waits on a semaphore; the overall deadline is enforced here as well
/// as by URLSession, so a hanging HH can never hold a worker past `requestTimeout`.
///
/// There is no separate connect timeout: swift-corelibs-foundation never sets libcurl's
/// `CURLOPT_CONNECTTIMEOUT` (libcurl's own default is 300 s) and exposes no hook to; its
/// `timeoutIntervalForRequest` is an idle timer that would also cut an HH that is merely slow to
/// answer. So `requestTimeout` bounds each call, connecting included.
public final class URLSessionTransport: HHTransport {
    private let session: URLSession
    private let requestTimeout: Double

    public init(requestTimeout: Double) {
        let configuration = URLSessionConfiguration.ephemeral
        // corelibs truncates these to whole seconds (0 would fire at once); the semaphore below
        // keeps the exact deadline.
        configuration.timeoutIntervalForRequest = max(requestTimeout.rounded(.up), 1)
        configuration.timeoutIntervalForResource = max(requestTimeout.rounded(.up), 1)
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCache = nil
        configuration.httpMaximumConnectionsPerHost = 64
        self.session = URLSession(configuration: configuration)
        self.requestTimeout = requestTimeout
    }

    public func send(_ request: HHHTTPRequest) throws -> HHHTTPResponse {
        guard let url = URL(string: request.url) else { throw HHTransportError("bad URL") }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = max(requestTimeout.rounded(.up), 1)
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if !request.body.isEmpty { urlRequest.httpBody = Data(request.body) }

        let outcome = Outcome()
        let semaphore = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: urlRequest) { data, response, error in
            outcome.set(data: data, response: response as? HTTPURLResponse, error: error)
            semaphore.signal()
        }
        task.resume()
        if semaphore.wait(timeout: .now() + requestTimeout + 0.5) == .timedOut {
            task.cancel()
            throw HHTransportError("timed out after \(requestTimeout) s", timedOut: true)
        }
        let (data, response, error) = outcome.get()
        if let error {
            let timedOut =
                (error as NSError).domain == NSURLErrorDomain && (error as NSError).code == NSURLErrorTimedOut
            throw HHTransportError(error.localizedDescription, timedOut: timedOut)
        }
        guard let response else { throw HHTransportError("no HTTP response") }
        var headers: [String: String] = [:]
        for case (let name as String, let value as String) in response.allHeaderFields {
            headers[name.lowercased()] = value
        }
        return HHHTTPResponse(status: response.statusCode, body: Array(data ?? Data()), headers: headers)
    }
}

/// The completion handler's result, handed across threads under a lock.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    private var response: HTTPURLResponse?
    private var error: (any Error)?

    func set(data: Data?, response: HTTPURLResponse?, error: (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        self.data = data
        self.response = response
        self.error = error
    }

    func get() -> (Data?, HTTPURLResponse?, (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        return (data, response, error)
    }
}
