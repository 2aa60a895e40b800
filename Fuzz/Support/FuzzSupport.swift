#if canImport(Glibc)
    import Glibc
#endif

/// Shared by every fuzz target. A broken invariant prints what broke and aborts, so libFuzzer
/// saves the input as a crash artifact exactly as it does for a trap.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    guard condition() else {
        let text = "INVARIANT BROKEN: \(message())\n"
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }
}

/// libFuzzer's buffer as an array (libFuzzer may hand a null pointer for the empty input).
func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Byte-level reference splitting, the model the Swift parsers are checked against: on the wire
/// `&`, `=`, `/`, `?` and `:` are single bytes, whatever Unicode characters follow them.
func splitBytes(_ bytes: some Collection<UInt8>, on separator: UInt8) -> [[UInt8]] {
    var parts: [[UInt8]] = [[]]
    for byte in bytes {
        if byte == separator { parts.append([]) } else { parts[parts.count - 1].append(byte) }
    }
    return parts
}

/// Percent-decoding as RFC 3986 / WHATWG define it, on bytes: the reference for `QueryParameters.decode`.
func referencePercentDecode(_ bytes: [UInt8], plusIsSpace: Bool) -> String {
    func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        if byte == 0x25, index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
            out.append(high << 4 | low)
            index += 3
        } else {
            out.append(plusIsSpace && byte == 0x2B ? 0x20 : byte)
            index += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Byte equality: `String ==` compares by canonical equivalence, which would hide a difference in form.
func sameBytes(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
    lhs.utf8.elementsEqual(rhs.utf8)
}
