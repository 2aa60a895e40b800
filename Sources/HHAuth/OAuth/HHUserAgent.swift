/// HH's rule for the `User-Agent` (and `HH-User-Agent`) it is sent: the application's name and a
/// way to reach its operator, `AppName/1.0 (contact@example.com)`. Without one HH answers 400
/// `bad_user_agent`; a placeholder contact is how an application gets blocked without warning.
public enum HHUserAgent {
    /// The contact named in parentheses, an e-mail address or an http(s) URL, or `nil` when there
    /// is none.
    public static func contact(in userAgent: String) -> String? {
        var rest = Substring(userAgent)
        while let open = rest.firstIndex(of: "("), let close = rest[open...].firstIndex(of: ")") {
            let comment = rest[rest.index(after: open)..<close]
            let tokens = comment.split { $0 == ";" || $0 == "," || $0.isWhitespace }
            if let contact = tokens.first(where: isContact) { return String(contact) }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }

    private static func isContact(_ token: Substring) -> Bool {
        let lowered = token.lowercased()
        for scheme in ["https://", "http://"] where lowered.hasPrefix(scheme) {
            return lowered.count > scheme.count + 2 && lowered.dropFirst(scheme.count).contains(".")
        }
        let parts = token.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return false }
        let domain = parts[1]
        return domain.contains(".") && domain.first != "." && domain.last != "."
    }
}
