/// What a responder answers; the server writes it as a CGI response with `Status` and `Content-Length`.
public struct FastCGIResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The bytes of the CGI header block, ending with the blank line.
    func headerBlock() -> [UInt8] {
        var text = "Status: \(status) \(FastCGIResponse.reasonPhrase(status))\r\n"
        for header in headers where !FastCGIResponse.isUnsafe(header) {
            text += "\(header.name): \(header.value)\r\n"
        }
        text += "Content-Length: \(body.count)\r\n\r\n"
        return Array(text.utf8)
    }

    /// A header carrying CR or LF would split the response; such a header is dropped, never sent.
    private static func isUnsafe(_ header: (name: String, value: String)) -> Bool {
        header.name.utf8.contains { $0 == 13 || $0 == 10 || $0 == 58 }
            || header.value.utf8.contains { $0 == 13 || $0 == 10 }
            || header.name.lowercased() == "content-length"
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
