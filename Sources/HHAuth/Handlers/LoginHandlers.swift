import Foundation
import GRDB
import Logging

/// The browser flow: `/auth/login` sends the user to HH, `/auth/callback` brings them back.
struct LoginHandlers: Sendable {
    let database: AppDatabase
    let states: LoginStateStore
    let codes: ExchangeCodeStore
    let users: UserStore
    let whitelist: Whitelist
    let tokens: HHTokenStore
    let client: HHClient
    let audit: AuditLog
    let clock: any WallClock
    let clientRedirectURIs: [String]

    func register(in router: inout Router) {
        router.get("/auth/login") { request in try login(request) }
        router.get("/auth/callback") { request in try callback(request) }
    }

    func login(_ request: HTTPRequest) throws -> HTTPResponse {
        let redirect = request.query["redirect_uri"]
        if let redirect, !clientRedirectURIs.contains(redirect) {
            throw HTTPError(400, "redirect_uri is not allowed")
        }
        let state = try database.write { db in try states.issue(redirectURI: redirect, in: db) }
        return .redirect(to: client.authorizeURL(state: state))
    }

    func callback(_ request: HTTPRequest) throws -> HTTPResponse {
        do {
            return try completeLogin(request)
        } catch {
            guard let failure = ErrorMapping.httpError(for: error) else { throw error }
            return Pages.wantsHTML(request) ? .html(Pages.failure(failure), status: failure.status) : .error(failure)
        }
    }

    private func completeLogin(_ request: HTTPRequest) throws -> HTTPResponse {
        let consumed = try database.write { db -> String?? in
            let result = try request.query["state"].map { try states.consume($0, in: db) } ?? nil
            if result == nil {
                try audit.record(AuditEvent(.loginFailed, request: request, metadata: ["reason": "state_invalid"]), in: db)
            }
            return result
        }
        guard let clientRedirect = consumed else { throw HTTPError(400, "Invalid or expired state parameter") }
        if request.query["error"] != nil {
            try recordFailure(request, reason: "access_denied")
            throw HTTPError(400, "Authorization was denied")
        }
        guard let code = request.query["code"], SecretToken.isPlausible(code, maxLength: 512) else {
            try recordFailure(request, reason: "hh_error")
            throw HTTPError(400, "Missing or malformed authorization code")
        }
        let pair: HHTokenPair
        let profile: HHProfile
        do {
            pair = try client.exchange(code: code)
            profile = try client.me(accessToken: pair.accessToken)
        } catch {
            try recordFailure(request, reason: "hh_error")
            if error.grantError != nil { throw HTTPError(400, "HeadHunter rejected the authorization code, please log in again") }
            throw error
        }
        var replaced: HHTokenRecord?
        let exchangeCode = try database.write { db -> String? in
            guard try whitelist.isAllowed(profile.id, in: db) else {
                try audit.record(
                    AuditEvent(.loginFailed, request: request, metadata: ["reason": "not_whitelisted", "hh_user_id": .string(profile.id)]),
                    in: db)
                return nil
            }
            let user = try users.upsert(profile, in: db)
            replaced = try? tokens.load(userID: user.id, in: db)
            try tokens.save(
                userID: user.id, accessToken: pair.accessToken, refreshToken: pair.refreshToken,
                expiresAt: clock.now().addingTimeInterval(pair.expiresIn), in: db)
            try audit.record(AuditEvent(.login, userID: user.id, request: request, metadata: ["hh_user_id": .string(profile.id)]), in: db)
            return try codes.issue(userID: user.id, in: db)
        }
        // The user's sessions all use the new pair now; the old one would stay live at HH otherwise.
        if let replaced, replaced.accessToken != pair.accessToken { client.revokeQuietly(replaced) }
        guard let exchangeCode else { throw HTTPError(403, "User \(profile.id) is not allowed to access this service") }
        if let clientRedirect {
            let separator = clientRedirect.contains("?") ? "&" : "?"
            return .redirect(to: clientRedirect + separator + "exchange_code=" + QueryParameters.encode(exchangeCode))
        }
        return .html(Pages.success(exchangeCode: exchangeCode, name: profile.fullName))
    }

    private func recordFailure(_ request: HTTPRequest, reason: String) throws {
        _ = try database.write { db in
            try audit.record(AuditEvent(.loginFailed, request: request, metadata: ["reason": .string(reason)]), in: db)
        }
    }
}
