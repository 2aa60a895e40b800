#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv6 address as a URL's host writes it, in brackets (`[::1]`): parsed to its 16 bytes so
/// that two spellings of one address compare equal, and written back in one form.
///
/// Only the plain address is accepted: hex groups with at most one `::`, and dotted IPv4 as the
/// last 32 bits (`[::ffff:127.0.0.1]`, no leading zeros). A zone id (`[fe80::1%25eth0]`: browsers
/// refuse it, and a server may read it as something else) and any other character are refused.
struct IPv6Literal: Equatable, Sendable {
    /// The address, 16 bytes.
    let bytes: [UInt8]

    /// Parses `[address]`, lowercase or not; `nil` for anything else.
    init?(bracketed text: some StringProtocol) {
        guard text.hasPrefix("["), text.hasSuffix("]"), text.utf8.count > 2 else { return nil }
        guard let bytes = Self.parse(Array(text.utf8.dropFirst().dropLast())) else { return nil }
        self.bytes = bytes
    }

    /// `[…]` in the form of RFC 5952 §4 (lowercase hex without leading zeros, the longest run of
    /// two or more zero groups, the first of equals, as `::`), IPv4 too in hex, as browsers write it.
    var text: String {
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        var best = (start: -1, count: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < 8, groups[index] == 0 { index += 1 }
            if index - start > best.count { best = (start, index - start) }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.count >= 2 else { return "[" + hex.joined(separator: ":") + "]" }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.count)...].joined(separator: ":")
        return "[" + head + "::" + tail + "]"
    }

    /// The 16 bytes of the address between the brackets: the C library's `inet_pton`, which takes
    /// hex groups with at most one `::` and dotted IPv4 (no leading zeros) as the last 32 bits, and
    /// refuses a zone id and anything else.
    private static func parse(_ text: [UInt8]) -> [UInt8]? {
        // A C string ends at NUL: `[::1\0evil]` must not read as `[::1]`.
        guard !text.contains(0) else { return nil }
        var address = in6_addr()
        let parsed = String(decoding: text, as: UTF8.self).withCString { inet_pton(AF_INET6, $0, &address) }
        guard parsed == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
