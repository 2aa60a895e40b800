import FastCGI
import Foundation

/// The few kinds of answer the stand-in gives, with HH's headers.
enum ResponseBuilding {
    static let jsonContentType = (name: "Content-Type", value: "application/json; charset=utf-8")

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        // Slashes stay readable and keys sorted, so bodies are stable in logs and diffs; Cyrillic is
        // written as UTF-8, never escaped.
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static func json(_ status: Int, _ value: some Encodable) -> FastCGIResponse {
        // Our own value types cannot fail to encode; the fallback only keeps this total.
        let body = (try? encoder.encode(value)).map { Array($0) } ?? Array(#"{"error":"encoding"}"#.utf8)
        return FastCGIResponse(status: status, headers: [jsonContentType], body: body)
    }

    static func redirect(to location: String) -> FastCGIResponse {
        FastCGIResponse(status: 302, headers: [(name: "Location", value: location)])
    }

    static func noContent() -> FastCGIResponse {
        FastCGIResponse(status: 204)
    }

    static func hhError(_ status: Int, type: String, value: String?, description: String) -> FastCGIResponse {
        json(status, HHErrorBody(type: type, value: value, description: description))
    }

    static func forbidden(_ problem: AccessTokenProblem) -> FastCGIResponse {
        json(403, HHErrorBody(problem))
    }

    static func tokenError(_ error: TokenEndpointError) -> FastCGIResponse {
        json(400, error)
    }

    static func notFound() -> FastCGIResponse {
        hhError(404, type: "not_found", value: nil, description: "Not Found")
    }

    static func methodNotAllowed() -> FastCGIResponse {
        hhError(405, type: "method_not_allowed", value: nil, description: "Method Not Allowed")
    }

    /// A control API refusal: `{"error": message}` with 400 (or another status).
    static func controlError(_ message: String, status: Int = 400) -> FastCGIResponse {
        json(status, ["error": message])
    }
}
