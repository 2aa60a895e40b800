import FastCGI
import Logging

/// Wraps a responder and logs one line per request: method, path (never the query, which carries
/// codes and state) and status.
public struct RequestLoggingResponder: FastCGIResponder {
    private let wrapped: any FastCGIResponder
    private let logger: Logger

    /// - Parameters:
    ///   - wrapped: the responder that answers.
    ///   - logger: where the lines go (stderr in `hh-standin`).
    public init(_ wrapped: any FastCGIResponder, logger: Logger) {
        self.wrapped = wrapped
        self.logger = logger
    }

    /// Answers through the wrapped responder, then logs the line.
    public func respond(to request: FastCGIRequest) -> FastCGIResponse {
        let response = wrapped.respond(to: request)
        let method = request.params["REQUEST_METHOD"] ?? "GET"
        let uri = request.params["REQUEST_URI"] ?? request.params["DOCUMENT_URI"] ?? "/"
        let path = uri.firstIndex(of: "?").map { String(uri[..<$0]) } ?? uri
        logger.info("\(Self.printable(method)) \(Self.printable(path)) \(response.status)")
        return response
    }

    /// Client-controlled text in a log line: control characters become `?` so nobody can forge a
    /// line, and the length is capped.
    static func printable(_ text: String, limit: Int = 200) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            out.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        return out
    }
}
