import HTTPCore

/// `LogText.safe`, the only way client text reaches a log line: whatever comes in, what goes out
/// holds no control character (C0, DEL, C1) and no Unicode line or paragraph separator, so a client
/// can never start a forged log line; it is at most `limit` scalars long and printable text passes unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLogText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    // The first byte picks the limit (callers pass small constants: 64, 200); the rest is the text.
    let limit = Int(bytes.first ?? 200)
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let safe = LogText.safe(text, limit: limit)

    invariant(!safe.utf8.contains(10) && !safe.utf8.contains(13), "CR or LF in \(safe.debugDescription)")
    for scalar in safe.unicodeScalars {
        invariant(
            !breaksLogLines(scalar), "U+\(String(scalar.value, radix: 16, uppercase: true)) in \(safe.debugDescription)"
        )
    }
    let input = Array(text.unicodeScalars.prefix(limit))
    let output = Array(safe.unicodeScalars)
    invariant(output.count == input.count, "\(output.count) scalars out for \(input.count) in (limit \(limit))")
    for (original, kept) in zip(input, output) where !breaksLogLines(original) {
        invariant(original == kept, "U+\(String(original.value, radix: 16)) was changed")
    }
    return 0
}

/// What must never reach a log line: general category Cc, Zl or Zp.
private func breaksLogLines(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .lineSeparator, .paragraphSeparator: true
    default: false
    }
}
