import HTTPCore

/// Query strings and form bodies: `QueryParameters(parsing:)`, `decode` and `encode`.
///
/// The input is the query text exactly as a client may send it. Checked against a byte-level model:
/// `&` and `=` split at their bytes, whatever Unicode follows them; at most `limit` pairs are kept;
/// decoding never fails and `encode` round-trips.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQueryParameters(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // libfcgi hands QUERY_STRING over as a C string; `String(cString:)` repairs bad UTF-8 like this.
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let limit = 8
    let parsed = QueryParameters(parsing: text[...], limit: limit)

    let parts = splitBytes(text.utf8, on: UInt8(ascii: "&")).filter { !$0.isEmpty }.prefix(limit)
    invariant(
        parsed.pairs.count == parts.count,
        "\(parsed.pairs.count) pairs parsed, \(parts.count) `&`-separated parts in the bytes")
    for (pair, part) in zip(parsed.pairs, parts) {
        let name: [UInt8]
        let value: [UInt8]
        if let equals = part.firstIndex(of: UInt8(ascii: "=")) {
            (name, value) = (Array(part[..<equals]), Array(part[(equals + 1)...]))
        } else {
            (name, value) = (part, [])
        }
        let expectedName = referencePercentDecode(name, plusIsSpace: true)
        let expectedValue = referencePercentDecode(value, plusIsSpace: true)
        invariant(
            sameBytes(pair.name, expectedName), "name \(pair.name.debugDescription) != \(expectedName.debugDescription)"
        )
        invariant(
            sameBytes(pair.value, expectedValue),
            "value \(pair.value.debugDescription) != \(expectedValue.debugDescription)")
    }
    if let first = parsed.pairs.first {
        invariant(parsed[first.name] == first.value, "subscript does not return the first value")
    }

    let plain = QueryParameters.decode(text, plusIsSpace: false)
    invariant(
        sameBytes(plain, referencePercentDecode(Array(text.utf8), plusIsSpace: false)),
        "decode(plusIsSpace: false) differs from RFC 3986")

    // encode → decode is the identity, and encoded text holds only unreserved bytes and %XX.
    let encoded = QueryParameters.encode(text)
    invariant(
        encoded.utf8.allSatisfy(isUnreservedOrPercent), "encode left a reserved byte in \(encoded.debugDescription)")
    invariant(sameBytes(QueryParameters.decode(encoded), text), "decode(encode(x)) != x")
    let rebuilt = QueryParameters(
        parsing: QueryParameters.encode(parsed.pairs.map { ($0.name, $0.value) })[...], limit: limit)
    invariant(rebuilt == parsed, "parse(encode(pairs)) != pairs")
    return 0
}

private func isUnreservedOrPercent(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"),
        UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"):
        true
    default: false
    }
}
