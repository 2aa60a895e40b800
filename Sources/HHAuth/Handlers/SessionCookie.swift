import HTTPCore

/// The cookie that holds a browser session's id.
///
/// Over HTTPS it is `__Host-hh_auth_session` (the browser then refuses it unless it was set over
/// TLS by this very host with `Path=/` and no `Domain`, so a sibling subdomain or a network
/// attacker on plain HTTP cannot plant one), or `__Secure-hh_auth_session` when it must be shared
/// with subdomains (`COOKIE_DOMAIN`). Over plain HTTP (the development stack) it has no prefix and
/// no `Secure`. Only the name that fits the request's scheme is read.
struct SessionCookie: Sendable {
    static let baseName = "hh_auth_session"

    /// `COOKIE_DOMAIN`, e.g. `.example.com`.
    let domain: String?
    let lifetimeSeconds: Double

    func name(secure: Bool) -> String {
        guard secure else { return Self.baseName }
        return (domain == nil ? "__Host-" : "__Secure-") + Self.baseName
    }

    /// The session id the request's cookie carries.
    func sessionID(in request: HTTPRequest) -> String? {
        guard let value = request.cookie(name(secure: request.isHTTPS)), !value.isEmpty else { return nil }
        return value
    }

    /// Sets the cookie to a new session's id; it lasts as long as the session.
    func setting(_ sessionID: String, for request: HTTPRequest) -> HTTPHeader {
        SetCookie(
            name: name(secure: request.isHTTPS), value: sessionID, maxAge: Int(lifetimeSeconds.rounded(.down)),
            domain: domain, secure: request.isHTTPS
        ).header
    }

    /// Deletes the cookie.
    func clearing(for request: HTTPRequest) -> HTTPHeader {
        SetCookie(name: name(secure: request.isHTTPS), value: "", maxAge: 0, domain: domain, secure: request.isHTTPS)
            .header
    }
}
