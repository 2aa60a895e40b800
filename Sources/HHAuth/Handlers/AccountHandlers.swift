import Foundation
import HTTPCore

/// A signed-in user's own sessions: `GET /auth/sessions`, `DELETE /auth/sessions/{id}` (one, by its
/// handle), `DELETE /auth/sessions` (all: sign out everywhere), the account page over them, and
/// `/auth/sign_out` for the browser session itself.
///
/// The `/auth/sessions` routes take the session cookie or `Authorization: Bearer`. A cookie is
/// sent by the browser whatever page made the request, so a cookie-authenticated `DELETE` must
/// come from this site (``requireSameOrigin(_:)``); `SameSite=Lax` already keeps the cookie off
/// cross-site `DELETE`s, this is the second lock.
struct AccountHandlers: Sendable {
    let authentication: SessionCallerAuthentication
    let service: SessionService
    let cookie: SessionCookie
    /// Checks a sign-out's `rd`.
    let returnTargets: ReturnTargetPolicy

    func register(in router: inout Router) {
        router.group(
            "/auth/sessions", scheme: SessionCallerAuthentication.scheme, authenticate: authentication.authenticate
        ) { routes in
            // Side effects: admitting the session may record its use (the idle timeout).
            routes.get("", effects: .sideEffects) { _, caller in try list(caller) }
            routes.delete("") { request, caller in try endAll(request, caller) }
            routes.delete("/{handle}") { request, caller in try end(request, caller) }
        }
        router.get("/auth/account", effects: .sideEffects) { request in try account(request) }
        router.get("/auth/sign_out", effects: .sideEffects) { request in try signOut(request) }
        router.post("/auth/sign_out") { request in try signOut(request) }
    }

    private struct SessionsAnswer: Encodable {
        struct Owner: Encodable {
            let hh_user_id: String
            let full_name: String?
            let email: String?
            let groups: [String]
        }
        struct Item: Encodable {
            let id: String
            let kind: String
            let created_at: Date
            let expires_at: Date
            let current: Bool
        }
        let user: Owner
        let sessions: [Item]
    }

    private struct EndedAnswer: Encodable {
        let message: String
        let sessions_ended: Int
    }

    func list(_ caller: SessionCaller) throws -> HTTPResponse {
        let identity = caller.identity
        let sessions = try service.liveSessions(ofUser: identity.userID)
        return try .json(
            SessionsAnswer(
                user: .init(
                    hh_user_id: identity.hhUserID, full_name: identity.fullName, email: identity.email,
                    groups: identity.groups),
                sessions: sessions.map { session in
                    .init(
                        id: session.handle, kind: session.kind.rawValue, created_at: session.createdAt,
                        expires_at: session.expiresAt, current: session.handle == identity.sessionHandle)
                }),
            headers: [HTTPHeader("Cache-Control", "no-store")])
    }

    func end(_ request: HTTPRequest, _ caller: SessionCaller) throws -> HTTPResponse {
        try requireSameOrigin(request, caller)
        let handle = request.pathParameters["handle"] ?? ""
        try service.end(handle: handle, ofUser: caller.identity.userID, from: request.origin)
        var headers: [HTTPHeader] = []
        if handle == caller.identity.sessionHandle, caller.viaCookie { headers.append(cookie.clearing(for: request)) }
        return try .json(["message": "Session ended"], headers: headers)
    }

    func endAll(_ request: HTTPRequest, _ caller: SessionCaller) throws -> HTTPResponse {
        try requireSameOrigin(request, caller)
        let ended = try service.endAll(ofUser: caller.identity.userID, from: request.origin)
        return try .json(
            EndedAnswer(message: "Signed out everywhere", sessions_ended: ended),
            headers: caller.viaCookie ? [cookie.clearing(for: request)] : [])
    }

    /// The account page: a browser without a session is sent to sign in and comes back here.
    func account(_ request: HTTPRequest) throws -> HTTPResponse {
        let caller: SessionCaller
        do {
            caller = try authentication.authenticate(request)
        } catch let refusal as HTTPError where refusal.status == 401 {
            return .redirect(to: authentication.signIn.url(returningTo: "/auth/account"))
        }
        let sessions = try service.liveSessions(ofUser: caller.identity.userID)
        return AccountPage.response(identity: caller.identity, sessions: sessions)
    }

    /// Ends the cookie's session on the server (every copy of the cookie dies with it), deletes the
    /// cookie, and sends the browser to the checked `rd`, or to the login page. The session ends
    /// first: a refused `rd` (400) must not leave the user signed in while they think they are out.
    ///
    /// A sign-out another site started (a link or a redirect: `SameSite=Lax` cookies ride top-level
    /// navigations; a form post) is asked for on a page of ours instead of done.
    func signOut(_ request: HTTPRequest) throws -> HTTPResponse {
        if cookie.sessionID(in: request) != nil, !SameOrigin.isNotRefuted(request) {
            return AccountPage.confirmSignOut(returnTarget: request.query["rd"])
        }
        if let sessionID = cookie.sessionID(in: request) {
            try service.signOut(sessionID: sessionID, from: request.origin)
        }
        var response: HTTPResponse
        do {
            response = .redirect(to: try request.query["rd"].map(returnTargets.location(for:)) ?? "/")
        } catch {
            guard let refusal = ErrorMapping.httpError(for: error) else { throw error }
            response = .error(refusal)
        }
        response.headers.append(cookie.clearing(for: request))
        return response
    }

    /// A cookie-authenticated change must come from a page of this site (``SameOrigin/isCertain(_:)``).
    func requireSameOrigin(_ request: HTTPRequest, _ caller: SessionCaller) throws {
        guard caller.viaCookie, !SameOrigin.isCertain(request) else { return }
        throw SessionAccessError.crossSiteRequest
    }
}
