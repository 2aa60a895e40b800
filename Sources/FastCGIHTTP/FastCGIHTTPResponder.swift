import FastCGI
import HTTPCore

/// The FastCGI server's responder for any ``HTTPResponder``: CGI parameters in
/// (``RequestConversion``), the ``HTTPResponse`` back out as the server writes it.
///
/// Answers nothing itself: a body over the server's limit reaches the responder as
/// ``HTTPRequest/bodyExceedsLimit``, so its 413 is routed, logged and counted like any answer.
public struct FastCGIHTTPResponder: FastCGIResponder {
    private let responder: any HTTPResponder

    public init(_ responder: any HTTPResponder) {
        self.responder = responder
    }

    public func respond(to request: FastCGIRequest) -> FastCGIResponse {
        let response = responder.respond(to: RequestConversion.httpRequest(from: request))
        return FastCGIResponse(
            status: response.status, headers: response.headers.map { CGIField($0.name, $0.value) }, body: response.body)
    }
}
