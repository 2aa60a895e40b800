/// What a responder answers; the server writes it as a CGI response with `Status` and `Content-Length`.
public struct FastCGIResponse: Sendable {
    public var status: Int
    public var headers: [CGIField]
    public var body: [UInt8]

    public init(status: Int, headers: [CGIField] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The bytes of the CGI header block, ending with the blank line.
    ///
    /// Appended as bytes: built as an interpolated `String` it cost about 16,000 instructions per
    /// request, a tenth of `/auth/token` (callgrind, BENCHMARKS.md "Issue 15").
    func headerBlock() -> [UInt8] {
        var block: [UInt8] = []
        block.reserveCapacity(96 + headers.count * 64)
        Self.appendLiteral("Status: ", to: &block)
        Self.append(String(status), to: &block)
        block.append(UInt8(ascii: " "))
        Self.append(FastCGIResponse.reasonPhrase(status), to: &block)
        Self.appendLiteral("\r\n", to: &block)
        for header in headers where !FastCGIResponse.isUnsafe(header) {
            Self.append(header.name, to: &block)
            Self.appendLiteral(": ", to: &block)
            Self.append(header.value, to: &block)
            Self.appendLiteral("\r\n", to: &block)
        }
        Self.appendLiteral("Content-Length: ", to: &block)
        Self.append(String(body.count), to: &block)
        Self.appendLiteral("\r\n\r\n", to: &block)
        return block
    }

    /// A literal's bytes, copied at once.
    private static func appendLiteral(_ literal: StaticString, to block: inout [UInt8]) {
        block.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A string's UTF-8, copied at once (appending its `utf8` view went byte by byte).
    private static func append(_ text: String, to block: inout [UInt8]) {
        var text = text
        text.withUTF8 { block.append(contentsOf: $0) }
    }

    /// A header carrying CR or LF would split the response; such a header is dropped, never sent.
    private static func isUnsafe(_ header: CGIField) -> Bool {
        // Scanned as buffers: through the `utf8` views this scan cost more than writing the block.
        var name = header.name
        var value = header.value
        return name.withUTF8 { $0.contains { $0 == 13 || $0 == 10 || $0 == 58 } }
            || value.withUTF8 { $0.contains { $0 == 13 || $0 == 10 } }
            || isContentLength(header.name)
    }

    /// `Content-Length` in any case, compared by bytes: `lowercased()` allocated a string per header.
    private static func isContentLength(_ name: String) -> Bool {
        let expected = "content-length".utf8
        guard name.utf8.count == expected.count else { return false }
        return zip(name.utf8, expected).allSatisfy { byte, lower in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte) == lower
        }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Payload Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status"
        }
    }
}
