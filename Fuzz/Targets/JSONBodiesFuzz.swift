import HTTPCore

/// The JSON body of every route, through `JSONCoding.decodeObject`: it answers a value or an
/// `HTTPError` 400 (not a JSON object) / 422 (a field missing or mistyped, named in the detail).
/// Deep nesting, huge numbers, bad UTF-8 and lone surrogates are all just bad input. And
/// `JSONCoding.plainStringField` (the session body's fast path) agrees with the decoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONBodies(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = fuzzBytes(data, size)
    check(ExchangeBody.self, body, fields: ["exchange_code"])
    check(SessionBody.self, body, fields: ["session_id"])
    check(AllowBody.self, body, fields: ["hh_user_id", "comment"])
    // The one-field fast path answers only where the decoder answers the same value.
    if let plain = JSONCoding.plainStringField("session_id", in: body) {
        let decoded = try? JSONCoding.decodeObject(SessionBody.self, from: body)
        invariant(
            decoded?.session_id == plain, "plainStringField answered \(plain.debugDescription), the decoder did not")
    }
    return 0
}

// Mirrors of the handlers' private body types (SessionHandlers, AdminHandlers).
private struct ExchangeBody: Decodable { let exchange_code: String }
private struct SessionBody: Decodable { let session_id: String }
private struct AllowBody: Decodable {
    let hh_user_id: String
    let comment: String?
}

private func check<T: Decodable>(_ type: T.Type, _ body: [UInt8], fields: [String]) {
    let first = body.first { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
    do {
        _ = try JSONCoding.decodeObject(type, from: body)
        invariant(first == UInt8(ascii: "{"), "\(type) decoded from a body that is not an object")
    } catch {
        switch error.status {
        case 400:
            invariant(error == .bodyNotJSONObject, "400 with detail \(error.detail.debugDescription)")
        case 422:
            invariant(first == UInt8(ascii: "{"), "422 for a body that is not an object")
            invariant(
                fields.contains { error.detail.contains($0) }, "422 names no field: \(error.detail.debugDescription)")
        default:
            invariant(false, "decodeObject threw \(error.status) \(error.detail.debugDescription)")
        }
        invariant(error.headers.isEmpty, "a decoding error carries headers")
    }
}
