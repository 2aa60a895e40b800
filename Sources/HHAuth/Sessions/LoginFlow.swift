import Foundation
import HTTPCore
import Logging

/// The browser sign-in: a login sends the user to HH with a sealed state, and the callback brings
/// them back with a code that becomes a one-time exchange code (``SessionService`` turns that into
/// a session).
///
/// Completing a callback checks the state and that the browser holds the pre-auth cookie the
/// state was issued with (``BrowserBinding``), takes a place among the code exchanges
/// (``CodeExchangeAdmission``), uses the state up, exchanges the code at HH, asks HH who the user
/// is, and then, in one transaction, signs them in (user, HH pair, exchange code and `login`
/// event) or records the refusal. Failures before HH named a user are counted and their audit
/// events sampled; a pair HH issued for a sign-in that then fails is revoked on the spot.
/// Refusals are ``LoginError``s; HH's and the database's failures pass through as they are.
public struct LoginFlow: Sendable {
    let storage: any StorageEngine
    /// Issues and verifies the sealed states; the used ones are in ``storage``.
    let states: LoginStateStore
    let client: HHClient
    let clock: any WallClock
    let failureSampler: FailureAuditSampler
    let admission: CodeExchangeAdmission
    let metrics: LoginMetrics
    /// Counts the callbacks ``admission`` refuses (`nil` outside the service).
    let rateLimits: RateLimitMetrics?
    let logger: Logger
    /// How long a browser sign-in's session lasts (`COOKIE_SESSION_HOURS`; `nil`: the store's
    /// session lifetime).
    let browserSessionLifetimeSeconds: Double?

    /// What HH's redirect back to `/auth/callback` carried, as the client sent it, and the
    /// pre-auth cookie of the flow its state names. Its description hides the code, the state and
    /// the cookie (one-time secrets).
    public struct Callback: Sendable, Equatable, CustomStringConvertible {
        public var state: String?
        public var code: String?
        /// HH's `error` parameter: there when the user declined.
        public var error: String?
        /// The value of the flow's pre-auth cookie (``BrowserBinding``), if the browser sent one.
        public var loginCookie: String?

        public init(state: String?, code: String?, error: String?, loginCookie: String?) {
            self.state = state
            self.code = code
            self.error = error
            self.loginCookie = loginCookie
        }

        public var description: String {
            "Callback(state: \(state == nil ? "none" : "<hidden>"), code: \(code == nil ? "none" : "<hidden>"), "
                + "error: \(error.map { LogText.safe($0, limit: 64) } ?? "none"), "
                + "login cookie: \(loginCookie == nil ? "none" : "<hidden>"))"
        }
    }

    /// A sign-in under way, as `/auth/login` answers it: the browser goes to `authorizeURL` with
    /// the pre-auth cookie of `binding` set, for `cookieMaxAgeSeconds` (the state's lifetime).
    public struct LoginStart: Sendable, Equatable {
        public var authorizeURL: String
        public var binding: BrowserBinding
        public var cookieMaxAgeSeconds: Int
    }

    /// What a completed sign-in hands the browser.
    public enum Credential: Sendable, Equatable {
        /// The one-time code a client program exchanges for a session (`/auth/login` without `rd`).
        case exchangeCode(String)
        /// A browser session, for the session cookie (`/auth/login?rd=`).
        case browserSession(NewSession)
    }

    /// A completed sign-in.
    public struct SignedIn: Sendable, Equatable {
        public var credential: Credential
        /// The client redirect the login asked for; `nil` when the code is shown to the user.
        public var redirectURI: String?
        /// The user's name as HH gave it (may be empty).
        public var fullName: String
        /// The return-to text the login was started with (carried by the pre-auth cookie), if any.
        public var returnTo: String?
    }

    /// Where to send the user to sign in at HH, and the pre-auth cookie that binds the sign-in to
    /// their browser. `redirectURI` (where the exchange code goes afterwards) must be one of the
    /// configured client redirects, else ``LoginError/redirectNotAllowed``; `returnTo` is opaque
    /// here, handed back in ``SignedIn/returnTo`` (the caller validates and bounds it). Writes
    /// nothing: the state is sealed, not stored.
    public func authorizeURL(redirectURI: String?, returnTo: String?) throws(LoginError) -> LoginStart {
        let cookieValue = BrowserBinding.newCookieValue(returnTo: returnTo)
        guard let state = states.issue(redirectURI: redirectURI, boundTo: cookieValue),
            let flowID = LoginStateStore.flowID(of: state)
        else { throw .redirectNotAllowed }
        return LoginStart(
            authorizeURL: client.authorizeURL(state: state),
            binding: BrowserBinding(flowID: flowID, cookieValue: cookieValue),
            cookieMaxAgeSeconds: max(1, Int(states.lifetimeSeconds.rounded(.up))))
    }

    /// Completes a callback from `origin`. A failure says whether the state was spent on the way
    /// (``CallbackFailure``).
    public func complete(_ callback: Callback, from origin: ClientOrigin) throws(CallbackFailure) -> SignedIn {
        var stateSpent = false
        do {
            return try complete(callback, from: origin, stateSpent: &stateSpent)
        } catch {
            throw CallbackFailure(error, stateSpent: stateSpent)
        }
    }

    /// The callback's steps; `stateSpent` turns true once the state cannot be used any more.
    private func complete(_ callback: Callback, from origin: ClientOrigin, stateSpent: inout Bool) throws -> SignedIn {
        guard let state = try usableState(callback.state) else {
            stateSpent = true
            try recordFailure(.stateInvalid, from: origin)
            throw LoginError.invalidState
        }
        // Before anything can use the state up: a callback URL replayed in another browser must
        // not burn the state of the browser that started the sign-in.
        guard BrowserBinding.matches(callback.loginCookie, digest: state.bindingDigest) else {
            try recordFailure(.browserMismatch, from: origin)
            throw LoginError.browserMismatch
        }
        // Checked before the state is used up: minting states is free, so a callback that can
        // never succeed must not cost a write beyond its sampled audit row.
        if callback.error != nil {
            try recordFailure(.accessDenied, from: origin)
            throw LoginError.accessDenied
        }
        guard let code = callback.code, SecretToken.isPlausible(code, maxLength: 512) else {
            try recordFailure(.hhError, from: origin)
            throw LoginError.malformedCode
        }
        // A sign-in started with `rd` ends in a browser session; the pre-auth cookie carried it.
        let returnTo = callback.loginCookie.flatMap(BrowserBinding.returnTo(in:))
        let ticket = try admit(origin, state: state)
        defer { admission.leave(ticket) }
        // Used up before HH is called: if the database cannot take it, the code is still unused
        // at HH and the same callback works once it recovers. The write is bounded with the HH
        // calls by the admission above.
        let consumed = try storage.write { tx in try tx.states.consume(state) }
        // Used up, by this callback or by another that got there first.
        stateSpent = true
        guard consumed else {
            try recordFailure(.stateInvalid, from: origin)
            throw LoginError.invalidState
        }
        let pair: HHTokenPair
        do {
            pair = try client.exchange(code: code)
        } catch {
            try recordFailure(.hhError, from: origin)
            if error.grantError != nil { throw LoginError.codeRejected }
            throw error
        }
        // From here on HH has issued a pair: whatever fails must not leave it live at HH.
        let profile: HHProfile
        let outcome: Outcome
        do {
            profile = try client.me(accessToken: pair.accessToken)
            outcome = try signIn(
                profile: profile, pair: pair, browserSession: returnTo != nil && state.redirectURI == nil, from: origin)
        } catch {
            abandon(pair, because: error)
            if error is HHClientError { try? recordFailure(.hhError, from: origin) }
            throw error
        }
        switch outcome {
        case .signedIn(let credential):
            metrics.succeeded()
            return SignedIn(
                credential: credential, redirectURI: state.redirectURI, fullName: profile.fullName, returnTo: returnTo)
        case .notWhitelisted:
            metrics.failed(.notWhitelisted)
            throw LoginError.notWhitelisted(hhUserID: profile.id)
        }
    }

    private enum Outcome {
        case signedIn(Credential)
        case notWhitelisted
    }

    /// The sign-in's one transaction: the user, their pair and an exchange code (or, for a
    /// browser, a new session: never one the browser brought, against fixation), or the refusal.
    private func signIn(profile: HHProfile, pair: HHTokenPair, browserSession: Bool, from origin: ClientOrigin)
        throws -> Outcome
    {
        try storage.write { tx -> Outcome in
            // The user (when known) and then the whitelist entry are held before the check, as a
            // removal takes them: a removal either commits first (refused here) or waits for this
            // sign-in and then ends what it created and queues its pair.
            if let known = try tx.users.rowID(hhUserID: profile.id) { try tx.users.lock(id: known) }
            guard try tx.whitelist.isAllowedHoldingEntry(profile.id) else {
                try tx.revocations.enqueue(Self.unclaimed(pair, clock: clock))
                // Anyone with an HH account can come back here at will: sampled per HH user.
                let now = clock.now().timeIntervalSince1970
                if let sampled = failureSampler.admit("hh:" + profile.id, now: now) {
                    var metadata: [String: AuditValue] = [
                        "reason": "not_whitelisted", "hh_user_id": .string(profile.id),
                    ]
                    sampled.annotate(&metadata)
                    try tx.audit.record(AuditEvent(.loginFailed, origin: origin, metadata: metadata))
                }
                return .notWhitelisted
            }
            let user = try tx.users.upsert(profile)
            // Before deciding on the stored pair: a logout or the janitor deciding on it meanwhile
            // waits for this sign-in, or it for them.
            try tx.users.lock(id: user.id)
            // The user's sessions all move to the new pair; the old one would stay live at HH otherwise.
            // (A row no key opens any more is queued all the same: it moves sealed.)
            if (try? tx.tokens.load(userID: user.id))?.accessToken != pair.accessToken {
                try tx.revocations.enqueueStored(userID: user.id)
            }
            try tx.tokens.save(
                userID: user.id, accessToken: pair.accessToken, refreshToken: pair.refreshToken,
                expiresAt: clock.now().addingTimeInterval(pair.expiresIn))
            try tx.audit.record(
                AuditEvent(.login, userID: user.id, origin: origin, metadata: ["hh_user_id": .string(profile.id)]))
            guard browserSession else { return .signedIn(.exchangeCode(try tx.codes.issue(userID: user.id))) }
            let created = try tx.sessions.create(
                userID: user.id, kind: .browser, lifetimeSeconds: browserSessionLifetimeSeconds)
            try tx.audit.record(
                AuditEvent(
                    .sessionCreated, userID: user.id, origin: origin,
                    metadata: ["session": .string(created.session.handle), "kind": "browser"]))
            return .signedIn(.browserSession(created))
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

    /// A place to exchange the code at HH (see ``CodeExchangeAdmission``), or the refusal.
    private func admit(_ origin: ClientOrigin, state: LoginStateStore.Verified) throws(LoginError)
        -> CodeExchangeAdmission.Ticket
    {
        let now = clock.now().timeIntervalSince1970
        do {
            return try admission.enter(
                client: AddressBucket.of(origin.clientAddress), state: Array(state.hash), now: now)
        } catch {
            switch error {
            case .tooManyFromClient(let seconds):
                rateLimits?.refused(.login)
                throw .tooManyFromClient(retryAfterSeconds: max(1, seconds))
            case .tooManyAtOnce:
                rateLimits?.refused(.loginConcurrency)
                throw .tooManyAtOnce
            case .stateInFlight: throw .invalidState
            }
        }
    }

    /// A pair HH issued that no user of ours holds: queued for revocation under no user (0).
    private static func unclaimed(_ pair: HHTokenPair, clock: any WallClock) -> HHTokenRecord {
        HHTokenRecord(
            userID: 0, accessToken: pair.accessToken, refreshToken: pair.refreshToken,
            expiresAt: clock.now().addingTimeInterval(pair.expiresIn), version: 0)
    }

    /// The callback's state when it is authentic, unexpired and unused; `nil` otherwise. The seal
    /// is checked without the database and a used state is found on a read, so a flood of forged,
    /// expired or replayed states never takes the write lock.
    private func usableState(_ raw: String?) throws -> LoginStateStore.Verified? {
        guard let raw, let state = states.verify(raw) else { return nil }
        return try storage.read { tx in try tx.states.isUsed(state) } ? nil : state
    }

    /// Counts the failure and writes a sampled audit event (``FailureAuditSampler``, per address).
    /// Every failure recorded here happens before HH has named a user, and states cost nothing to
    /// mint, so an anonymous client can cause any of them at will; writing each would let it make
    /// the service write as fast as it can send requests. (A user off the whitelist is recorded
    /// in the sign-in transaction, with the HH id.)
    private func recordFailure(_ reason: LoginMetrics.FailureReason, from origin: ClientOrigin) throws {
        metrics.failed(reason)
        var metadata: [String: AuditValue] = ["reason": .string(reason.rawValue)]
        let now = clock.now().timeIntervalSince1970
        guard let sampled = failureSampler.admit(AddressBucket.of(origin.clientAddress), now: now) else { return }
        sampled.annotate(&metadata)
        _ = try storage.write { tx in
            try tx.audit.record(AuditEvent(.loginFailed, origin: origin, metadata: metadata))
        }
    }
}
