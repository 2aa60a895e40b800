import Foundation
import GRDB

/// ``SessionStore``'s operations on `sessions` in SQLite's SQL, run in a transaction's `Database`: what
/// the SQLite engine's transactions call (``SQLiteEngine``).
extension SessionStore {
    /// A new session of `kind` for the user, lasting `lifetimeSeconds` (the store's default when nil).
    func create(
        userID: Int64, kind: SessionKind = .program, lifetimeSeconds: Double? = nil, in db: Database
    ) throws -> NewSession {
        let sessionID = SecretToken.generate(byteCount: 32)
        let handle = "s_" + SecretToken.generate(byteCount: 12)
        let now = clock.now().timeIntervalSince1970
        try db.execute(
            sql: """
                INSERT INTO sessions (id_hash, handle, user_id, kind, created_at, expires_at, last_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                SecretToken.hash(sessionID), handle, userID, kind.rawValue, now,
                now + (lifetimeSeconds ?? self.lifetimeSeconds), now,
            ])
        let row = try Row.fetchOne(db, sql: "SELECT * FROM sessions WHERE id = ?", arguments: [db.lastInsertedRowID])
        guard let row else { throw DatabaseError(message: "session vanished") }
        return NewSession(sessionID: sessionID, session: Session(row: row))
    }

    /// The live session for a raw id; expired and unknown ids both give `nil`.
    func find(sessionID: String, in db: Database) throws -> Session? {
        guard SecretToken.isPlausible(sessionID) else { return nil }
        // Cached statements on the request path: preparing SQL costs more than running it.
        return try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?"),
            arguments: [SecretToken.hash(sessionID), clock.now().timeIntervalSince1970]
        ).map(Session.init(row:))
    }

    /// Finds a live session by its handle or, failing that, by its raw id.
    func find(handleOrID text: String, in db: Database) throws -> Session? {
        guard SecretToken.isPlausible(text) else { return nil }
        let now = clock.now().timeIntervalSince1970
        if let row = try Row.fetchOne(
            db, sql: "SELECT * FROM sessions WHERE handle = ? AND expires_at > ?", arguments: [text, now])
        {
            return Session(row: row)
        }
        return try find(sessionID: text, in: db)
    }

    func end(_ session: Session, in db: Database) throws {
        try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [session.rowID])
    }

    /// The user's live sessions, newest first, `limit` of them (the `sessions_by_user` index).
    func live(userID: Int64, limit: Int, in db: Database) throws -> [Session] {
        let live = liveSQL(table: "sessions")
        return try Row.fetchAll(
            db, sql: "SELECT * FROM sessions WHERE user_id = ? AND \(live.condition) ORDER BY id DESC LIMIT ?",
            arguments: [userID] + live.arguments + [limit]
        ).map(Session.init(row:))
    }

    /// The user's live session by its handle (the unique `handle` index), if it is theirs.
    func live(handle: String, userID: Int64, in db: Database) throws -> Session? {
        let live = liveSQL(table: "sessions")
        return try Row.fetchOne(
            db, sql: "SELECT * FROM sessions WHERE handle = ? AND user_id = ? AND \(live.condition)",
            arguments: [handle, userID] + live.arguments
        ).map(Session.init(row:))
    }

    /// ``SessionLiveness``'s condition on `table` in SQLite's SQL, with its arguments now.
    func liveSQL(table: String) -> (condition: String, arguments: StatementArguments) {
        (
            liveness.condition(table: table) { _ in "?" },
            StatementArguments(liveness.arguments(now: clock.now().timeIntervalSince1970))
        )
    }

    /// Ends every session of a user; returns how many there were.
    @discardableResult
    func endAll(userID: Int64, in db: Database) throws -> Int {
        try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [userID])
        return db.changesCount
    }

    /// Every user with a session row, live or expired.
    func userIDs(in db: Database) throws -> [Int64] {
        try Int64.fetchAll(db, sql: "SELECT DISTINCT user_id FROM sessions")
    }

    func liveCount(userID: Int64, in db: Database) throws -> Int {
        let live = liveSQL(table: "sessions")
        return try Int.fetchOne(
            db, sql: "SELECT count(*) FROM sessions WHERE user_id = ? AND \(live.condition)",
            arguments: [userID] + live.arguments) ?? 0
    }

    /// Deletes browser sessions unused for `idleSeconds` (the idle timeout's sweep; the lookup
    /// refuses them already). Their HH pairs follow as the expired sessions' do: the janitor's
    /// orphan pass queues a pair no live session needs.
    func deleteIdle(browserSessionsIdleFor idleSeconds: Double, in db: Database) throws -> Int {
        try db.execute(
            // `last_seen_at` is never NULL for a browser session; the partial index serves this.
            sql: "DELETE FROM sessions WHERE kind = 'browser' AND last_seen_at <= ?",
            arguments: [clock.now().timeIntervalSince1970 - idleSeconds])
        return db.changesCount
    }

    /// Records that the session behind a raw id was used at `now` (browser sessions' idle timeout).
    func recordUse(sessionID: String, at now: Double, in db: Database) throws {
        try db.execute(
            // Never back: a use written late (SessionUseRecorder's retries, another process)
            // must not undo a later one, and so end the session early; but a time in the future
            // (a clock stepped back) is replaced, or the session could not go idle until then.
            sql: """
                UPDATE sessions SET last_seen_at = CASE
                    WHEN last_seen_at IS NULL OR last_seen_at < ? OR last_seen_at > ? THEN ? ELSE last_seen_at END
                WHERE id_hash = ?
                """,
            arguments: [now, clock.now().timeIntervalSince1970 + 1, now, SecretToken.hash(sessionID)])
    }

    func deleteExpired(in db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [clock.now().timeIntervalSince1970])
        return db.changesCount
    }
}
