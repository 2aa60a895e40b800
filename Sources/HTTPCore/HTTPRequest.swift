/// An HTTP request as the router sees it. A transport builds it (FastCGIHTTP's `RequestConversion`
/// from the CGI parameters nginx passes); tests build it directly.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path as the client sent it (still percent-encoded), without the query string.
    public var path: String
    public var query: QueryParameters
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The client sent a longer body than the transport accepts: ``body`` is empty, and the
    /// responder answers 413 (``HTTPError/bodyTooLarge``) without running a handler.
    public var bodyExceedsLimit: Bool
    /// `REMOTE_ADDR` as nginx passes it; never taken from `X-Forwarded-For`.
    public var clientAddress: String
    public var requestID: String
    /// Filled by the router from `{name}` segments, percent-decoded.
    public var pathParameters: [String: String] = [:]

    public init(
        method: String, path: String, query: QueryParameters = QueryParameters(), headers: [String: String] = [:],
        body: [UInt8] = [], bodyExceedsLimit: Bool = false, clientAddress: String = "", requestID: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyExceedsLimit = bodyExceedsLimit
        self.clientAddress = clientAddress
        self.requestID = requestID
    }

    /// A header by any spelling of its name.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// `User-Agent`, empty when absent.
    public var userAgent: String { headers["user-agent"] ?? "" }

    /// The credential from `Authorization: Bearer <value>`, if that is what the header carries.
    public var bearerToken: String? {
        guard let value = headers["authorization"] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingSpaces()
        return token.isEmpty ? nil : token
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
