import Foundation
import HTTPCore

/// The few kinds of answer the stand-in gives, with HH's headers.
enum ResponseBuilding {
    static let jsonContentType = HTTPHeader("Content-Type", "application/json; charset=utf-8")

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        // Slashes stay readable and keys sorted, so bodies are stable in logs and diffs; Cyrillic is
        // written as UTF-8, never escaped.
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static func json(_ status: Int, _ value: some Encodable) -> HTTPResponse {
        // Our own value types cannot fail to encode; the fallback only keeps this total.
        let body = (try? encoder.encode(value)).map { Array($0) } ?? Array(#"{"error":"encoding"}"#.utf8)
        return HTTPResponse(status: status, headers: [jsonContentType], body: body)
    }

    static func redirect(to location: String) -> HTTPResponse {
        HTTPResponse(status: 302, headers: [HTTPHeader("Location", location)])
    }

    static func noContent() -> HTTPResponse {
        HTTPResponse(status: 204)
    }

    static func hhError(_ status: Int, type: String, value: String?, description: String) -> HTTPResponse {
        json(status, HHErrorBody(type: type, value: value, description: description))
    }

    static func forbidden(_ problem: AccessTokenProblem) -> HTTPResponse {
        json(403, HHErrorBody(problem))
    }

    static func tokenError(_ error: TokenEndpointError) -> HTTPResponse {
        json(400, error)
    }

    static func notFound() -> HTTPResponse {
        hhError(404, type: "not_found", value: nil, description: "Not Found")
    }

    static func methodNotAllowed() -> HTTPResponse {
        hhError(405, type: "method_not_allowed", value: nil, description: "Method Not Allowed")
    }

    /// A control API refusal: `{"error": message}` with 400 (or another status).
    static func controlError(_ message: String, status: Int = 400) -> HTTPResponse {
        json(status, ["error": message])
    }
}
