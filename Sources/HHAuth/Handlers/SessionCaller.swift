import HTTPCore

/// A caller of the routes a browser's session reaches (`/auth/verify`, `/auth/sessions`): who they
/// are and how they proved it.
struct SessionCaller: Sendable {
    let identity: SessionIdentity
    let sessionID: String
    /// The session came from the cookie (a browser, which a cross-site page can make send
    /// requests), not from `Authorization: Bearer` (a program, which no page can drive).
    let viaCookie: Bool
}

/// The authentication of the session-cookie routes: `Authorization: Bearer <session id>`, else the
/// session cookie. A Bearer value that is no session of ours falls back to the cookie, since the
/// app behind `auth_request` may use `Authorization` for credentials of its own.
struct SessionCallerAuthentication: Sendable {
    static let scheme = "session"

    let access: SessionAccess
    let cookie: SessionCookie
    let signIn: SignInLocation

    func authenticate(_ request: HTTPRequest) throws -> SessionCaller {
        try authenticate(request, withToken: false)
    }

    /// `withToken`: the caller's identity comes with the user's sealed HH token (``SessionIdentity/token``).
    func authenticate(_ request: HTTPRequest, withToken: Bool) throws -> SessionCaller {
        if let bearer = request.bearerToken, let identity = try access.identity(sessionID: bearer, withToken: withToken)
        {
            return SessionCaller(identity: identity, sessionID: bearer, viaCookie: false)
        }
        if let sessionID = cookie.sessionID(in: request),
            let identity = try access.identity(sessionID: sessionID, withToken: withToken)
        {
            return SessionCaller(identity: identity, sessionID: sessionID, viaCookie: true)
        }
        throw unauthenticated(request)
    }

    /// The 401 for a caller without a session: for a browser's navigation that can come back
    /// signed in, with the sign-in URL in `Location` (nginx's named location turns it into a 302).
    func unauthenticated(_ request: HTTPRequest) -> HTTPError {
        var headers = [HTTPHeader("Cache-Control", "no-store"), HTTPHeader("WWW-Authenticate", "Bearer")]
        if let location = signIn.location(for: request, cookieDomain: cookie.domain) {
            headers.append(HTTPHeader("Location", location))
        }
        return HTTPError(401, "Not authenticated", headers: headers)
    }
}
