/// Decoded `application/x-www-form-urlencoded` pairs: a query string or a form body.
///
/// Keeps every pair in order; ``subscript(_:)`` returns the first value, as FastAPI does for a
/// scalar parameter. Invalid percent escapes are kept literally rather than rejected, so decoding
/// never fails; malformed UTF-8 becomes U+FFFD.
public struct QueryParameters: Sendable, Equatable {
    public private(set) var pairs: [(name: String, value: String)]

    public init(_ pairs: [(name: String, value: String)] = []) {
        self.pairs = pairs
    }

    /// At most `limit` pairs are kept; the rest of a hostile 10,000-parameter query is ignored.
    ///
    /// `&` and `=` split at their bytes, as every other form parser does: compared as `Character`s,
    /// one followed by a combining mark would fuse with it and not split at all.
    public init(parsing text: Substring, limit: Int = 256) {
        var pairs: [(name: String, value: String)] = []
        for part in text.utf8.lazy.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard pairs.count < limit else { break }
            if let equals = part.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append(
                    (Self.decode(bytes: part[..<equals]), Self.decode(bytes: part[part.index(after: equals)...])))
            } else {
                pairs.append((Self.decode(bytes: part), ""))
            }
        }
        self.pairs = pairs
    }

    /// The first value of `name`.
    public subscript(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Percent-decodes, with `+` as a space (form encoding).
    public static func decode<S: StringProtocol>(_ text: S, plusIsSpace: Bool = true) -> String {
        decode(bytes: text.utf8, plusIsSpace: plusIsSpace)
    }

    private static func decode(bytes text: some Collection<UInt8>, plusIsSpace: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = Array(text)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let high = hexValue(iterator[iterator.startIndex]),
                let low = hexValue(iterator[iterator.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-encodes a value for a query string (RFC 3986 unreserved characters stay).
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out +=
                    "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Builds `a=1&b=2` from pairs.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// The value of one hexadecimal digit, either case; nil for anything else.
    public static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
