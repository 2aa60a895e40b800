import Foundation
import HTTPCore
import Logging

/// The service's ``HTTPResponder``: routes a request, maps every error to the contract's JSON, and
/// records one log line and the metrics per request. The `hh-auth` executable serves it over
/// FastCGI (FastCGIHTTP's adapter).
public final class Application: HTTPResponder {
    let router: Router
    private let metrics: RequestMetrics
    private let logger: Logger
    private let filters: [any RequestFilter]

    public init(router: Router, metrics: RequestMetrics, logger: Logger, filters: [any RequestFilter] = []) {
        self.router = router
        self.metrics = metrics
        self.logger = logger
        self.filters = filters
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        var request = request
        var endpoint = "unmatched"
        var response: HTTPResponse
        if request.bodyExceedsLimit {
            response = .error(.bodyTooLarge)
        } else {
            switch router.match(method: request.method, path: request.path) {
            case .notFound:
                response = .error(.notFound)
            case .methodNotAllowed(let allowed):
                response = .error(
                    HTTPError(
                        405, "Method not allowed", headers: [HTTPHeader("Allow", allowed.joined(separator: ", "))]))
            case .found(let pattern, let parameters, let handler):
                endpoint = pattern
                request.pathParameters = parameters
                response = run(handler, for: request, endpoint: pattern)
            }
        }
        response.headers.append(HTTPHeader("X-Request-Id", request.requestID))
        if request.method == "HEAD" { response.body = [] }
        let elapsed = DispatchTime.now().uptimeNanoseconds - started
        metrics.record(method: request.method, endpoint: endpoint, status: response.status, nanoseconds: Int64(elapsed))
        logger.info(
            "request",
            metadata: [
                "method": "\(LogText.safe(request.method))", "route": "\(endpoint)", "status": "\(response.status)",
                "duration_ms": "\(Self.milliseconds(elapsed))",
                "request_id": "\(request.requestID)", "client": "\(LogText.safe(request.clientAddress))",
            ])
        return response
    }

    /// `1234567` ns → `"1.23"`, without `String(format:)`, which is slow enough to show per request.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let hundredths = nanoseconds / 10_000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    private func run(_ handler: Router.Handler, for request: HTTPRequest, endpoint: String) -> HTTPResponse {
        // Headers the filters add go on every answer of the route, errors included.
        var filterHeaders: [HTTPHeader] = []
        var response: HTTPResponse
        do {
            for filter in filters {
                filterHeaders += try filter.check(request, endpoint: endpoint)
            }
            response = try handler(request)
        } catch {
            response = errorResponse(for: error, request: request, endpoint: endpoint)
        }
        for header in filterHeaders where response.header(header.name) == nil {
            response.headers.append(header)
        }
        return response
    }

    private func errorResponse(for thrown: any Error, request: HTTPRequest, endpoint: String) -> HTTPResponse {
        var error = thrown
        var asPage = false
        var pageHeaders: [HTTPHeader] = []
        if let page = thrown as? PageError {
            error = page.underlying
            asPage = Pages.wantsHTML(request)
            pageHeaders = page.headers
        }
        let mapped: HTTPError
        if let known = ErrorMapping.httpError(for: error) {
            mapped = known
            if mapped.status >= 500 {
                logger.warning(
                    "request failed",
                    metadata: [
                        "request_id": "\(request.requestID)", "route": "\(endpoint)",
                        "error": "\(ErrorMapping.cause(of: error))",
                    ])
            }
        } else {
            // The only place an unexpected error is described; the client gets a fixed sentence.
            logger.error(
                "unhandled error",
                metadata: [
                    "request_id": "\(request.requestID)", "route": "\(endpoint)",
                    "error": "\(ErrorMapping.cause(of: error))",
                ])
            mapped = HTTPError(500, HTTPError.internalErrorDetail)
        }
        guard asPage else {
            var answer = HTTPResponse.error(mapped)
            answer.headers += pageHeaders
            return answer
        }
        var page = HTTPResponse.html(Pages.failure(mapped), status: mapped.status)
        page.headers += mapped.headers + pageHeaders
        return page
    }
}

/// A check that runs before the handler of a matched route (the rate limiter is one). It throws an
/// ``HTTPError`` to refuse, or returns headers to add to the handler's response.
public protocol RequestFilter: Sendable {
    func check(_ request: HTTPRequest, endpoint: String) throws -> [HTTPHeader]
}
