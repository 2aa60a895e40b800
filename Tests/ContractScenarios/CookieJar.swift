import Foundation

/// One browser's cookies for the service, as the test clients keep them: every `Set-Cookie` of an
/// answer is stored by name (a later one replaces it; `Max-Age=0` or a past `Max-Age` deletes it)
/// and sent back in the `Cookie` header of the next requests. A `Secure` cookie goes only over
/// HTTPS. Every cookie of the service is `Path=/` on the host that set it, and each client talks to
/// one host, so neither domains nor paths are matched.
public final class CookieJar: @unchecked Sendable {
    public struct Cookie: Sendable, Equatable {
        public var name: String
        public var value: String
        public var secure: Bool
        /// When it expires; `nil` lasts as long as the jar.
        public var expires: Date?
    }

    private let lock = NSLock()
    private var cookies: [Cookie] = []

    public init() {}

    /// Takes the `Set-Cookie` header values of one answer.
    public func receive(_ setCookies: [String], now: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        for header in setCookies {
            guard let cookie = Self.parse(header, now: now) else { continue }
            cookies.removeAll { $0.name == cookie.name }
            if cookie.expires.map({ $0 > now }) ?? true { cookies.append(cookie) }
        }
    }

    /// The `Cookie` header for a request (over HTTPS when `secure`), `nil` when nothing is to be sent.
    public func header(secure: Bool = false, now: Date = Date()) -> String? {
        let sent = live(now: now).filter { secure || !$0.secure }
        guard !sent.isEmpty else { return nil }
        return sent.map { $0.name + "=" + $0.value }.joined(separator: "; ")
    }

    /// The cookies kept now.
    public func live(now: Date = Date()) -> [Cookie] {
        lock.lock()
        defer { lock.unlock() }
        return cookies.filter { $0.expires.map { $0 > now } ?? true }
    }

    /// The value of the cookie `name`, if kept.
    public func value(_ name: String) -> String? {
        live().first { $0.name == name }?.value
    }

    /// Forgets every cookie, as a browser whose cookies were cleared.
    public func clear() {
        lock.lock()
        defer { lock.unlock() }
        cookies.removeAll()
    }

    /// `name=value; Path=/; Max-Age=600; Secure; HttpOnly; SameSite=Lax`: the name, value,
    /// `Max-Age` and `Secure` (the rest does not change what a one-host client sends).
    public static func parse(_ header: String, now: Date = Date()) -> Cookie? {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let equals = first.firstIndex(of: "="), equals != first.startIndex else {
            return nil
        }
        var cookie = Cookie(
            name: String(first[..<equals]), value: String(first[first.index(after: equals)...]), secure: false,
            expires: nil)
        for attribute in parts.dropFirst() {
            let pair = attribute.split(separator: "=", maxSplits: 1).map(String.init)
            switch pair[0].lowercased() {
            case "secure": cookie.secure = true
            case "max-age": cookie.expires = now.addingTimeInterval(Double(Int(pair.count > 1 ? pair[1] : "") ?? 0))
            default: break
            }
        }
        return cookie
    }
}
