import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes a flat JSON object exactly as ``JSONCoding/encoder`` would (keys sorted, ISO 8601
/// dates in whole seconds, slashes unescaped), for the answers every session call sends. Through
/// `JSONEncoder`'s generic machinery such a three-key answer cost more than the session lookup
/// and the decryption together (profiled on `/auth/token`); tests hold the two byte-identical.
///
/// Keys must be added in sorted order.
struct JSONObjectWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var lastKey: String?

    init() {
        bytes.reserveCapacity(256)
    }

    mutating func add(_ key: String, _ value: String?) {
        startValue(key)
        if let value { appendString(value) } else { bytes += "null".utf8 }
    }

    mutating func add(_ key: String, _ value: Int64) {
        startValue(key)
        bytes += String(value).utf8
    }

    mutating func add(_ key: String, _ value: Bool) {
        startValue(key)
        bytes += (value ? "true" : "false").utf8
    }

    /// `2026-11-23T17:18:58Z`: UTC, fractions dropped, as the encoder's `.iso8601` strategy writes it.
    mutating func add(_ key: String, _ value: Date) {
        startValue(key)
        var seconds = time_t(value.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        bytes.append(UInt8(ascii: "\""))
        appendDigits(Int(parts.tm_year) + 1900, width: 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mon) + 1, width: 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mday), width: 2)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(Int(parts.tm_hour), width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_min), width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_sec), width: 2)
        bytes += "Z\"".utf8
    }

    /// The object's bytes, closed.
    consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    private mutating func startValue(_ key: String) {
        assert(lastKey.map { $0 < key } ?? true, "keys must come in sorted order")
        if lastKey != nil { bytes.append(UInt8(ascii: ",")) }
        lastKey = key
        appendString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func appendDigits(_ value: Int, width: Int) {
        let text = String(value)
        bytes += repeatElement(UInt8(ascii: "0"), count: max(0, width - text.utf8.count))
        bytes += text.utf8
    }

    /// RFC 8259 escaping: quote, backslash and the C0 controls; everything else as its UTF-8.
    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += #"\""#.utf8
            case UInt8(ascii: "\\"): bytes += #"\\"#.utf8
            case 0x0A: bytes += #"\n"#.utf8
            case 0x0D: bytes += #"\r"#.utf8
            case 0x09: bytes += #"\t"#.utf8
            case 0x08: bytes += #"\b"#.utf8
            case 0x0C: bytes += #"\f"#.utf8
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += #"\u00"#.utf8
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
