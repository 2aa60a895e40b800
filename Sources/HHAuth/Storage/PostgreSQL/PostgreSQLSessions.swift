import Foundation
import PostgreSQL

/// ``SessionWrites`` on PostgreSQL: ``SessionStore``'s operations on `sessions`, run on the
/// transaction's connection (the SQLite engine's `SessionStore+SQLite.swift`, statement for
/// statement).
struct PostgreSQLSessions: SessionWrites {
    let connection: PGConnection
    let stores: StoreSet
    private var store: SessionStore { stores.sessions }
    private var now: Double { store.clock.now().timeIntervalSince1970 }

    private func sessions(_ sql: String, _ parameters: [PGParameter]) throws -> [Session] {
        try connection.execute(sql, parameters).map(Session.init(pgRow:))
    }

    private func count(_ sql: String, _ parameters: [PGParameter] = []) throws -> Int64 {
        try connection.execute(sql, parameters).first?.int64(0) ?? 0
    }

    func create(userID: Int64, kind: SessionKind, lifetimeSeconds: Double?) throws -> NewSession {
        let sessionID = SecretToken.generate(byteCount: 32)
        let handle = "s_" + SecretToken.generate(byteCount: 12)
        let now = self.now
        let rows = try sessions(
            """
            INSERT INTO sessions (id_hash, handle, user_id, kind, created_at, expires_at, last_seen_at)
            VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING \(Session.pgColumns)
            """,
            [
                .blob(SecretToken.hash(sessionID)), .text(handle), .int64(userID), .text(kind.rawValue), .double(now),
                .double(now + (lifetimeSeconds ?? store.lifetimeSeconds)),
            ])
        guard let session = rows.first else { throw PGError(.other, "the new session was not returned") }
        return NewSession(sessionID: sessionID, session: session)
    }

    func find(sessionID: String) throws -> Session? {
        guard SecretToken.isPlausible(sessionID) else { return nil }
        return try sessions(
            "SELECT \(Session.pgColumns) FROM sessions WHERE id_hash = $1 AND expires_at > $2",
            [.blob(SecretToken.hash(sessionID)), .double(now)]
        ).first
    }

    func find(handleOrID text: String) throws -> Session? {
        guard SecretToken.isPlausible(text) else { return nil }
        if let session = try sessions(
            "SELECT \(Session.pgColumns) FROM sessions WHERE handle = $1 AND expires_at > $2",
            [.text(text), .double(now)]
        ).first {
            return session
        }
        return try find(sessionID: text)
    }

    func live(userID: Int64, limit: Int) throws -> [Session] {
        let live = liveSQL(table: "sessions", after: 1)
        let next = 2 + live.parameters.count
        return try sessions(
            """
            SELECT \(Session.pgColumns) FROM sessions WHERE user_id = $1 AND \(live.condition)
            ORDER BY id DESC LIMIT $\(next)
            """,
            [.int64(userID)] + live.parameters + [.int64(Int64(limit))])
    }

    func live(handle: String, userID: Int64) throws -> Session? {
        let live = liveSQL(table: "sessions", after: 2)
        return try sessions(
            "SELECT \(Session.pgColumns) FROM sessions WHERE handle = $1 AND user_id = $2 AND \(live.condition)",
            [.text(handle), .int64(userID)] + live.parameters
        ).first
    }

    /// In id order: `endSessions` for everyone locks each user in this order, as the janitor
    /// does, so two transactions locking several users never wait for each other in a cycle.
    func userIDs() throws -> [Int64] {
        try connection.execute("SELECT DISTINCT user_id FROM sessions ORDER BY user_id").map { try $0.integer(0) }
    }

    func liveCount(userID: Int64) throws -> Int {
        let live = liveSQL(table: "sessions", after: 1)
        return Int(
            try count(
                "SELECT count(*) FROM sessions WHERE user_id = $1 AND \(live.condition)",
                [.int64(userID)] + live.parameters))
    }

    func listingCount(userID: Int64?) throws -> Int {
        let query = liveCondition(userID: userID)
        return Int(try count("SELECT count(*) FROM sessions s" + query.condition, query.parameters))
    }

    func listings(userID: Int64?, limit: Int, offset: Int) throws -> [SessionListing] {
        let query = liveCondition(userID: userID)
        let next = query.parameters.count
        return try connection.execute(
            Self.listingSelect + query.condition + " ORDER BY s.id DESC LIMIT $\(next + 1) OFFSET $\(next + 2)",
            query.parameters + [PGParameter.int64(Int64(limit)), PGParameter.int64(Int64(offset))]
        ).map(Self.listing)
    }

    func listings(userID: Int64?, below: Int64, limit: Int) throws -> [(id: Int64, listing: SessionListing)] {
        let query = liveCondition(userID: userID)
        let next = query.parameters.count
        return try connection.execute(
            Self.listingSelect + query.condition + " AND s.id < $\(next + 1) ORDER BY s.id DESC LIMIT $\(next + 2)",
            query.parameters + [PGParameter.int64(below), PGParameter.int64(Int64(limit))]
        ).map { row in (try row.integer(0), try Self.listing(row)) }
    }

    func newestID() throws -> Int64 { try count("SELECT coalesce(max(id), 0) FROM sessions") }

    func end(_ session: Session) throws {
        try connection.execute("DELETE FROM sessions WHERE id = $1", [.int64(session.rowID)])
    }

    @discardableResult func endAll(userID: Int64) throws -> Int {
        try connection.execute("DELETE FROM sessions WHERE user_id = $1", [.int64(userID)]).affectedRows
    }

    /// `last_seen_at` is never NULL for a browser session; the partial index serves this.
    func deleteIdle(browserSessionsIdleFor idleSeconds: Double) throws -> Int {
        try connection.execute(
            "DELETE FROM sessions WHERE kind = 'browser' AND last_seen_at <= $1", [.double(now - idleSeconds)]
        ).affectedRows
    }

    func deleteExpired() throws -> Int {
        try connection.execute("DELETE FROM sessions WHERE expires_at <= $1", [.double(now)]).affectedRows
    }

    func recordUse(sessionID: String, at: Double) throws {
        try connection.execute(
            // Never back: a use written late, by this node's recorder or another node's, must not
            // undo a later one, and so end the session early; but a time in the future (a clock
            // stepped back) is replaced, or the session could not go idle until then.
            """
            UPDATE sessions SET last_seen_at = CASE
                WHEN last_seen_at IS NULL OR last_seen_at < $1 OR last_seen_at > $2 THEN $1 ELSE last_seen_at END
            WHERE id_hash = $3
            """,
            [.double(at), .double(now + 1), .blob(SecretToken.hash(sessionID))])
    }

    private static let listingSelect = """
        SELECT s.id, s.handle, s.user_id, s.created_at, s.expires_at, u.hh_user_id, u.full_name, u.email
        FROM sessions s JOIN users u ON u.id = s.user_id
        """

    private func liveCondition(userID: Int64?) -> (condition: String, parameters: [PGParameter]) {
        guard let userID else {
            let live = liveSQL(table: "s", after: 0)
            return (" WHERE " + live.condition, live.parameters)
        }
        let live = liveSQL(table: "s", after: 1)
        return (" WHERE s.user_id = $1 AND " + live.condition, [.int64(userID)] + live.parameters)
    }

    /// ``SessionLiveness``'s condition on `table`, its parameters numbered after the statement's
    /// first `after`, with their values now.
    private func liveSQL(table: String, after: Int) -> (condition: String, parameters: [PGParameter]) {
        (
            store.liveness.condition(table: table) { "$\(after + 1 + $0)" },
            store.liveness.arguments(now: now).map(PGParameter.double)
        )
    }

    private static func listing(_ row: PGRow) throws -> SessionListing {
        SessionListing(
            id: try row.text(1), userID: try row.integer(2),
            user: .init(hhUserID: try row.text(5), fullName: try row.string(6), email: try row.string(7)),
            createdAt: Date(timeIntervalSince1970: try row.real(3)).wholeSeconds,
            expiresAt: Date(timeIntervalSince1970: try row.real(4)).wholeSeconds)
    }
}
