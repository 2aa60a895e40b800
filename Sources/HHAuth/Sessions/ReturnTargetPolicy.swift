import HTTPCore

/// Decides whether a sign-in's or sign-out's `rd` may be followed, and gives the exact `Location`.
///
/// Allowed are only:
/// - a path on this site: one `/`, then anything that is not a second `/`, a backslash, or an
///   encoding of either, of whitespace or of a control character. The `Location` is the path put
///   after this site's origin (``SiteOrigin``), so it can never be read as another host;
/// - an absolute `http://` or `https://` URL (scheme in any case, always with `//`) with no user
///   information whose host is this site's exact origin (scheme, host and port), or is allowed by
///   one of ``RedirectHostRule`` (with either scheme, on any port: cookies do not tell ports apart
///   either, so a port is no boundary the session could rely on). An IPv6 literal host (`[::1]`)
///   is compared as the address it is (``IPv6Literal``), and only ever matches exactly.
///
/// Everything else is refused, in particular each class of the published open-redirect bypasses
/// of oauth2-proxy (`//host`, `/\host`, `/<tab>/host`, `/%09/host`, allow-listed suffixes that are
/// not on a dot boundary), Vouch Proxy and Authelia (other schemes, `https:host` without `//`,
/// userinfo, backslashes): the value is judged as it came, never decoded first, and any character
/// that is not printable ASCII (raw or percent-encoded control, whitespace, non-ASCII host) ends it.
/// The answer is therefore always printable ASCII without CR or LF: safe in a header.
public struct ReturnTargetPolicy: Sendable {
    /// Longer values are refused: a real return URL is far shorter, and nginx's header buffers are not.
    public static let maxLength = 2048

    public let site: SiteOrigin
    public let allowedHosts: [RedirectHostRule]

    public init(site: SiteOrigin, allowedHosts: [RedirectHostRule]) {
        self.site = site
        self.allowedHosts = allowedHosts
    }

    /// The `Location` to send the browser to for `target` (the query parameter, decoded once as
    /// every query parameter is), or ``LoginError/returnTargetNotAllowed``.
    public func location(for target: String) throws(LoginError) -> String {
        switch judge(target) {
        case .success(let location): return location
        case .failure: throw .returnTargetNotAllowed
        }
    }

    /// Why a target is refused; the tests hold each hostile class to its reason.
    enum Refusal: Error, Equatable {
        case empty
        case tooLong
        /// A raw byte that is not printable ASCII: whitespace, a control character, non-ASCII.
        case unprintable
        case backslash
        /// `%` not followed by two hex digits, or the encoding of a control character anywhere.
        case badEncoding
        /// A path that starts with `//` (a network-path reference: another host).
        case networkPath
        /// A path whose first segment starts with an encoded `/`, `\`, whitespace or control.
        case encodedPathStart
        /// Not a path, and not `http://` or `https://`.
        case scheme
        case userinfo
        case badHost
        case badPort
        case hostNotAllowed
    }

    func judge(_ target: String) -> Result<String, Refusal> {
        let bytes = Array(target.utf8)
        if bytes.isEmpty { return .failure(.empty) }
        if bytes.count > Self.maxLength { return .failure(.tooLong) }
        if let refusal = Self.characterRefusal(bytes) { return .failure(refusal) }
        if bytes[0] == UInt8(ascii: "/") {
            if bytes.count > 1, bytes[1] == UInt8(ascii: "/") { return .failure(.networkPath) }
            if Self.startsWithHiddenSeparator(bytes.dropFirst()) { return .failure(.encodedPathStart) }
            return .success(site.description + target)
        }
        return absolute(target)
    }

    /// Checks every byte: printable ASCII only, no backslash, well-formed escapes that encode no
    /// control character and no backslash.
    private static func characterRefusal(_ bytes: [UInt8]) -> Refusal? {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte <= 0x20 || byte >= 0x7F { return .unprintable }
            if byte == UInt8(ascii: "\\") { return .backslash }
            if byte == UInt8(ascii: "%") {
                guard let decoded = hexPair(bytes, at: index + 1) else { return .badEncoding }
                if decoded < 0x20 || decoded == 0x7F { return .badEncoding }
                if decoded == UInt8(ascii: "\\") { return .backslash }
                index += 3
                continue
            }
            index += 1
        }
        return nil
    }

    /// Whether the path's first segment, its leading escapes decoded (a few times over, for
    /// `%252F`), starts with `/`, `\`, whitespace, a control or format character, or bytes that
    /// are not UTF-8 (an overlong `/`): a server or client that decodes once more would see
    /// another host there.
    private static func startsWithHiddenSeparator(_ rest: ArraySlice<UInt8>) -> Bool {
        var bytes = Array(rest.prefix(64))
        guard bytes.first == UInt8(ascii: "%") else { return false }
        for _ in 0..<3 where bytes.first == UInt8(ascii: "%") {
            var decoded: [UInt8] = []
            var index = 0
            while index < bytes.count, bytes[index] == UInt8(ascii: "%"), let byte = hexPair(bytes, at: index + 1) {
                decoded.append(byte)
                index += 3
            }
            if decoded.isEmpty { break }
            bytes = decoded + bytes[index...]
        }
        guard let first = bytes.first else { return false }
        if first < 0x80 {
            return first <= 0x20 || first == 0x7F || first == UInt8(ascii: "/") || first == UInt8(ascii: "\\")
        }
        guard let scalar = String(decoding: bytes.prefix(4), as: UTF8.self).unicodeScalars.first else { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .unassigned, .surrogate:
            return true
        default:
            return scalar == "\u{FFFD}" || scalar.properties.isWhitespace
        }
    }

    /// An absolute `http`/`https` URL on this site's origin or an allowed host.
    private func absolute(_ target: String) -> Result<String, Refusal> {
        guard let scheme = SiteOrigin.httpScheme(of: target) else { return .failure(.scheme) }
        let rest = target.utf8.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        let remainder = rest.dropFirst(authority.count)
        if authority.contains(UInt8(ascii: "@")) { return .failure(.userinfo) }
        let host: String
        let portBytes: Substring.UTF8View.SubSequence
        if authority.first == UInt8(ascii: "[") {
            // An IPv6 literal: the brackets, then nothing or a port.
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")),
                let literal = IPv6Literal(bracketed: String(decoding: authority[...close], as: UTF8.self))
            else { return .failure(.badHost) }
            host = literal.text
            portBytes = authority[authority.index(after: close)...]
            if let first = portBytes.first, first != UInt8(ascii: ":") { return .failure(.badHost) }
        } else {
            let hostBytes = authority.prefix { $0 != UInt8(ascii: ":") }
            host = String(decoding: hostBytes, as: UTF8.self).lowercased()
            guard RedirectHostRule.isHostName(host) else { return .failure(.badHost) }
            portBytes = authority.dropFirst(hostBytes.count)
        }
        var port: Int?
        if !portBytes.isEmpty {
            let digits = portBytes.dropFirst()
            guard (1...5).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(String(decoding: digits, as: UTF8.self)), (1...65535).contains(value)
            else { return .failure(.badPort) }
            port = value == (scheme == "https" ? 443 : 80) ? nil : value
        }
        let sameOrigin = scheme == site.scheme && host == site.host && port == site.port
        guard sameOrigin || allowedHosts.contains(where: { $0.allows(host) }) else {
            return .failure(.hostNotAllowed)
        }
        let location =
            "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") + String(decoding: remainder, as: UTF8.self)
        return .success(location)
    }

    /// The byte two hex digits at `index` encode, or `nil`.
    private static func hexPair(_ bytes: [UInt8], at index: Int) -> UInt8? {
        guard index + 1 < bytes.count, let high = QueryParameters.hexValue(bytes[index]),
            let low = QueryParameters.hexValue(bytes[index + 1])
        else {
            return nil
        }
        return high << 4 | low
    }
}
