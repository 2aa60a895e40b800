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
    /// The client reached nginx over TLS (nginx's `HTTPS` parameter is `on`).
    public var isHTTPS: Bool = false
    /// For an `auth_request` subrequest: the method and the URI (`$request_uri`) of the request
    /// nginx asks about, from the `HH_AUTH_ORIGINAL_METHOD` and `HH_AUTH_ORIGINAL_URI` parameters
    /// its verify location sets. Parameters, not headers: a client can send any header, but no
    /// header becomes a parameter without the `HTTP_` prefix.
    public var originalMethod: String?
    public var originalURI: String?

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
        return Self.asciiBearerToken(value) ?? Self.bearerToken(splitting: value)
    }

    /// The same reading over the bytes of an ASCII header, where bytes and `Character`s coincide
    /// (but for CR LF, which neither reading treats specially): nil for anything else. The
    /// `Character` reading below allocated four strings per request on the session routes
    /// (callgrind, BENCHMARKS.md "Issue 15"); tests hold the two to the same answers.
    public static func asciiBearerToken(_ value: String) -> String?? {
        var value = value
        return value.withUTF8 { bytes -> String?? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return .none }
            var index = 0
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
            let scheme = index
            while index < bytes.count, bytes[index] != UInt8(ascii: " ") { index += 1 }
            guard index - scheme == 6,
                zip(bytes[scheme..<index], "bearer".utf8).allSatisfy({ ($0 | 0x20) == $1 }),
                index < bytes.count
            else { return .some(nil) }
            var start = index + 1
            var end = bytes.count
            while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
            while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
            guard start < end else { return .some(nil) }
            return .some(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
        }
    }

    /// The reading by `Character`s, for headers with non-ASCII bytes; the reference the byte
    /// reading is held to (tests, the `fastcgi_params` fuzz target).
    public static func bearerToken(splitting value: String) -> String? {
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
