import Foundation
import HTTPCore

/// The session API: exchange a code for a session, get and refresh HH tokens, log out, who am I.
struct SessionHandlers: Sendable {
    let service: SessionService

    func register(in router: inout Router) {
        router.post("/auth/exchange") { request in try exchange(request) }
        router.post("/auth/token") { request in try token(request, refresh: false) }
        router.post("/auth/refresh") { request in try token(request, refresh: true) }
        router.post("/auth/logout") { request in try logout(request) }
        router.get("/users/me", effects: .readOnly) { request in try me(request) }
    }

    private struct ExchangeBody: Decodable { let exchange_code: String }
    private struct SessionBody: Decodable { let session_id: String }

    private struct SessionAnswer: Encodable {
        let session_id: String
        let expires_at: Date
    }

    private struct Message: Encodable { let message: String }

    func exchange(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try JSONCoding.decodeObject(ExchangeBody.self, from: request.body)
        let created = try service.exchange(code: body.exchange_code, from: request.origin)
        // The answer carries a session id: no cache on the way may keep it.
        return try .json(
            SessionAnswer(session_id: created.sessionID, expires_at: created.session.expiresAt),
            headers: [HTTPHeader("Cache-Control", "no-store")])
    }

    func token(_ request: HTTPRequest, refresh: Bool) throws -> HTTPResponse {
        let grant = try service.token(
            sessionID: try Self.sessionID(from: request), refresh: refresh, from: request.origin)
        return .json(bytes: Self.tokenJSON(grant), headers: [HTTPHeader("Cache-Control", "no-store")])
    }

    func logout(_ request: HTTPRequest) throws -> HTTPResponse {
        try service.logout(sessionID: try Self.sessionID(from: request), from: request.origin)
        return try .json(Message(message: "Logout successful"))
    }

    func me(_ request: HTTPRequest) throws -> HTTPResponse {
        let user = try service.user(sessionID: try Self.sessionID(from: request))
        return .json(bytes: Self.userJSON(user), headers: [HTTPHeader("Cache-Control", "no-store")])
    }

    /// `{"access_token", "expires_at", "token_type"}`; written directly, see ``JSONObjectWriter``.
    static func tokenJSON(_ grant: AccessGrant) -> [UInt8] {
        var json = JSONObjectWriter()
        json.add("access_token", grant.accessToken)
        json.add("expires_at", grant.expiresAt.wholeSeconds)
        json.add("token_type", "Bearer")
        return json.finish()
    }

    /// The same bytes as `User`'s `Encodable` form through ``JSONCoding/encoder``.
    static func userJSON(_ user: User) -> [UInt8] {
        var json = JSONObjectWriter()
        json.add("created_at", user.createdAt)
        json.add("email", user.email)
        json.add("full_name", user.fullName)
        json.add("hh_user_id", user.hhUserID)
        json.add("id", user.id)
        json.add("is_active", user.isActive)
        json.add("updated_at", user.updatedAt)
        return json.finish()
    }

    /// The session id from `Authorization: Bearer`, the JSON body, or (for GET) the query string.
    static func sessionID(from request: HTTPRequest) throws -> String {
        if let bearer = request.bearerToken { return bearer }
        if request.method == "GET" || request.method == "HEAD" {
            guard let value = request.query["session_id"], !value.isEmpty else {
                throw HTTPError(422, "Field required: session_id")
            }
            return value
        }
        if let plain = JSONCoding.plainStringField("session_id", in: request.body) { return plain }
        return try JSONCoding.decodeObject(SessionBody.self, from: request.body).session_id
    }
}
