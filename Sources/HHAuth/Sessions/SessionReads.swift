/// The `sessions` table's reads, inside a transaction (see ``SessionStore`` for what each means).
public protocol SessionReads {
    /// The live session for a raw id; expired and unknown ids both give `nil`.
    func find(sessionID: String) throws -> Session?
    /// A live session by its handle or, failing that, by its raw id.
    func find(handleOrID text: String) throws -> Session?
    /// The user's live sessions, newest first, `limit` of them.
    func live(userID: Int64, limit: Int) throws -> [Session]
    /// The user's live session by its handle, if it is theirs.
    func live(handle: String, userID: Int64) throws -> Session?
    /// Every user with a session row, live or expired.
    func userIDs() throws -> [Int64]
    /// How many live sessions the user has.
    func liveCount(userID: Int64) throws -> Int
    /// How many live sessions there are, of one user (a row id) or of everyone.
    func listingCount(userID: Int64?) throws -> Int
    /// Live sessions as admins see them, newest first, `limit` of them from `offset`.
    func listings(userID: Int64?, limit: Int, offset: Int) throws -> [SessionListing]
    /// Up to `limit` live sessions with row ids below `below`, newest first, with their row ids.
    func listings(userID: Int64?, below: Int64, limit: Int) throws -> [(id: Int64, listing: SessionListing)]
    /// The row id of the newest session (0 when there is none).
    func newestID() throws -> Int64
}

/// The `sessions` table's writes (and reads), inside a write transaction.
public protocol SessionWrites: SessionReads {
    /// A new session of `kind` for the user, lasting `lifetimeSeconds` (the store's default when nil).
    func create(userID: Int64, kind: SessionKind, lifetimeSeconds: Double?) throws -> NewSession
    func end(_ session: Session) throws
    /// Ends every session of a user; returns how many there were.
    @discardableResult func endAll(userID: Int64) throws -> Int
    /// Deletes browser sessions unused for `idleSeconds`; returns how many.
    func deleteIdle(browserSessionsIdleFor idleSeconds: Double) throws -> Int
    /// Deletes expired sessions; returns how many.
    func deleteExpired() throws -> Int
    /// Records that the session behind a raw id was used at `now` (`last_seen_at`).
    func recordUse(sessionID: String, at now: Double) throws
}

extension SessionWrites {
    /// A new program session for the user, lasting the store's session lifetime.
    public func create(userID: Int64) throws -> NewSession {
        try create(userID: userID, kind: .program, lifetimeSeconds: nil)
    }
}
