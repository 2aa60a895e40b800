import HTTPCore

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

    /// The 16 bytes of the address between the brackets.
    private static func parse(_ text: [UInt8]) -> [UInt8]? {
        let colon = UInt8(ascii: ":")
        var halves: [[UInt8]] = [text]
        if let gap = (0..<max(0, text.count - 1)).first(where: { text[$0] == colon && text[$0 + 1] == colon }) {
            halves = [Array(text[..<gap]), Array(text[(gap + 2)...])]
        }
        var parsed: [[UInt8]] = []
        for (number, half) in halves.enumerated() {
            // Empty before or after `::`; never a whole address without one.
            if half.isEmpty {
                guard halves.count == 2 else { return nil }
                parsed.append([])
                continue
            }
            let pieces = half.split(separator: colon, omittingEmptySubsequences: false)
            var bytes: [UInt8] = []
            for (position, piece) in pieces.enumerated() {
                let last = number == halves.count - 1 && position == pieces.count - 1
                if last, piece.contains(UInt8(ascii: ".")) {
                    guard let address = ipv4(Array(piece)) else { return nil }
                    bytes += address
                } else {
                    guard let group = hexGroup(Array(piece)) else { return nil }
                    bytes += [UInt8(group >> 8), UInt8(group & 0xFF)]
                }
            }
            parsed.append(bytes)
        }
        if parsed.count == 1 { return parsed[0].count == 16 ? parsed[0] : nil }
        let known = parsed[0].count + parsed[1].count
        // `::` stands for at least one zero group.
        guard known <= 14 else { return nil }
        return parsed[0] + [UInt8](repeating: 0, count: 16 - known) + parsed[1]
    }

    /// One to four hex digits.
    private static func hexGroup(_ digits: [UInt8]) -> Int? {
        guard (1...4).contains(digits.count) else { return nil }
        var value = 0
        for digit in digits {
            guard let nibble = QueryParameters.hexValue(digit) else { return nil }
            value = value << 4 | Int(nibble)
        }
        return value
    }

    /// Four decimal numbers 0-255 without leading zeros, dot-separated.
    private static func ipv4(_ text: [UInt8]) -> [UInt8]? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                part.count == 1 || part.first != 0x30,
                let value = Int(String(decoding: part, as: UTF8.self)), value <= 255
            else { return nil }
            bytes.append(UInt8(value))
        }
        return bytes
    }
}
