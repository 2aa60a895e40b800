import Foundation

/// An HTTP response before the transport writes it.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int = 200, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public static let jsonContentType = "application/json; charset=utf-8"

    /// A JSON response from an `Encodable` value. Encoding our own types cannot fail in practice;
    /// if it ever does, the caller's `try` turns it into a 500.
    public static func json<T: Encodable>(_ value: T, status: Int = 200, headers: [HTTPHeader] = []) throws
        -> HTTPResponse
    {
        let data = try JSONCoding.encoder.encode(value)
        return HTTPResponse(
            status: status, headers: [HTTPHeader("Content-Type", jsonContentType)] + headers, body: Array(data))
    }

    /// A JSON response from bytes already written (see ``JSONObjectWriter``).
    public static func json(bytes: [UInt8], status: Int = 200, headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", jsonContentType)] + headers, body: bytes)
    }

    /// The `{"detail": …}` body every error uses.
    public static func error(_ error: HTTPError) -> HTTPResponse {
        let body = (try? JSONCoding.encoder.encode(ErrorBody(detail: error.detail))).map(Array.init) ?? []
        return HTTPResponse(
            status: error.status, headers: [HTTPHeader("Content-Type", jsonContentType)] + error.headers, body: body)
    }

    /// An HTML page; such pages are never cached and send no referrer onward.
    public static func html(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [
                HTTPHeader("Content-Type", "text/html; charset=utf-8"),
                HTTPHeader("Cache-Control", "no-store"),
                HTTPHeader("Referrer-Policy", "no-referrer"),
                HTTPHeader(
                    "Content-Security-Policy",
                    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
                ),
            ],
            body: Array(text.utf8))
    }

    /// A 302 to `location`, never cached, sending no referrer onward.
    public static func redirect(to location: String) -> HTTPResponse {
        HTTPResponse(
            status: 302,
            headers: [
                HTTPHeader("Location", location), HTTPHeader("Cache-Control", "no-store"),
                HTTPHeader("Referrer-Policy", "no-referrer"),
            ])
    }
}

struct ErrorBody: Codable {
    let detail: String
}
