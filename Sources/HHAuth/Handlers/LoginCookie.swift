import HTTPCore

/// The pre-auth cookie of one sign-in: carries its ``BrowserBinding`` from `/auth/login` to
/// `/auth/callback`, which deletes it.
///
/// Named per flow (`hh_auth_login_<flow id>`), so two tabs of one browser can sign in at once.
/// Over HTTPS the name has the `__Host-` prefix and the cookie is `Secure`, and only that name is
/// read: a cookie without the prefix could have been planted over plain HTTP or by a sibling
/// domain. `SameSite=Lax`: HH's redirect back is a top-level cross-site GET, which Lax cookies
/// accompany. It lives as long as the state (`Max-Age`).
struct LoginCookie: Equatable {
    static let baseName = "hh_auth_login_"
    static let hostPrefix = "__Host-"

    let name: String
    let secure: Bool

    init(flowID: String, isHTTPS: Bool) {
        name = (isHTTPS ? Self.hostPrefix : "") + Self.baseName + flowID
        secure = isHTTPS
    }

    /// The cookie of the flow the request's `state` names; `nil` when it names none.
    init?(callback request: HTTPRequest) {
        guard let state = request.query["state"], let flowID = LoginStateStore.flowID(of: state) else { return nil }
        self.init(flowID: flowID, isHTTPS: request.isHTTPS)
    }

    /// Every pre-auth cookie the request carries (of its scheme): a completed sign-in deletes the
    /// ones abandoned sign-ins left, which would otherwise pile up in the `Cookie` header for the
    /// state's lifetime (each carries its return target).
    static func all(in request: HTTPRequest) -> [LoginCookie] {
        let prefix = (request.isHTTPS ? hostPrefix : "") + baseName
        return request.cookieNames(withPrefix: prefix).map { LoginCookie(name: $0, secure: request.isHTTPS) }
    }

    private init(name: String, secure: Bool) {
        self.name = name
        self.secure = secure
    }

    /// Setting the cookie to `value` for `maxAgeSeconds`.
    func setting(_ value: String, maxAgeSeconds: Int) -> SetCookie {
        SetCookie(name: name, value: value, maxAge: maxAgeSeconds, secure: secure, sameSite: .lax)
    }

    /// Deleting it (`Max-Age=0`).
    var deletion: SetCookie { setting("", maxAgeSeconds: 0) }

    /// Its value in the request, if the browser sent it.
    func value(in request: HTTPRequest) -> String? {
        request.cookie(name)
    }
}
