import Foundation

/// Where the domain's data lives. Use cases own each transaction (``read(_:)``, ``write(_:)``)
/// and reach the stores only through the transaction value, so they never see which engine
/// answers: SQLite (``SQLiteEngine``) today, another engine through the same protocols.
///
/// The unit that varies between engines is the transaction, not the store: one use-case
/// transaction touches several stores at once (a sign-in writes users, hh_tokens, hh_revocations,
/// exchange_codes and audit_events atomically). Failures of the engine come out as
/// ``StorageFailure``; errors `body` throws come out unchanged, and roll a write back.
public protocol StorageEngine: Sendable {
    /// A read transaction: every read in `body` sees one snapshot of committed writes.
    func read<T>(_ body: (any StoreReads) throws -> T) throws -> T

    /// One write transaction: what `body` writes commits together when it returns, and not at
    /// all when it throws. A write may wait on other writers (a slow wait for the worker pool).
    func write<T>(_ body: (any StoreWrites) throws -> T) throws -> T

    /// The hot reads every session call starts with (``SessionLookup``): each is one statement,
    /// its own snapshot, and the engine keeps it prepared on the calling thread's connection.
    var sessionReads: any SessionReadPath { get }

    /// What several processes on this database share besides the stores (rate counts, admin
    /// lockout, the janitor's lead); nil for an engine one process owns (SQLite), whose limits
    /// count in memory.
    var sharedState: SharedNodeState? { get }
}

extension StorageEngine {
    public var sharedState: SharedNodeState? { nil }
}

/// The single-statement reads of the session routes (``SessionLookup``), by the session id's
/// hash and the time that counts as now; `nil` for an unknown or expired session.
public protocol SessionReadPath: Sendable {
    /// The session's user and their sealed HH token (`nil` when the user has no stored pair).
    /// `programOnly`: a browser's session counts as unknown.
    func token(idHash: Data, now: Double, programOnly: Bool) throws -> (
        userID: Int64, token: SessionLookup.SealedToken?
    )?

    /// The user of a live program session.
    func user(idHash: Data, now: Double) throws -> User?

    /// The identity behind a live session of any kind whose user is still on the whitelist;
    /// `withToken`: with the user's sealed HH token, read in the same statement.
    func identity(idHash: Data, now: Double, withToken: Bool) throws -> SessionIdentity?
}

extension SessionReadPath {
    /// The identity without the token.
    func identity(idHash: Data, now: Double) throws -> SessionIdentity? {
        try identity(idHash: idHash, now: now, withToken: false)
    }
}
