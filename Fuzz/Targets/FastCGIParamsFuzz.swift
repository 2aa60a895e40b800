import FastCGI
import FastCGIHTTP
import HTTPCore

/// FastCGI parameters and body → ``HTTPRequest`` (`RequestConversion.httpRequest(from:)`).
///
/// Input layout, as libfcgi's environment array: `NAME=VALUE` entries separated by NUL bytes, then an
/// empty entry (two NULs), then the body. Parameter names and values are arbitrary: nginx passes
/// request headers as `HTTP_*` and the raw `REQUEST_URI` / `QUERY_STRING` of the client.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFastCGIParams(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    // In input order, duplicates kept, as readParams hands them over; `params` models what the
    // conversion must make of them: a later parameter of a name replaces an earlier one.
    var parameters: [CGIField] = []
    var params: [String: String] = [:]
    var body: [UInt8] = []
    var start = 0
    while start <= bytes.count {
        let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
        if end == start {
            body = Array(bytes[min(end + 1, bytes.count)...])
            break
        }
        // `String(cString:)` in FastCGIServer.readParams repairs bad UTF-8 the same way.
        if let parameter = FastCGIRequest.parameter(
            fromEnvironment: String(decoding: bytes[start..<end], as: UTF8.self))
        {
            let (name, value) = (parameter.name, parameter.value)
            invariant(!name.utf8.contains(UInt8(ascii: "=")), "parameter name \(name.debugDescription) holds `=`")
            parameters.append(parameter)
            params[name] = value
        }
        start = end + 1
    }

    let request = RequestConversion.httpRequest(from: FastCGIRequest(parameters: parameters, body: body))

    invariant(request.method == params["REQUEST_METHOD"] ?? "GET", "method \(request.method.debugDescription)")
    let uri = Array((params["REQUEST_URI"] ?? params["DOCUMENT_URI"] ?? "/").utf8)
    let expectedPath = uri.firstIndex(of: UInt8(ascii: "?")).map { Array(uri[..<$0]) } ?? uri
    invariant(
        request.path.utf8.elementsEqual(expectedPath.isEmpty ? Array("/".utf8) : expectedPath),
        "path \(request.path.debugDescription) is not the URI before its first `?`")
    invariant(request.query.pairs.count <= 256, "\(request.query.pairs.count) query pairs kept")
    for (name, value) in request.headers {
        invariant(
            name == name.lowercased() && !name.utf8.contains(UInt8(ascii: "_")), "header name \(name.debugDescription)")
        // `HTTP_A_B` and `HTTP_a-b` name the same header; one of them must be where the value came
        // from. Bytes, not `Character`s: `HTTP_` + a combining mark is still the prefix on the wire.
        let fromParams = params.contains {
            let lowered = String(decoding: $0.key.utf8.dropFirst(5), as: UTF8.self).lowercased()
            return $0.key.utf8.starts(with: "HTTP_".utf8)
                && String(
                    decoding: lowered.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
                    == name
                && $0.value == value
        }
        invariant(
            fromParams || (name == "content-type" && params["CONTENT_TYPE"] == value), "header \(name) has no source")
    }
    invariant(request.clientAddress == params["REMOTE_ADDR"] ?? "", "client address")
    // The byte reading of `Authorization: Bearer` answers what the `Character` reading answers.
    if let authorization = request.headers["authorization"] {
        if case .some(let fast) = HTTPRequest.asciiBearerToken(authorization) {
            invariant(
                fast == HTTPRequest.bearerToken(splitting: authorization),
                "bearer token of \(authorization.debugDescription): \(fast.debugDescription)")
        }
        invariant(request.bearerToken == HTTPRequest.bearerToken(splitting: authorization), "bearerToken")
    }
    invariant(request.body == body, "body changed")
    invariant(
        request.requestID.utf8.count == 32
            && request.requestID.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) },
        "request id \(request.requestID.debugDescription)")
    if let token = request.bearerToken {
        invariant(!token.isEmpty && token.first != " " && token.last != " ", "bearer token \(token.debugDescription)")
    }
    for text in [request.method, request.clientAddress, request.userAgent] {
        invariant(!LogText.safe(text).utf8.contains { $0 == 10 || $0 == 13 }, "CR/LF survives LogText")
    }
    return 0
}
