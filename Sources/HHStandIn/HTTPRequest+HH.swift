import HTTPCore

/// What the stand-in asks of a request beyond ``HTTPRequest`` itself.
extension HTTPRequest {
    /// HH requires `User-Agent` or `HH-User-Agent`; a blank one counts as missing.
    var hasUserAgent: Bool {
        [header("User-Agent"), header("HH-User-Agent")].contains { value in
            guard let value else { return false }
            return !value.allSatisfy(\.isWhitespace)
        }
    }

    /// Whether the body is declared as a form, which is what HH's token endpoint accepts.
    var isFormEncoded: Bool {
        (header("Content-Type") ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded")
    }

    /// The body as form fields, parsed as a query string is; the first occurrence of a name wins.
    var form: QueryParameters {
        QueryParameters(parsing: String(decoding: body, as: UTF8.self)[...])
    }
}
