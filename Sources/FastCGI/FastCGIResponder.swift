/// The one thing the transport calls: turn a request into a response.
///
/// Called concurrently from every worker thread, so implementations must be thread-safe.
/// Plain synchronous code is expected: each worker owns its thread while it handles a request.
public protocol FastCGIResponder: Sendable {
    func respond(to request: FastCGIRequest) -> FastCGIResponse
}
