import FastCGI

/// FastCGI parameters → ``HTTPRequest``.
enum RequestConversion {
    static func httpRequest(from incoming: FastCGIRequest) -> HTTPRequest {
        let params = incoming.params
        let uri = params["REQUEST_URI"] ?? params["DOCUMENT_URI"] ?? "/"
        // Split at the `?` byte: as a `Character`, a `?` followed by a combining mark would not match.
        let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?"))
        let path = mark.map { String(decoding: uri.utf8[..<$0], as: UTF8.self) } ?? uri
        let queryText =
            params["QUERY_STRING"] ?? mark.map { String(decoding: uri.utf8[uri.utf8.index(after: $0)...], as: UTF8.self) } ?? ""
        var headers: [String: String] = [:]
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers[name.dropFirst(5).lowercased().replacingUnderscores()] = value
        }
        if let type = params["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
        return HTTPRequest(
            method: params["REQUEST_METHOD"] ?? "GET",
            path: path.isEmpty ? "/" : path,
            query: QueryParameters(parsing: queryText[...]),
            headers: headers,
            body: incoming.body,
            clientAddress: params["REMOTE_ADDR"] ?? "",
            requestID: RequestID.accepting(params["REQUEST_ID"]))
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}

/// Request ids: nginx's `$request_id` (32 hex digits) when it sent one, else a fresh random one.
enum RequestID {
    static func accepting(_ candidate: String?) -> String {
        if let candidate, candidate.utf8.count == 32, candidate.utf8.allSatisfy(isHexDigit) { return candidate }
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
        }.joined()
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}

/// Text from clients goes into log lines only through this: control characters (CR/LF above all,
/// but also DEL, the C1 controls such as NEL and CSI) and Unicode's line and paragraph separators
/// become `?`, so nobody can forge a log line or steer a terminal.
public enum LogText {
    public static func safe(_ text: String, limit: Int = 200) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            out.unicodeScalars.append(isUnsafe(scalar) ? "?" : scalar)
        }
        return out
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }
}
