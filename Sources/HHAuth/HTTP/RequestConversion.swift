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
        headers.reserveCapacity(16)
        for (name, value) in params where name.utf8.starts(with: "HTTP_".utf8) {
            headers[headerName(fromParameter: name)] = value
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

    /// `HTTP_USER_AGENT` → `user-agent`. nginx sends ASCII names, done byte by byte; anything
    /// else takes the Unicode-aware path so the result is lowercase either way.
    static func headerName(fromParameter parameter: String) -> String {
        let name = parameter.utf8.dropFirst(5)
        guard name.allSatisfy({ $0 < 0x80 }) else {
            return String(parameter.dropFirst(5).lowercased().map { $0 == "_" ? "-" : $0 })
        }
        return String(unsafeUninitializedCapacity: name.count) { buffer in
            for (offset, byte) in name.enumerated() {
                switch byte {
                case UInt8(ascii: "_"): buffer[offset] = UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): buffer[offset] = byte + 32
                default: buffer[offset] = byte
                }
            }
            return name.count
        }
    }
}
