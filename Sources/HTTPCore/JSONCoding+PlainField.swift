extension JSONCoding {
    /// The value of a body that is exactly one object with one string field, `{"<name>": "<value>"}`,
    /// in its plainest spelling: JSON whitespace around the tokens, the key spelled as `name` is,
    /// the value printable ASCII without escapes. Anything else (another key, an escape, a number,
    /// non-ASCII, trailing bytes) is nil, and the caller decodes the body with
    /// ``decodeObject(_:from:)`` as before.
    ///
    /// Whenever this answers, `decodeObject` answers the same value (the tests and the
    /// `json_bodies` fuzz target hold the two to that). It exists for `POST /auth/token`, which the
    /// seed's clients call with `{"session_id": …}` on every request: through `JSONDecoder` the
    /// one-field body cost about 18,000 instructions, a tenth of the route (callgrind,
    /// BENCHMARKS.md "Issue 15").
    public static func plainStringField(_ name: String, in body: [UInt8]) -> String? {
        body.withUnsafeBufferPointer { bytes -> String? in
            var index = 0
            func skipWhitespace() {
                while index < bytes.count,
                    bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D
                {
                    index += 1
                }
            }
            func take(_ byte: UInt8) -> Bool {
                guard index < bytes.count, bytes[index] == byte else { return false }
                index += 1
                return true
            }
            /// A string of printable ASCII without `"` or `\`; its bytes, past the closing quote.
            func plainString() -> Range<Int>? {
                guard take(UInt8(ascii: "\"")) else { return nil }
                let start = index
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") {
                        index += 1
                        return start..<(index - 1)
                    }
                    guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                    index += 1
                }
                return nil
            }
            skipWhitespace()
            guard take(UInt8(ascii: "{")) else { return nil }
            skipWhitespace()
            guard let key = plainString(), bytes[key].elementsEqual(name.utf8) else { return nil }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            guard let value = plainString() else { return nil }
            skipWhitespace()
            guard take(UInt8(ascii: "}")) else { return nil }
            skipWhitespace()
            guard index == bytes.count else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[value]), as: UTF8.self)
        }
    }
}
