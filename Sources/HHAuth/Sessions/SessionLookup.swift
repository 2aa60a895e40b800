import Foundation

/// The read every session call starts with: session id → live session → its user or stored token.
///
/// These run on nearly every request, so each is one of the engine's hot reads
/// (``StorageEngine/sessionReads``): a single statement, prepared on the worker thread's own
/// connection, that is its own snapshot (on SQLite: ``SQLiteSessionReadPath``).
public struct SessionLookup: Sendable {
    let reads: any SessionReadPath
    let clock: any WallClock

    public init(storage: any StorageEngine, clock: any WallClock) {
        self.init(reads: storage.sessionReads, clock: clock)
    }

    init(reads: any SessionReadPath, clock: any WallClock) {
        self.reads = reads
        self.clock = clock
    }

    /// A user's stored HH token as it lies in the database: still sealed.
    public struct SealedToken: Sendable, Equatable {
        public var keyID: String
        public var accessToken: Data
        public var expiresAt: Date
        public var version: Int64
    }

    /// The live session's user and their sealed token (nil when HH's pair is gone); nil for an
    /// unknown or expired session, and, unless `browser` says otherwise, for a browser's session:
    /// its id travels in a cookie that nginx forwards to the protected apps, and what an app can
    /// read must not buy the user's HH token at `/auth/token`.
    public func token(sessionID: String, browser: Bool = false) throws -> (userID: Int64, token: SealedToken?)? {
        guard SecretToken.isPlausible(sessionID) else { return nil }
        return try reads.token(
            idHash: SecretToken.hash(sessionID), now: clock.now().timeIntervalSince1970, programOnly: !browser)
    }

    /// The live program session's user; nil for an unknown or expired session, or a browser's.
    public func user(sessionID: String) throws -> User? {
        guard SecretToken.isPlausible(sessionID) else { return nil }
        return try reads.user(idHash: SecretToken.hash(sessionID), now: clock.now().timeIntervalSince1970)
    }

    /// The live session's identity; nil for an unknown or expired session, or a user whose
    /// whitelist entry is gone. `withToken`: with the user's sealed HH token (``SessionIdentity/token``),
    /// in the same statement.
    public func identity(sessionID: String, withToken: Bool = false) throws -> SessionIdentity? {
        guard SecretToken.isPlausible(sessionID) else { return nil }
        return try reads.identity(
            idHash: SecretToken.hash(sessionID), now: clock.now().timeIntervalSince1970, withToken: withToken)
    }
}
