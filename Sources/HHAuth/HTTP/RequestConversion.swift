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
