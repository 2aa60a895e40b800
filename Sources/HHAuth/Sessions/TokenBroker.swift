import Foundation
import GRDB
import Logging
import FastCGI

/// Hands out a user's HH access token, refreshing it with HH when it has expired (or when asked).
///
/// Refreshes are single-flight twice over: within the process, concurrent callers for one user share
/// one ``RefreshFlight``; across processes sharing the database, the leader must win a lease on the
/// token row's `version` (compare-and-swap) before it may call HH, and others wait for the version
/// to move.
public final class TokenBroker: Sendable {
    private let database: AppDatabase
    private let lookup: SessionLookup
    private let tokens: HHTokenStore
    private let sessions: SessionStore
    private let client: HHClient
    private let audit: AuditLog
    private let clock: any WallClock
    private let leaseSeconds: Double
    private let owner = SecretToken.generate(byteCount: 12)
    private let flights = Lock<[Int64: RefreshFlight]>([:])

    public init(
        database: AppDatabase, tokens: HHTokenStore, sessions: SessionStore, client: HHClient, audit: AuditLog,
        clock: any WallClock, leaseSeconds: Double
    ) {
        self.database = database
        self.lookup = SessionLookup(database: database, clock: clock)
        self.tokens = tokens
        self.sessions = sessions
        self.client = client
        self.audit = audit
        self.clock = clock
        self.leaseSeconds = leaseSeconds
    }

    /// A valid access token for the session's user: the hot path of `/auth/token`, one statement
    /// and one decryption while the stored token is fresh. `force` refreshes even when it is.
    public func token(sessionID: String, force: Bool, request: HTTPRequest) throws -> AccessGrant {
        guard let found = try lookup.token(sessionID: sessionID) else { throw SessionError.invalid }
        guard let sealed = found.token else { throw SessionError.expired }
        if !force && sealed.expiresAt > clock.now() { return try tokens.openAccess(sealed, userID: found.userID) }
        let record = try refreshOnce(userID: found.userID, seenVersion: sealed.version, request: request)
        return AccessGrant(accessToken: record.accessToken, expiresAt: record.expiresAt)
    }

    private func refreshOnce(userID: Int64, seenVersion: Int64, request: HTTPRequest) throws -> HHTokenRecord {
        let (flight, leads) = flights.withLock { current -> (RefreshFlight, Bool) in
            if let flight = current[userID] { return (flight, false) }
            let flight = RefreshFlight()
            current[userID] = flight
            return (flight, true)
        }
        guard leads else { return try flight.wait() }
        let result = Result { try refresh(userID: userID, seenVersion: seenVersion, request: request) }
        flights.withLock { _ = $0.removeValue(forKey: userID) }
        flight.finish(result)
        return try result.get()
    }

    private func refresh(userID: Int64, seenVersion: Int64, request: HTTPRequest) throws -> HHTokenRecord {
        let deadline = Date().addingTimeInterval(leaseSeconds + 1)
        var record: HHTokenRecord
        while true {
            guard let current = try database.read({ db in try tokens.load(userID: userID, in: db) }) else {
                throw SessionError.expired
            }
            record = current
            // Someone refreshed since the caller looked: their token is the answer.
            if record.version != seenVersion { return record }
            let won = try database.write { db in
                try tokens.acquireLease(userID: userID, version: seenVersion, owner: owner, seconds: leaseSeconds, in: db)
            }
            if won { break }
            // Another process holds the lease: wait for its result (or for its lease to lapse).
            guard Date() < deadline else { throw HHClientError.unavailable("refresh lease held elsewhere") }
            BlockingCall.run { _ = usleep(50_000) }
        }
        do {
            let pair = try client.refresh(refreshToken: record.refreshToken)
            return try database.write { db in
                try tokens.save(
                    userID: userID, accessToken: pair.accessToken, refreshToken: pair.refreshToken,
                    expiresAt: clock.now().addingTimeInterval(pair.expiresIn), in: db)
                try audit.record(AuditEvent(.tokenRefresh, userID: userID, request: request), in: db)
                guard let saved = try tokens.load(userID: userID, in: db) else { throw SessionError.expired }
                return saved
            }
        } catch let error as HHClientError {
            try? database.write { db in try tokens.releaseLease(userID: userID, owner: owner, in: db) }
            return try recover(from: error, userID: userID, current: record, request: request)
        }
    }

    private func recover(from error: HHClientError, userID: Int64, current: HHTokenRecord, request: HTTPRequest) throws
        -> HHTokenRecord
    {
        switch error.grantError {
        case "token not expired":
            // HH says the token we hold is still good: hand it out.
            return current
        case "token has already been refreshed":
            if let newer = try database.read({ db in try tokens.load(userID: userID, in: db) }),
                newer.version != current.version
            {
                return newer
            }
            try endSessions(userID: userID, reason: "token has already been refreshed", request: request)
            throw SessionError.expired
        case .some(let description):
            try endSessions(userID: userID, reason: description, request: request)
            throw SessionError.expired
        case nil:
            _ = try? database.write { db in
                try audit.record(
                    AuditEvent(.tokenRefreshFailed, userID: userID, request: request, metadata: ["reason": "hh_unavailable"]),
                    in: db)
            }
            throw error
        }
    }

    /// HH refused the refresh token for good: the stored pair is dead, and so is every session on it.
    private func endSessions(userID: Int64, reason: String, request: HTTPRequest) throws {
        try database.write { db in
            try tokens.delete(userID: userID, in: db)
            let ended = try sessions.endAll(userID: userID, in: db)
            try audit.record(
                AuditEvent(
                    .tokenRefreshFailed, userID: userID, request: request,
                    metadata: ["reason": .string(reason), "sessions_ended": .integer(Int64(ended))]),
                in: db)
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
