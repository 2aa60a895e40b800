import GRDB

/// Ending sessions, the same way for a logout, an admin, a whitelist removal or the CLI: when a
/// user's last session goes, their HH token goes too (and is handed back for a best-effort revoke).
public struct SessionTermination: Sendable {
    let sessions: SessionStore
    let tokens: HHTokenStore
    let codes: ExchangeCodeStore

    public init(sessions: SessionStore, tokens: HHTokenStore, codes: ExchangeCodeStore) {
        self.sessions = sessions
        self.tokens = tokens
        self.codes = codes
    }

    /// Ends one session; returns the user's HH token when it was their last one.
    public func end(_ session: Session, in db: Database) throws -> HHTokenRecord? {
        try sessions.end(session, in: db)
        guard try sessions.liveCount(userID: session.userID, in: db) == 0 else { return nil }
        return try dropToken(userID: session.userID, in: db)
    }

    /// Ends every session of a user and voids their unused exchange codes; returns how many
    /// sessions there were and the token to revoke.
    public func endAll(userID: Int64, in db: Database) throws -> (count: Int, token: HHTokenRecord?) {
        let count = try sessions.endAll(userID: userID, in: db)
        try db.execute(sql: "DELETE FROM exchange_codes WHERE user_id = ?", arguments: [userID])
        return (count, try dropToken(userID: userID, in: db))
    }

    private func dropToken(userID: Int64, in db: Database) throws -> HHTokenRecord? {
        // A token that no longer decrypts is still deleted; there is just nothing to revoke.
        let record = try? tokens.load(userID: userID, in: db)
        try tokens.delete(userID: userID, in: db)
        return record
    }
}
