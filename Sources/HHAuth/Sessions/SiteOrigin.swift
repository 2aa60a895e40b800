/// This site's origin (scheme, host and port), taken from `HH_REDIRECT_URI`: where the callback,
/// and so the browser's session cookie, lives. A return target that is a path is a path here.
public struct SiteOrigin: Sendable, Equatable, CustomStringConvertible {
    /// `http` or `https`.
    public let scheme: String
    /// Lowercase; an IPv6 literal keeps its brackets and is written in one form (``IPv6Literal``),
    /// so two spellings of the address are one origin.
    public let host: String
    /// The port as written, `nil` when the URL names none or names the scheme's default.
    public let port: Int?

    /// The origin of an absolute `http`/`https` URL; `nil` for anything else, or for a URL with
    /// user information, characters that could not go into a header, or a bracketed host that is
    /// no IPv6 address (a zone id included).
    public init?(url: String) {
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        guard let scheme = Self.httpScheme(of: url) else { return nil }
        let lowered = url.lowercased()
        let rest = lowered.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains("\\") else { return nil }
        var port: Int?
        let hostEnd: Substring.Index
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostEnd = authority.index(after: close)
        } else {
            hostEnd = authority.firstIndex(of: ":") ?? authority.endIndex
        }
        let host = authority[..<hostEnd]
        let portText = authority[hostEnd...]
        if !portText.isEmpty {
            guard portText.first == ":", let value = Int(portText.dropFirst()), (1...65535).contains(value) else {
                return nil
            }
            port = value == (scheme == "https" ? 443 : 80) ? nil : value
        }
        guard !host.isEmpty else { return nil }
        if host.hasPrefix("[") {
            guard let literal = IPv6Literal(bracketed: host) else { return nil }
            self.host = literal.text
        } else {
            self.host = String(host)
        }
        self.scheme = scheme
        self.port = port
    }

    /// `http` or `https` when `url` starts with `http://` or `https://` in any case; nil otherwise
    /// (`https:host` without the slashes included).
    static func httpScheme(of url: String) -> String? {
        let lowered = url.prefix(8).lowercased()
        if lowered.hasPrefix("https://") { return "https" }
        if lowered.hasPrefix("http://") { return "http" }
        return nil
    }

    /// `scheme://host[:port]`, what a path is put after to make a `Location`.
    public var description: String {
        "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }
}
