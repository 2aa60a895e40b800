import FastCGI

/// The parts of a FastCGI request the stand-in looks at, taken out of the CGI parameters once.
struct IncomingRequest: Sendable {
    let method: String
    /// The path without the query string.
    let path: String
    let query: [String: String]
    let body: [UInt8]
    private let params: [String: String]

    init(_ request: FastCGIRequest) {
        params = request.params
        method = params["REQUEST_METHOD"] ?? "GET"
        let uri = params["REQUEST_URI"] ?? params["DOCUMENT_URI"] ?? "/"
        let mark = uri.firstIndex(of: "?")
        let rawPath = mark.map { uri[..<$0] } ?? uri[...]
        path = rawPath.isEmpty ? "/" : String(rawPath)
        let queryText = params["QUERY_STRING"] ?? mark.map { String(uri[uri.index(after: $0)...]) } ?? ""
        query = FormEncoding.decode(queryText[...])
        body = request.body
    }

    /// A request header by its HTTP name, as CGI passes it (`HH-User-Agent` → `HTTP_HH_USER_AGENT`).
    func header(_ name: String) -> String? {
        params["HTTP_" + name.uppercased().replacing("-", with: "_")]
    }

    /// HH requires `User-Agent` or `HH-User-Agent`; a blank one counts as missing.
    var hasUserAgent: Bool {
        [header("User-Agent"), header("HH-User-Agent")].contains { value in
            guard let value else { return false }
            return !value.allSatisfy(\.isWhitespace)
        }
    }

    /// The token of `Authorization: Bearer <token>`, if the header has that form.
    var bearerToken: String? {
        guard let value = header("Authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        return token.isEmpty ? nil : String(token)
    }

    /// Whether the body is declared as a form, which is what HH's token endpoint accepts.
    var isFormEncoded: Bool {
        let type = params["CONTENT_TYPE"] ?? header("Content-Type") ?? ""
        return type.lowercased().hasPrefix("application/x-www-form-urlencoded")
    }

    /// The body as form fields.
    var form: [String: String] {
        FormEncoding.decode(String(decoding: body, as: UTF8.self)[...])
    }
}
