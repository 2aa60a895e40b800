/// Cookies a browser sent, read from the `Cookie` header (`name=value; name2=value2`).
///
/// nginx joins several `Cookie` headers (HTTP/2 sends one per cookie) with `; `, so one header
/// holds them all. Names are compared exactly; a value in double quotes loses its quotes
/// (RFC 6265 §4.1.1). When a name repeats, the first wins: browsers send the cookie with the
/// longest path first, and every cookie of ours has `Path=/`.
extension HTTPRequest {
    /// The value of the cookie `name`, if the request carries one.
    ///
    /// One scan over the header's bytes, allocating only the value found: `/auth/verify` reads the
    /// session cookie on every request nginx protects, and splitting the header into an array of
    /// pairs cost ~8,300 of its ~129,000 instructions (callgrind, bench/instructions/run.sh
    /// demo-cookie; ~1,000 with the scan).
    public func cookie(_ name: String) -> String? {
        guard var header = headers["cookie"] else { return nil }
        var name = name
        return header.withUTF8 { bytes in
            name.withUTF8 { wanted in Self.cookieValue(named: wanted, in: bytes) }
        }
    }

    private static func cookieValue(named wanted: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>)
        -> String?
    {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: ";") { end += 1 }
            defer { start = end + 1 }
            var equals = start
            while equals < end && bytes[equals] != UInt8(ascii: "=") { equals += 1 }
            guard equals < end else { continue }
            // Only the spaces before a name: `name =v` is no cookie `name`, as nginx's recipe cuts
            // only `name=` from what a protected app gets (nginx/hh-auth-http.conf); read as ours
            // it would pass to the app uncut.
            let key = trimmed(start, equals, in: bytes, trailing: false)
            guard key.upperBound - key.lowerBound == wanted.count,
                wanted.indices.allSatisfy({ bytes[key.lowerBound + $0] == wanted[$0] })
            else { continue }
            var value = trimmed(equals + 1, end, in: bytes)
            if value.count >= 2, bytes[value.lowerBound] == UInt8(ascii: "\""),
                bytes[value.upperBound - 1] == UInt8(ascii: "\"")
            {
                value = (value.lowerBound + 1)..<(value.upperBound - 1)
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[value]), as: UTF8.self)
        }
        return nil
    }

    /// `lower..<upper` without the spaces and tabs at its start and (`trailing`) its end.
    private static func trimmed(
        _ lower: Int, _ upper: Int, in bytes: UnsafeBufferPointer<UInt8>, trailing: Bool = true
    ) -> Range<Int> {
        var lower = lower
        var upper = upper
        while lower < upper && (bytes[lower] == UInt8(ascii: " ") || bytes[lower] == UInt8(ascii: "\t")) { lower += 1 }
        while trailing && upper > lower
            && (bytes[upper - 1] == UInt8(ascii: " ") || bytes[upper - 1] == UInt8(ascii: "\t"))
        {
            upper -= 1
        }
        return lower..<upper
    }

    /// The names of the cookies the request carries that start with `prefix`, in order.
    public func cookieNames(withPrefix prefix: String) -> [String] {
        guard let header = headers["cookie"] else { return [] }
        return header.utf8.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: true).compactMap { pair in
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = Self.trimmed(pair[pair.startIndex..<equals])
            // As in `cookie(_:)`: a name followed by spaces is not the name.
            guard key.starts(with: prefix.utf8), key.endIndex == equals else { return nil }
            return String(decoding: key, as: UTF8.self)
        }
    }

    private static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var slice = bytes
        while let first = slice.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            slice = slice.dropFirst()
        }
        while let last = slice.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            slice = slice.dropLast()
        }
        return slice
    }
}

/// A `Set-Cookie` header the service sends. Every cookie of ours is `HttpOnly` (no script reads
/// it) and `Path=/`; the rest is chosen per cookie.
public struct SetCookie: Sendable, Equatable {
    /// Which cross-site requests carry the cookie.
    public enum SameSite: String, Sendable {
        /// Top-level navigations (a link, HH's redirect back) carry it; embedded and scripted
        /// cross-site requests do not.
        case lax = "Lax"
        case strict = "Strict"
    }

    public var name: String
    public var value: String
    /// Seconds the browser keeps it; `nil` makes it last until the browser closes, `0` deletes it.
    public var maxAge: Int?
    /// A parent domain for apps on subdomains; `nil` keeps the cookie to the host that set it.
    public var domain: String?
    public var secure: Bool
    public var sameSite: SameSite

    public init(
        name: String, value: String, maxAge: Int?, domain: String? = nil, secure: Bool, sameSite: SameSite = .lax
    ) {
        self.name = name
        self.value = value
        self.maxAge = maxAge
        self.domain = domain
        self.secure = secure
        self.sameSite = sameSite
    }

    /// The same cookie, deleted (`Max-Age=0` and an empty value).
    public var deleted: SetCookie {
        var copy = self
        copy.value = ""
        copy.maxAge = 0
        return copy
    }

    /// The header's value.
    public var headerValue: String {
        var text = name + "=" + value + "; Path=/"
        if let maxAge { text += "; Max-Age=\(max(0, maxAge))" }
        if let domain { text += "; Domain=" + domain }
        if secure { text += "; Secure" }
        text += "; HttpOnly; SameSite=" + sameSite.rawValue
        return text
    }

    /// The `Set-Cookie` header.
    public var header: HTTPHeader { HTTPHeader("Set-Cookie", headerValue) }
}
