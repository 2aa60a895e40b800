import FastCGI
import HTTPCore
import Testing

@testable import FastCGIHTTP

/// CGI parameters → `HTTPRequest`, read in one pass over the list nginx sent.
@Suite("RequestConversion")
struct RequestConversionTests {
    private func convert(_ parameters: [(String, String)], body: String = "") -> HTTPRequest {
        RequestConversion.httpRequest(
            from: FastCGIRequest(parameters: parameters.map { CGIField($0.0, $0.1) }, body: Array(body.utf8)))
    }

    @Test func readsWhatNginxSends() {
        let request = convert(
            [
                ("QUERY_STRING", "session_id=abc&x=1"), ("REQUEST_METHOD", "POST"),
                ("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", "2"), ("SCRIPT_NAME", "/auth/token"),
                ("REQUEST_URI", "/auth/token?session_id=abc&x=1"), ("DOCUMENT_URI", "/auth/token"),
                ("REMOTE_ADDR", "192.0.2.7"), ("REMOTE_PORT", "50000"),
                ("REQUEST_ID", "0123456789abcdef0123456789abcdef"), ("HTTP_HOST", "auth.example"),
                ("HTTP_USER_AGENT", "client/1.0"), ("HTTP_AUTHORIZATION", "Bearer t"),
                ("HTTP_X_FORWARDED_FOR", "203.0.113.9"),
            ], body: "{}")
        #expect(request.method == "POST")
        #expect(request.path == "/auth/token")
        #expect(request.query["session_id"] == "abc" && request.query["x"] == "1")
        #expect(
            request.headers == [
                "host": "auth.example", "user-agent": "client/1.0", "authorization": "Bearer t",
                "x-forwarded-for": "203.0.113.9", "content-type": "application/json",
            ])
        #expect(request.clientAddress == "192.0.2.7")
        #expect(request.requestID == "0123456789abcdef0123456789abcdef")
        #expect(request.body == Array("{}".utf8))
    }

    /// The scheme and the subrequest's original method and URI come from parameters only nginx
    /// sets; the same names as headers (`HTTP_…`) stay headers.
    @Test func readsTheSchemeAndTheOriginalRequestFromParametersNotHeaders() {
        let verify = convert([
            ("REQUEST_URI", "/auth/verify"), ("HTTPS", "on"), ("HH_AUTH_ORIGINAL_METHOD", "POST"),
            ("HH_AUTH_ORIGINAL_URI", "/demo/?a=1"),
        ])
        #expect(verify.isHTTPS && verify.originalMethod == "POST" && verify.originalURI == "/demo/?a=1")
        let forged = convert([
            ("REQUEST_URI", "/auth/verify"), ("HTTP_HTTPS", "on"), ("HTTP_HH_AUTH_ORIGINAL_URI", "//evil"),
            ("HTTP_HH_AUTH_ORIGINAL_METHOD", "GET"),
        ])
        #expect(!forged.isHTTPS && forged.originalMethod == nil && forged.originalURI == nil)
        #expect(forged.headers["hh-auth-original-uri"] == "//evil")
        #expect(!convert([("HTTPS", "")]).isHTTPS && !convert([("HTTPS", "off")]).isHTTPS)
    }

    @Test func aLaterParameterReplacesAnEarlierOne() {
        let request = convert([
            ("REQUEST_URI", "/first"), ("REQUEST_URI", "/second?q=2"), ("REMOTE_ADDR", "192.0.2.1"),
            ("REMOTE_ADDR", "192.0.2.2"), ("HTTP_ACCEPT", "a"), ("HTTP_ACCEPT", "b"), ("REQUEST_METHOD", "PUT"),
            ("REQUEST_METHOD", "DELETE"),
        ])
        #expect(request.path == "/second" && request.query["q"] == "2")
        #expect(request.clientAddress == "192.0.2.2")
        #expect(request.headers["accept"] == "b")
        #expect(request.method == "DELETE")
        #expect(FastCGIRequest(parameters: [CGIField("A", "1"), CGIField("A", "2")]).parameter("A") == "2")
        #expect(FastCGIRequest(parameters: [CGIField("A", "1"), CGIField("A", "2")]).params == ["A": "2"])
    }

    @Test func fallbacksAndDefaults() {
        let bare = convert([])
        #expect(bare.method == "GET" && bare.path == "/" && bare.query.pairs.isEmpty && bare.clientAddress == "")
        #expect(bare.requestID.isEmpty == false)  // one is made up when nginx sends none
        let documentOnly = convert([("DOCUMENT_URI", "/health")])
        #expect(documentOnly.path == "/health")
        // QUERY_STRING, when sent, is the query; CONTENT_TYPE is the content type even when a
        // header of that name came too.
        let both = convert([
            ("REQUEST_URI", "/p?from=uri"), ("QUERY_STRING", "from=param"), ("HTTP_CONTENT_TYPE", "text/plain"),
            ("CONTENT_TYPE", "application/json"),
        ])
        #expect(both.query["from"] == "param")
        #expect(both.headers["content-type"] == "application/json")
        #expect(
            convert([("CONTENT_TYPE", ""), ("HTTP_CONTENT_TYPE", "text/plain")]).headers["content-type"] == "text/plain"
        )
    }

    /// The parameters are sorted by their bytes (headers, read, ignored) before any comparison.
    @Test func parametersAreSortedByTheirBytes() {
        let request = convert([
            ("HTTP_", "empty name"), ("HTTP_X_\u{301}Y", "combining"), ("SERVER_NAME", "ignored"), ("", "no name"),
            ("HTTPS", "1"), ("REMOTE_ADDR", "192.0.2.7"), ("CONTENT_LENGTH", "3"), ("http_host", "lowercase"),
        ])
        #expect(request.headers[""] == nil)
        #expect(request.headers["x-\u{301}y"] == "combining")
        #expect(request.headers.count == 1)
        #expect(request.isHTTPS)
        #expect(request.clientAddress == "192.0.2.7")
    }
}
