import HTTPCore
import Logging

/// Wraps a responder and logs one line per request: method, path (never the query, which carries
/// codes and state) and status.
public struct RequestLoggingResponder: HTTPResponder {
    private let wrapped: any HTTPResponder
    private let logger: Logger

    /// - Parameters:
    ///   - wrapped: the responder that answers.
    ///   - logger: where the lines go (stderr in `hh-standin`).
    public init(_ wrapped: any HTTPResponder, logger: Logger) {
        self.wrapped = wrapped
        self.logger = logger
    }

    /// Answers through the wrapped responder, then logs the line. Client-controlled text goes
    /// through `LogText`, so nobody can forge a line.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let response = wrapped.respond(to: request)
        logger.info("\(LogText.safe(request.method)) \(LogText.safe(request.path)) \(response.status)")
        return response
    }
}
