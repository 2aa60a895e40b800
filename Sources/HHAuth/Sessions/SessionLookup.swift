import Foundation

/// The read every session call starts with: session id → live session → its user or stored token.
///
/// These run on nearly every request, so each is a single prepared statement on the worker
/// thread's own read-only connection (``ThreadConnection``) rather than a GRDB read: half the
/// instructions per lookup (measured in BENCHMARKS.md, "Read path (issue 10)"). A single
/// statement is its own read transaction: the session and the row joined to it come from one
/// snapshot.
public struct SessionLookup: Sendable {
    let database: AppDatabase
    let clock: any WallClock

    public init(database: AppDatabase, clock: any WallClock) {
        self.database = database
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
    /// read must not buy the user's HH token at `/auth/token` (``programOnly``).
    public func token(sessionID: String, browser: Bool = false) throws -> (userID: Int64, token: SealedToken?)? {
        guard SecretToken.isPlausible(sessionID) else { return nil }
        return try database.withThreadConnection { connection in
            try connection.statement(browser ? Self.anySessionsToken : Self.programSessionsToken).run([
                .blob(SecretToken.hash(sessionID)), .real(clock.now().timeIntervalSince1970),
            ]) { row in
                let userID = row.integer(0)
                guard !row.isNull(1), let keyID = row.text(1), let access = row.blob(2) else { return (userID, nil) }
                return (
                    userID,
                    SealedToken(
                        keyID: keyID, accessToken: access, expiresAt: Date(timeIntervalSince1970: row.real(3)),
                        version: row.integer(4))
                )
            }
        }
    }

    /// The live program session's user; nil for an unknown or expired session, or a browser's.
    public func user(sessionID: String) throws -> User? {
        guard SecretToken.isPlausible(sessionID) else { return nil }
        return try database.withThreadConnection { connection in
            try connection.statement(Self.programSessionsUser).run([
                .blob(SecretToken.hash(sessionID)), .real(clock.now().timeIntervalSince1970),
            ]) { row in
                User(
                    id: row.integer(0), hhUserID: row.text(1) ?? "", email: row.text(2), fullName: row.text(3),
                    isActive: row.integer(4) != 0, createdAt: Date(timeIntervalSince1970: row.real(5)).wholeSeconds,
                    updatedAt: Date(timeIntervalSince1970: row.real(6)).wholeSeconds)
            }
        }
    }

    /// The session routes of client programs (`/auth/token`, `/auth/refresh`, `/users/me`) serve
    /// program sessions only. Whole statements as constants: built per request, the text would
    /// cost an allocation and a copy on the hottest path.
    static let programOnly = " AND s.kind = 'program'"
    private static let anySessionsToken = """
        SELECT s.user_id, t.key_id, t.access_token, t.expires_at, t.version
        FROM sessions s LEFT JOIN hh_tokens t ON t.user_id = s.user_id
        WHERE s.id_hash = ? AND s.expires_at > ?
        """
    private static let programSessionsToken = anySessionsToken + programOnly
    private static let programSessionsUser = """
        SELECT u.id, u.hh_user_id, u.email, u.full_name, u.is_active, u.created_at, u.updated_at
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id_hash = ? AND s.expires_at > ?
        """ + programOnly
}
