/// Turns a request into a response: what a transport (FastCGIHTTP's `FastCGIHTTPResponder`)
/// calls, and what tests call in process.
///
/// Called concurrently from every worker thread, so implementations must be thread-safe. Plain
/// synchronous code is expected: each worker owns its thread while it answers a request.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) -> HTTPResponse
}
