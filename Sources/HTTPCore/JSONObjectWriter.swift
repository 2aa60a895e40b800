import Foundation

/// Writes a flat JSON object exactly as ``JSONCoding/encoder`` would (keys sorted, ISO 8601
/// dates in whole seconds, slashes unescaped), for the answers every session call sends. Through
/// `JSONEncoder`'s generic machinery such a three-key answer cost more than the session lookup
/// and the decryption together (profiled on `/auth/token`); tests hold the two byte-identical.
///
/// Keys must be added in sorted order.
public struct JSONObjectWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var lastKey: String?

    public init() {
        bytes.reserveCapacity(256)
    }

    /// A string, or `null`.
    public mutating func add(_ key: String, _ value: String?) {
        startValue(key)
        if let value { appendString(value) } else { bytes += "null".utf8 }
    }

    public mutating func add(_ key: String, _ value: Int64) {
        startValue(key)
        bytes += String(value).utf8
    }

    public mutating func add(_ key: String, _ value: Bool) {
        startValue(key)
        bytes += (value ? "true" : "false").utf8
    }

    /// `2026-11-23T17:18:58Z`: UTC, fractions dropped, as the encoder's `.iso8601` strategy writes it.
    public mutating func add(_ key: String, _ value: Date) {
        startValue(key)
        bytes.append(UInt8(ascii: "\""))
        bytes += JSONText.timestamp(unixSeconds: JSONText.wholeSeconds(value.timeIntervalSince1970)).utf8
        bytes.append(UInt8(ascii: "\""))
    }

    /// The object's bytes, closed.
    public consuming func finish() -> [UInt8] {
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

    private mutating func appendString(_ value: String) {
        JSONText.appendString(value, to: &bytes)
    }
}
