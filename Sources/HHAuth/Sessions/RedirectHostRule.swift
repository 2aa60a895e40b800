/// One entry of `ALLOWED_REDIRECT_HOSTS`: a host a sign-in or sign-out may send the browser back to.
///
/// `app.example.com` allows exactly that host; `.example.com` allows every subdomain of
/// example.com on a dot boundary (`a.example.com`, `a.b.example.com`) but **not** example.com
/// itself (list it as well if it should be allowed) and never `badexample.com`. Entries are
/// lowercase ASCII host names (IDN hosts in their `xn--` form); no scheme, port, path, wildcard
/// or trailing dot. Ports are not part of a rule: see ``ReturnTargetPolicy``.
///
/// An IP address is only ever an exact entry: `10.0.0.5`, or an IPv6 literal in brackets as URLs
/// write it (`[fd00::5]`, kept in ``IPv6Literal``'s form so that any spelling of the address
/// matches). A subdomain rule whose last label is all digits (`.0.0.5`) would match addresses
/// by their tail and is refused, as is `.[…]`.
public enum RedirectHostRule: Sendable, Equatable, CustomStringConvertible {
    /// Exactly this host.
    case exact(String)
    /// Any host that ends in `.` + this domain, with at least one label before it.
    case subdomains(of: String)

    /// Parses one entry of the setting, or says why it is not a rule.
    public static func parse(_ text: String) -> Result<RedirectHostRule, RuleError> {
        guard !text.isEmpty else { return .failure(RuleError("an empty entry")) }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(RuleError("'\(text)' holds spaces, control or non-ASCII characters (use the xn-- form)"))
        }
        guard text == text.lowercased() else { return .failure(RuleError("'\(text)' must be lowercase")) }
        if text.hasPrefix("[") {
            guard let literal = IPv6Literal(bracketed: text) else {
                return .failure(RuleError("'\(text)' is not an IPv6 address in brackets (no zone id, no port)"))
            }
            return .success(.exact(literal.text))
        }
        if text.hasPrefix(".["), IPv6Literal(bracketed: text.dropFirst()) != nil {
            return .failure(RuleError("'\(text)': an IP address has no subdomains; name it exactly"))
        }
        if !text.contains("["), IPv6Literal(bracketed: "[" + text + "]") != nil {
            return .failure(RuleError("'\(text)': write an IPv6 address in brackets, [\(text)]"))
        }
        guard !text.contains("://"), !text.contains("/"), !text.contains(":") else {
            return .failure(RuleError("'\(text)' must be a host name alone: no scheme, port or path"))
        }
        guard !text.contains("*") else {
            return .failure(RuleError("'\(text)' has a wildcard; write .example.com for the subdomains of example.com"))
        }
        if text.hasPrefix(".") {
            let domain = String(text.dropFirst())
            guard isHostName(domain) else { return .failure(RuleError("'\(text)' is not . followed by a host name")) }
            guard domain.contains(".") else {
                return .failure(RuleError("'\(text)' would allow a whole top-level domain"))
            }
            guard domain.split(separator: ".").last?.allSatisfy(\.isNumber) != true else {
                return .failure(
                    RuleError("'\(text)' ends like an IP address, which has no subdomains; name it exactly"))
            }
            return .success(.subdomains(of: domain))
        }
        guard isHostName(text) else { return .failure(RuleError("'\(text)' is not a host name")) }
        return .success(.exact(text))
    }

    /// Whether `host` (lowercase, already checked with ``isHostName(_:)``) is allowed by this rule.
    public func allows(_ host: String) -> Bool {
        switch self {
        case .exact(let name): host == name
        case .subdomains(let domain): host.count > domain.count + 1 && host.hasSuffix("." + domain)
        }
    }

    public var description: String {
        switch self {
        case .exact(let name): name
        case .subdomains(let domain): "." + domain
        }
    }

    /// A lowercase DNS host name: dot-separated labels of `a-z`, `0-9` and inner `-`, 1-63 bytes
    /// each, at most 253 in all; no empty label (so no leading, doubled or trailing dot). IPv4
    /// addresses pass as names, and so match only a rule or site that names them exactly; IPv6
    /// literals (`[…]`, see ``IPv6Literal``) and anything percent-encoded do not pass.
    public static func isHostName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...253).contains(bytes.count) else { return false }
        return bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-")
            else { return false }
            return label.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
            }
        }
    }

    /// Why an entry of the setting is not a rule.
    public struct RuleError: Error, Equatable, Sendable {
        public let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
