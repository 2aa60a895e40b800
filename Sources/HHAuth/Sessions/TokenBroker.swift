import Foundation
import HTTPCore
import Logging
import WorkerThreads

/// Hands out a user's HH access token, refreshing it with HH when it has expired (or when asked).
///
/// Refreshes are single-flight twice over: within the process, concurrent callers for one user share
/// one ``RefreshFlight``; across processes sharing the database, the leader must win a lease on the
/// token row's `version` (compare-and-swap) before it may call HH, and others wait for the version
/// to move.
///
/// HH refresh tokens are single-use, so once HH has answered, the new pair is the user's only way
/// back: it is saved only while the row still holds the pair it replaces (ended sessions stay
/// ended, and the new pair is revoked), and a save the database refuses is retried, then kept in
/// memory and handed out until it goes through (``UnsavedTokenPairs``) — never dropped.
public final class TokenBroker: Sendable {
    /// How long the broker waits, and for what.
    public struct Timing: Sendable {
        /// How long a refresh lease keeps other processes away: longer than one HH call.
        public var leaseSeconds: Double
        /// The longest a caller waits for a refresh another request of the same user leads.
        public var flightWaitSeconds: Double
        /// How long the leader retries saving a rotated pair before handing it out from memory.
        public var saveRetrySeconds: Double
        /// While a pair is only in memory, how long requests are handed it before one tries to
        /// save it again (each try may hold a worker for the busy timeout).
        public var unsavedRetryPauseSeconds: Double

        public init(
            leaseSeconds: Double, flightWaitSeconds: Double? = nil, saveRetrySeconds: Double = 10,
            unsavedRetryPauseSeconds: Double = 1
        ) {
            self.leaseSeconds = leaseSeconds
            self.flightWaitSeconds = flightWaitSeconds ?? leaseSeconds
            self.saveRetrySeconds = saveRetrySeconds
            self.unsavedRetryPauseSeconds = unsavedRetryPauseSeconds
        }
    }

    let storage: any StorageEngine
    private let lookup: SessionLookup
    /// Opens the access tokens the lookup reads (its cache of opened tokens included).
    let tokens: HHTokenStore
    let client: HHClient
    let clock: any WallClock
    let timing: Timing
    let logger: Logger
    /// `hh_auth_token_refreshes_total`, counted by the leader of each refresh.
    let refreshes: RefreshMetrics?
    private let owner = SecretToken.generate(byteCount: 12)
    private let flights = Lock<[Int64: RefreshFlight]>([:])
    let unsaved = UnsavedTokenPairs()

    public init(
        storage: any StorageEngine, tokens: HHTokenStore, client: HHClient, clock: any WallClock, timing: Timing,
        logger: Logger = Logger(label: "hh-auth"), metrics: ServiceMetrics? = nil
    ) {
        self.storage = storage
        self.lookup = SessionLookup(storage: storage, clock: clock)
        self.tokens = tokens
        self.client = client
        self.clock = clock
        self.timing = timing
        self.logger = logger
        self.refreshes = metrics?.refreshes
    }

    /// A valid access token for the session's user: the hot path of `/auth/token`, one statement
    /// and one decryption while the stored token is fresh. `force` refreshes even when it is.
    /// `browser`: a browser's session may have it too (`/auth/verify` with
    /// `VERIFY_PASS_ACCESS_TOKEN`); the program routes never ask.
    public func token(sessionID: String, force: Bool, origin: ClientOrigin, browser: Bool = false) throws
        -> AccessGrant
    {
        do {
            guard let found = try lookup.token(sessionID: sessionID, browser: browser) else {
                throw SessionError.invalid
            }
            return try grant(found, force: force, origin: origin)
        } catch TokenRefreshError.superseded {
            return try afterSuperseded(sessionID: sessionID, browser: browser)
        }
    }

    /// The same as ``token(sessionID:force:origin:browser:)`` without forcing, for a session whose
    /// user and sealed token the caller has just read (`/auth/verify` reads them with the identity).
    func token(
        sessionID: String, read found: (userID: Int64, token: SessionLookup.SealedToken?), origin: ClientOrigin,
        browser: Bool
    ) throws -> AccessGrant {
        do {
            return try grant(found, force: false, origin: origin)
        } catch TokenRefreshError.superseded {
            return try afterSuperseded(sessionID: sessionID, browser: browser)
        }
    }

    /// The pair changed under the refresh: the sessions ended, or a login replaced it.
    private func afterSuperseded(sessionID: String, browser: Bool) throws -> AccessGrant {
        guard let found = try lookup.token(sessionID: sessionID, browser: browser) else {
            throw SessionError.invalid
        }
        guard let sealed = found.token, sealed.expiresAt > clock.now() else { throw SessionError.expired }
        return try tokens.openAccess(sealed, userID: found.userID)
    }

    private func grant(
        _ found: (userID: Int64, token: SessionLookup.SealedToken?), force: Bool, origin: ClientOrigin
    ) throws -> AccessGrant {
        guard let sealed = found.token else { throw SessionError.expired }
        let kept = unsaved.entry(userID: found.userID)
        if kept == nil && !force && sealed.expiresAt > clock.now() {
            return try tokens.openAccess(sealed, userID: found.userID)
        }
        let record = try refreshOnce(userID: found.userID, seenVersion: sealed.version, origin: origin)
        return AccessGrant(accessToken: record.accessToken, expiresAt: record.expiresAt)
    }

    private func refreshOnce(userID: Int64, seenVersion: Int64, origin: ClientOrigin) throws -> HHTokenRecord {
        // Waiting on HH, directly or on another request's refresh, takes one of the
        // HH_MAX_CONCURRENT_CALLS places: past them a caller gets a 503 at once instead of holding
        // a worker thread that `/health` and the token lookups need.
        // Refused here, the request neither leads nor waits for a refresh: it is counted in
        // `hh_auth_rate_limited_total{limiter="hh_concurrency"}` only, so an HH slow enough to fill
        // the places does not read as failing refreshes.
        guard client.limiter.tryAcquire() else { throw HHClientError.busy }
        defer { client.limiter.release() }
        let (flight, leads) = flights.withLock { current -> (RefreshFlight, Bool) in
            if let flight = current[userID] { return (flight, false) }
            let flight = RefreshFlight()
            current[userID] = flight
            return (flight, true)
        }
        guard leads else {
            do {
                return try flight.wait(until: Date().addingTimeInterval(timing.flightWaitSeconds))
            } catch TokenRefreshError.stillInProgress {
                logger.warning(
                    "gave up waiting for another request's refresh of the same HH pair",
                    metadata: ["user": "\(userID)", "waited_seconds": "\(Int(timing.flightWaitSeconds))"])
                throw TokenRefreshError.stillInProgress
            }
        }
        let result = Result { try lead(userID: userID, seenVersion: seenVersion, origin: origin) }
        finish(flight, userID: userID, result)
        return try result.get()
    }

    func beginFlight(userID: Int64) -> RefreshFlight? {
        flights.withLock { current in
            guard current[userID] == nil else { return nil }
            let flight = RefreshFlight()
            current[userID] = flight
            return flight
        }
    }

    func finish(_ flight: RefreshFlight, userID: Int64, _ result: Result<HHTokenRecord, any Error>) {
        flights.withLock { _ = $0.removeValue(forKey: userID) }
        flight.finish(result)
    }

    private func lead(userID: Int64, seenVersion: Int64, origin: ClientOrigin) throws -> HHTokenRecord {
        if let kept = unsaved.entry(userID: userID) {
            // HH already rotated this pair; the database has not taken the new one yet. It is
            // handed out only while it belongs to the row the caller read: otherwise the save
            // settles it (a replaced row sends it to the revocation queue).
            if Date() < kept.retryAfter && kept.pair.replacesVersion == seenVersion { return kept.pair.record }
            return try save(kept.pair, origin: origin, retryingFor: 0)
        }
        let current: HHTokenRecord
        let leased: LeaseOutcome
        do {
            leased = try lease(userID: userID, seenVersion: seenVersion)
        } catch let ended as SessionError {
            // The pair went meanwhile (a logout, a revocation): nothing failed, there is nothing
            // left to refresh.
            throw ended
        } catch {
            refreshes?.count(.failed)
            throw error
        }
        switch leased {
        case .refreshedMeanwhile(let newer):
            refreshes?.count(.success)
            return newer
        case .leased(let record): current = record
        }
        let pair: HHTokenPair
        do {
            pair = try client.refresh(refreshToken: current.refreshToken, slotHeld: true)
        } catch {
            releaseLease(userID: userID)
            return try recover(from: error, userID: userID, current: current, origin: origin)
        }
        refreshes?.count(.success)
        // From here on the stored refresh token is spent: this pair must not be lost.
        let rotated = RotatedTokenPair(
            userID: userID, accessToken: pair.accessToken, refreshToken: pair.refreshToken,
            expiresAt: clock.now().addingTimeInterval(pair.expiresIn), replacesVersion: current.version)
        unsaved.keep(rotated, pauseSeconds: timing.unsavedRetryPauseSeconds)
        return try save(rotated, origin: origin, retryingFor: timing.saveRetrySeconds)
    }

    private enum LeaseOutcome {
        case leased(HHTokenRecord)
        case refreshedMeanwhile(HHTokenRecord)
    }

    /// Takes the lease, or waits (polling with reads) for another process's refresh as long as a
    /// caller waits for any refresh.
    private func lease(userID: Int64, seenVersion: Int64) throws -> LeaseOutcome {
        let deadline = Date().addingTimeInterval(timing.flightWaitSeconds)
        while true {
            let (current, takable) = try storage.read { tx in
                (
                    try tx.tokens.load(userID: userID),
                    try tx.tokens.leaseIsTakable(userID: userID, owner: owner)
                )
            }
            guard let current else { throw SessionError.expired }
            // Someone refreshed since the caller looked: their token is the answer.
            if current.version != seenVersion { return .refreshedMeanwhile(current) }
            if takable {
                let won = try storage.write { tx in
                    try tx.tokens.acquireLease(
                        userID: userID, version: seenVersion, owner: owner, seconds: timing.leaseSeconds)
                }
                if won { return .leased(current) }
            }
            // Another process holds the lease: wait for its result (or for its lease to lapse).
            guard Date() < deadline else { throw TokenRefreshError.inProgressElsewhere }
            BlockingCall.run { _ = usleep(50_000) }
        }
    }

    private func releaseLease(userID: Int64) {
        do {
            try storage.write { tx in try tx.tokens.releaseLease(userID: userID, owner: owner) }
        } catch {
            logger.warning(
                "could not release a refresh lease; it lapses by itself",
                metadata: ["user": "\(userID)", "error": "\(ErrorMapping.cause(of: error))"])
        }
    }
}

/// Session failures the handlers map to 401s.
public enum SessionError: Error, Equatable {
    /// Unknown or expired session id.
    case invalid
    /// HH no longer honours the refresh token; the user must sign in again.
    case expired
}
