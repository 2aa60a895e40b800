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
    let revocations: RevocationQueue
    let client: HHClient
    let audit: AuditLog
    let clock: any WallClock
    let clientRedirectURIs: [String]
    let stateBudget: LoginStateBudget
    let failureSampler: FailureAuditSampler
    let metrics: LoginMetrics

    func register(in router: inout Router) {
        router.get("/auth/login", effects: .sideEffects) { request in try login(request) }
        router.get("/auth/callback", effects: .sideEffects) { request in try callback(request) }
    }

    func login(_ request: HTTPRequest) throws -> HTTPResponse {
        let redirect = request.query["redirect_uri"]
        if let redirect, !clientRedirectURIs.contains(redirect) {
            throw HTTPError(400, "redirect_uri is not allowed")
        }
        let bucket = AddressBucket.of(request.clientAddress)
        if let refusal = stateBudget.admit(bucket, now: Int(clock.now().timeIntervalSince1970)) {
            metrics.refused(refusal.limit)
            let retry = [HTTPHeader("Retry-After", String(refusal.retryAfterSeconds))]
            switch refusal.limit {
            case .address:
                throw HTTPError(429, "Too many sign-ins started from this address, try again later", headers: retry)
            case .overall:
                throw HTTPError(503, "Too many sign-ins in progress, try again later", headers: retry)
            }
        }
        let state = try database.write { db in try states.issue(redirectURI: redirect, in: db) }
        return .redirect(to: client.authorizeURL(state: state))
    }

    func callback(_ request: HTTPRequest) throws -> HTTPResponse {
        do {
            return try completeLogin(request)
        } catch {
            // Application maps and logs it, then answers a page to browsers.
            throw PageError(error)
        }
    }

    private func completeLogin(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let clientRedirect = try consumeState(request) else {
            try recordFailure(request, reason: .stateInvalid)
            throw HTTPError(400, "Invalid or expired state parameter")
        }
        if request.query["error"] != nil {
            try recordFailure(request, reason: .accessDenied)
            throw HTTPError(400, "Authorization was denied")
        }
        guard let code = request.query["code"], SecretToken.isPlausible(code, maxLength: 512) else {
            try recordFailure(request, reason: .hhError)
            throw HTTPError(400, "Missing or malformed authorization code")
        }
        let pair: HHTokenPair
        let profile: HHProfile
        do {
            pair = try client.exchange(code: code)
            profile = try client.me(accessToken: pair.accessToken)
        } catch {
            try recordFailure(request, reason: .hhError)
            if error.grantError != nil {
                throw HTTPError(400, "HeadHunter rejected the authorization code, please log in again")
            }
            throw error
        }
        let exchangeCode = try database.write { db -> String? in
            guard try whitelist.isAllowed(profile.id, in: db) else {
                try audit.record(
                    AuditEvent(
                        .loginFailed, request: request,
                        metadata: ["reason": "not_whitelisted", "hh_user_id": .string(profile.id)]),
                    in: db)
                return nil
            }
            let user = try users.upsert(profile, in: db)
            // The user's sessions all move to the new pair; the old one would stay live at HH otherwise.
            if let replaced = try? tokens.load(userID: user.id, in: db), replaced.accessToken != pair.accessToken {
                try revocations.enqueueStored(userID: user.id, in: db)
            }
            try tokens.save(
                userID: user.id, accessToken: pair.accessToken, refreshToken: pair.refreshToken,
                expiresAt: clock.now().addingTimeInterval(pair.expiresIn), in: db)
            try audit.record(
                AuditEvent(.login, userID: user.id, request: request, metadata: ["hh_user_id": .string(profile.id)]),
                in: db)
            return try codes.issue(userID: user.id, in: db)
        }
        guard let exchangeCode else {
            metrics.failed(.notWhitelisted)
            throw HTTPError(403, "User \(profile.id) is not allowed to access this service")
        }
        if let clientRedirect {
            let separator = clientRedirect.contains("?") ? "&" : "?"
            return .redirect(to: clientRedirect + separator + "exchange_code=" + QueryParameters.encode(exchangeCode))
        }
        return .html(Pages.success(exchangeCode: exchangeCode, name: profile.fullName))
    }

    /// The client redirect of the request's state (`.some(nil)` when none), consuming the state;
    /// `nil` when it is missing, unknown, used or expired. A state that is not stored is refused on
    /// a read, so a flood of forged ones never takes the write lock.
    private func consumeState(_ request: HTTPRequest) throws -> String?? {
        guard let state = request.query["state"], try database.read({ db in try states.isStored(state, in: db) }) else {
            return nil
        }
        return try database.write { db in try states.consume(state, in: db) }
    }

    /// Counts the failure and writes its audit event. A failure without a valid state costs the
    /// client nothing, so those are sampled per address (``FailureAuditSampler``); every other
    /// failure used up a state, which ``LoginStateBudget`` bounds, and is always written.
    private func recordFailure(_ request: HTTPRequest, reason: LoginMetrics.FailureReason) throws {
        metrics.failed(reason)
        var metadata: [String: AuditValue] = ["reason": .string(reason.rawValue)]
        if reason == .stateInvalid {
            let now = clock.now().timeIntervalSince1970
            let bucket = AddressBucket.of(request.clientAddress)
            guard let sampled = failureSampler.admit(bucket, now: now) else { return }
            if sampled.repeats > 0 { metadata["unrecorded_repeats"] = .integer(Int64(sampled.repeats)) }
            if sampled.others > 0 { metadata["unrecorded_others"] = .integer(Int64(sampled.others)) }
        }
        _ = try database.write { db in
            try audit.record(AuditEvent(.loginFailed, request: request, metadata: metadata), in: db)
        }
    }
}
