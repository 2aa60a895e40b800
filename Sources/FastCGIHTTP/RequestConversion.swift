import FastCGI
import HTTPCore

/// FastCGI parameters → ``HTTPRequest``.
///
/// Kept apart from ``FastCGIHTTPResponder`` so `scripts/fuzz.sh` can build it over the two-file
/// FastCGI shim (``FastCGIRequest`` and ``CGIField`` only).
public enum RequestConversion {
    /// The request nginx passed: method, path and query from `REQUEST_URI` (`QUERY_STRING` when
    /// sent), `HTTP_*` as lowercased headers, `REMOTE_ADDR`, nginx's `REQUEST_ID` when well formed,
    /// and the body, or ``HTTPRequest/bodyExceedsLimit`` when the server refused to read it.
    public static func httpRequest(from incoming: FastCGIRequest) -> HTTPRequest {
        // One pass; a later parameter of the same name replaces an earlier one.
        var method: String?
        var requestURI: String?
        var documentURI: String?
        var queryString: String?
        var contentType: String?
        var remoteAddress: String?
        var requestID: String?
        var isHTTPS = false
        var originalMethod: String?
        var originalURI: String?
        var headers: [String: String] = [:]
        headers.reserveCapacity(16)
        for parameter in incoming.parameters {
            let name = parameter.name
            let value = parameter.value
            switch kind(of: name) {
            case .header:
                headers[headerName(fromParameter: name)] = value
                continue
            case .ignored:
                continue
            case .maybeRead:
                break
            }
            switch name {
            case "REQUEST_METHOD": method = value
            case "REQUEST_URI": requestURI = value
            case "DOCUMENT_URI": documentURI = value
            case "QUERY_STRING": queryString = value
            case "CONTENT_TYPE": contentType = value
            case "REMOTE_ADDR": remoteAddress = value
            case "REQUEST_ID": requestID = value
            case "HTTPS": isHTTPS = value == "on" || value == "ON" || value == "1"
            case "HH_AUTH_ORIGINAL_METHOD": originalMethod = value
            case "HH_AUTH_ORIGINAL_URI": originalURI = value
            default: break
            }
        }
        let uri = requestURI ?? documentURI ?? "/"
        // Split at the `?` byte: as a `Character`, a `?` followed by a combining mark would not match.
        let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?"))
        let path = mark.map { String(decoding: uri.utf8[..<$0], as: UTF8.self) } ?? uri
        let queryText =
            queryString ?? mark.map {
                String(decoding: uri.utf8[uri.utf8.index(after: $0)...], as: UTF8.self)
            } ?? ""
        if let contentType, !contentType.isEmpty { headers["content-type"] = contentType }
        var request = HTTPRequest(
            method: method ?? "GET",
            path: path.isEmpty ? "/" : path,
            query: QueryParameters(parsing: queryText[...]),
            headers: headers,
            body: incoming.body,
            bodyExceedsLimit: incoming.bodyExceedsLimit,
            clientAddress: remoteAddress ?? "",
            requestID: RequestID.accepting(requestID))
        request.isHTTPS = isHTTPS
        request.originalMethod = originalMethod
        request.originalURI = originalURI
        return request
    }

    private enum ParameterKind { case header, maybeRead, ignored }

    /// Sorts a parameter by its bytes before any `String` comparison: a generic
    /// `utf8.starts(with:)` and the `switch` comparing every name against ten cost ~12,000 of
    /// `/auth/verify`'s ~129,000 instructions with nginx's ~20 parameters (callgrind,
    /// bench/instructions/run.sh demo-cookie). Every name the switch reads starts with one of
    /// `C`, `D`, `H`, `Q`, `R`; `SERVER_*`, `SCRIPT_NAME` and `GATEWAY_INTERFACE` skip it. By bytes
    /// also because as `Character`s, `_` and a combining mark after it would be one.
    private static func kind(of name: String) -> ParameterKind {
        var name = name
        return name.withUTF8 { bytes in
            guard let first = bytes.first else { return .ignored }
            if bytes.count > 5, first == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"),
                bytes[2] == UInt8(ascii: "T"),
                bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "_")
            {
                return .header
            }
            switch first {
            case UInt8(ascii: "C"), UInt8(ascii: "D"), UInt8(ascii: "H"), UInt8(ascii: "Q"), UInt8(ascii: "R"):
                return .maybeRead
            default:
                return .ignored
            }
        }
    }

    /// `HTTP_USER_AGENT` → `user-agent`, by bytes: the prefix is five bytes and `_` is one (as
    /// `Character`s, `_` and a combining mark after it would be one). nginx sends ASCII names;
    /// anything else is lowercased the Unicode way.
    static func headerName(fromParameter parameter: String) -> String {
        let name = parameter.utf8.dropFirst(5)
        guard name.allSatisfy({ $0 < 0x80 }) else {
            let lowered = String(decoding: name, as: UTF8.self).lowercased()
            return String(
                decoding: lowered.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
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
