#if canImport(Glibc)
    import Glibc
#endif

/// The pieces of JSON text the hand-written writers share (``JSONObjectWriter``, audit pages and
/// exports), each exactly as ``JSONCoding/encoder`` writes it.
public enum JSONText {
    /// A JSON string: RFC 8259 escaping of the quote, the backslash and the C0 controls (the short
    /// forms where JSON has them); everything else as its UTF-8, slashes unescaped.
    public static func appendString(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Runs without escapes are copied whole: byte by byte, a 100-byte token cost as much
            // as the rest of its answer (callgrind, BENCHMARKS.md "Issue 15").
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): buffer += #"\""#.utf8
                case UInt8(ascii: "\\"): buffer += #"\\"#.utf8
                case 0x0A: buffer += #"\n"#.utf8
                case 0x0D: buffer += #"\r"#.utf8
                case 0x09: buffer += #"\t"#.utf8
                case 0x08: buffer += #"\b"#.utf8
                case 0x0C: buffer += #"\f"#.utf8
                default:
                    buffer += #"\u00"#.utf8
                    buffer.append(hexDigits[Int(byte >> 4)])
                    buffer.append(hexDigits[Int(byte & 0x0F)])
                }
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `2026-11-23T17:18:58Z`, as the encoder's `.iso8601` dates: UTC, whole seconds.
    ///
    /// By hand because `ISO8601DateFormatter` builds an ICU formatter on every call on Linux:
    /// profiled at a quarter of an audit page.
    public static func timestamp(unixSeconds: Int64) -> String {
        var seconds = time_t(unixSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(unsafeUninitializedCapacity: 20) { out in
            var index = 0
            func put(_ value: Int32, _ width: Int) {
                var value = Int(value)
                for position in stride(from: index + width - 1, through: index, by: -1) {
                    out[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                index += width
            }
            func put(_ byte: Unicode.Scalar) {
                out[index] = UInt8(ascii: byte)
                index += 1
            }
            put(parts.tm_year + 1900, 4)
            put("-")
            put(parts.tm_mon + 1, 2)
            put("-")
            put(parts.tm_mday, 2)
            put("T")
            put(parts.tm_hour, 2)
            put(":")
            put(parts.tm_min, 2)
            put(":")
            put(parts.tm_sec, 2)
            put("Z")
            return index
        }
    }
}
