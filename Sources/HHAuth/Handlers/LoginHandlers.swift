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
    let failureSampler: FailureAuditSampler
    let admission: CodeExchangeAdmission
    let metrics: LoginMetrics
    let logger: Logger

    func register(in router: inout Router) {
        // Issuing a state writes nothing (see ``LoginStateStore``), so HEAD may run it like GET.
        router.get("/auth/login", effects: .readOnly) { request in try login(request) }
        router.get("/auth/callback", effects: .sideEffects) { request in try callback(request) }
    }

    func login(_ request: HTTPRequest) throws -> HTTPResponse {
        let redirect = request.query["redirect_uri"]
        guard let state = states.issue(redirectURI: redirect) else {
            throw HTTPError(400, "redirect_uri is not allowed")
        }
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
        guard let state = try usableState(request) else {
            try recordFailure(request, reason: .stateInvalid)
            throw HTTPError(400, "Invalid or expired state parameter")
        }
        // Checked before the state is used up: minting states is free, so a callback that can
        // never succeed must not cost a write beyond its sampled audit row.
        if request.query["error"] != nil {
            try recordFailure(request, reason: .accessDenied)
            throw HTTPError(400, "Authorization was denied")
        }
        guard let code = request.query["code"], SecretToken.isPlausible(code, maxLength: 512) else {
            try recordFailure(request, reason: .hhError)
            throw HTTPError(400, "Missing or malformed authorization code")
        }
        let ticket = try admit(request, state: state)
        defer { admission.leave(ticket) }
        // Used up before HH is called: if the database cannot take it, the code is still unused
        // at HH and the same callback works once it recovers. The write is bounded with the HH
        // calls by the admission above.
        guard try database.write({ db in try states.consume(state, in: db) }) else {
            try recordFailure(request, reason: .stateInvalid)
            throw HTTPError(400, "Invalid or expired state parameter")
        }
        let pair: HHTokenPair
        do {
            pair = try client.exchange(code: code)
        } catch {
            try recordFailure(request, reason: .hhError)
            if error.grantError != nil {
                throw HTTPError(400, "HeadHunter rejected the authorization code, please log in again")
            }
            throw error
        }
        // From here on HH has issued a pair: whatever fails must not leave it live at HH.
        let profile: HHProfile
        let outcome: SignIn
        do {
            profile = try client.me(accessToken: pair.accessToken)
            outcome = try signIn(request, profile: profile, pair: pair)
        } catch {
            abandon(pair, because: error)
            if error is HHClientError { try? recordFailure(request, reason: .hhError) }
            throw error
        }
        let exchangeCode: String
        switch outcome {
        case .signedIn(let code):
            exchangeCode = code
        case .notWhitelisted:
            metrics.failed(.notWhitelisted)
            throw HTTPError(403, "User \(profile.id) is not allowed to access this service")
        }
        if let clientRedirect = state.redirectURI {
            let separator = clientRedirect.contains("?") ? "&" : "?"
            return .redirect(to: clientRedirect + separator + "exchange_code=" + QueryParameters.encode(exchangeCode))
        }
        return .html(Pages.success(exchangeCode: exchangeCode, name: profile.fullName))
    }

    /// The sign-in's one transaction: the user, their pair and an exchange code, or the refusal.
    private func signIn(_ request: HTTPRequest, profile: HHProfile, pair: HHTokenPair) throws -> SignIn {
        try database.write { db -> SignIn in
            guard try whitelist.isAllowed(profile.id, in: db) else {
                try revocations.enqueue(Self.unclaimed(pair, clock: clock), in: db)
                // Anyone with an HH account can come back here at will: sampled per HH user.
                let now = clock.now().timeIntervalSince1970
                if let sampled = failureSampler.admit("hh:" + profile.id, now: now) {
                    var metadata: [String: AuditValue] = [
                        "reason": "not_whitelisted", "hh_user_id": .string(profile.id),
                    ]
                    sampled.annotate(&metadata)
                    try audit.record(AuditEvent(.loginFailed, origin: request.origin, metadata: metadata), in: db)
                }
                return .notWhitelisted
            }
            let user = try users.upsert(profile, in: db)
            // The user's sessions all move to the new pair; the old one would stay live at HH otherwise.
            // (A row no key opens any more is queued all the same: it moves sealed.)
            if (try? tokens.load(userID: user.id, in: db))?.accessToken != pair.accessToken {
                try revocations.enqueueStored(userID: user.id, in: db)
            }
            try tokens.save(
                userID: user.id, accessToken: pair.accessToken, refreshToken: pair.refreshToken,
                expiresAt: clock.now().addingTimeInterval(pair.expiresIn), in: db)
            try audit.record(
                AuditEvent(
                    .login, userID: user.id, origin: request.origin, metadata: ["hh_user_id": .string(profile.id)]),
                in: db)
            return .signedIn(exchangeCode: try codes.issue(userID: user.id, in: db))
        }
    }

    /// A pair HH issued for a sign-in that then failed (HH's `/me`, or the database): revoked at
    /// once, on this request, since the revocation queue lives in the database that may be what
    /// failed. Logged either way, with the cause.
    private func abandon(_ pair: HHTokenPair, because error: any Error) {
        let outcome = client.revoke(Self.unclaimed(pair, clock: clock))
        logger.warning(
            "a sign-in failed after HH issued a token pair",
            metadata: [
                "error": "\(ErrorMapping.cause(of: error))",
                "pair": "\(outcome == .revoked || outcome == .nothingLive ? "revoked" : "left live at HH")",
            ])
    }

    private enum SignIn {
        case signedIn(exchangeCode: String)
        case notWhitelisted
    }

    /// A place to exchange the code at HH (see ``CodeExchangeAdmission``), or the answer why not.
    private func admit(_ request: HTTPRequest, state: LoginStateStore.Verified) throws -> CodeExchangeAdmission.Ticket {
        let now = clock.now().timeIntervalSince1970
        do {
            return try admission.enter(
                client: AddressBucket.of(request.clientAddress), state: Array(state.hash), now: now)
        } catch .tooManyFromClient(let seconds) {
            throw HTTPError(
                429, "Too many sign-ins from this address, try again later",
                headers: [HTTPHeader("Retry-After", String(max(1, seconds)))])
        } catch .tooManyAtOnce {
            throw HTTPError(
                503, "Too many sign-ins at once, try again shortly", headers: [HTTPHeader("Retry-After", "2")])
        } catch .stateInFlight {
            throw HTTPError(400, "Invalid or expired state parameter")
        }
    }

    /// A pair HH issued that no user of ours holds: queued for revocation under no user (0).
    private static func unclaimed(_ pair: HHTokenPair, clock: any WallClock) -> HHTokenRecord {
        HHTokenRecord(
            userID: 0, accessToken: pair.accessToken, refreshToken: pair.refreshToken,
            expiresAt: clock.now().addingTimeInterval(pair.expiresIn), version: 0)
    }

    /// The request's state when it is authentic, unexpired and unused; `nil` otherwise. The seal is
    /// checked without the database and a used state is found on a read, so a flood of forged,
    /// expired or replayed states never takes the write lock.
    private func usableState(_ request: HTTPRequest) throws -> LoginStateStore.Verified? {
        guard let raw = request.query["state"], let state = states.verify(raw) else { return nil }
        return try database.read { db in try states.isUsed(state, in: db) } ? nil : state
    }

    /// Counts the failure and writes a sampled audit event (``FailureAuditSampler``, per address).
    /// Every failure recorded here happens before HH has named a user, and states cost nothing to
    /// mint, so an anonymous client can cause any of them at will; writing each would let it make
    /// the service write as fast as it can send requests. (A user off the whitelist is recorded
    /// in the login transaction, with the HH id.)
    private func recordFailure(_ request: HTTPRequest, reason: LoginMetrics.FailureReason) throws {
        metrics.failed(reason)
        var metadata: [String: AuditValue] = ["reason": .string(reason.rawValue)]
        let now = clock.now().timeIntervalSince1970
        guard let sampled = failureSampler.admit(AddressBucket.of(request.clientAddress), now: now) else { return }
        sampled.annotate(&metadata)
        _ = try database.write { db in
            try audit.record(AuditEvent(.loginFailed, origin: request.origin, metadata: metadata), in: db)
        }
    }
}
