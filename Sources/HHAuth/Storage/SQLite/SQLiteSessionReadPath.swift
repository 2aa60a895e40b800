import Foundation

/// The session routes' reads on SQLite: each a single prepared statement on the worker thread's
/// own read-only connection (``ThreadConnection``) rather than a GRDB read, half the
/// instructions per lookup (measured in BENCHMARKS.md, "Read path (issue 10)"). A single
/// statement is its own read transaction: the session and the rows joined to it come from one
/// snapshot.
struct SQLiteSessionReadPath: SessionReadPath {
    let database: AppDatabase

    func token(idHash: Data, now: Double, programOnly: Bool) throws -> (
        userID: Int64, token: SessionLookup.SealedToken?
    )? {
        try database.withThreadConnection { connection in
            try connection.statement(programOnly ? Self.programSessionsToken : Self.anySessionsToken).run([
                .blob(idHash), .real(now),
            ]) { row in
                (row.integer(0), Self.sealedToken(row, from: 1))
            }
        }
    }

    func user(idHash: Data, now: Double) throws -> User? {
        try database.withThreadConnection { connection in
            try connection.statement(Self.programSessionsUser).run([.blob(idHash), .real(now)]) { row in
                User(
                    id: row.integer(0), hhUserID: row.text(1) ?? "", email: row.text(2), fullName: row.text(3),
                    isActive: row.integer(4) != 0, createdAt: Date(timeIntervalSince1970: row.real(5)).wholeSeconds,
                    updatedAt: Date(timeIntervalSince1970: row.real(6)).wholeSeconds)
            }
        }
    }

    /// Every join by a unique index, like the other lookups.
    func identity(idHash: Data, now: Double, withToken: Bool) throws -> SessionIdentity? {
        let statement = withToken ? Self.identityAndTokenOfAnySession : Self.identityOfAnySession
        return try database.withThreadConnection { connection in
            try connection.statement(statement).run([.blob(idHash), .real(now)]) { row in
                var identity = SessionIdentity(
                    userID: row.integer(0), hhUserID: row.text(4) ?? "", email: row.text(5), fullName: row.text(6),
                    groups: WhitelistGroups.names(stored: row.text(7) ?? ""),
                    sessionHandle: row.text(3) ?? "",
                    // A kind this version does not know is held to the browser's rules (idle timeout).
                    kind: row.text(1).flatMap(SessionKind.init(rawValue:)) ?? .browser,
                    lastSeenAt: row.isNull(2) ? nil : row.real(2))
                if withToken { identity.token = Self.sealedToken(row, from: 8) }
                return identity
            }
        }
    }

    /// The sealed token in the row's four columns from `first` (`nil` when the left join found none).
    private static func sealedToken(_ row: PreparedStatement.Columns, from first: Int32) -> SessionLookup.SealedToken? {
        guard !row.isNull(first), let keyID = row.text(first), let access = row.blob(first + 1) else { return nil }
        return SessionLookup.SealedToken(
            keyID: keyID, accessToken: access, expiresAt: Date(timeIntervalSince1970: row.real(first + 2)),
            version: row.integer(first + 3))
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
    private static let identityOfAnySession = """
        SELECT s.user_id, s.kind, s.last_seen_at, s.handle, u.hh_user_id, u.email, u.full_name, a.groups
        FROM sessions s JOIN users u ON u.id = s.user_id
        JOIN allowed_users a ON a.hh_user_id = u.hh_user_id AND a.is_active = 1
        WHERE s.id_hash = ? AND s.expires_at > ?
        """
    /// With `VERIFY_PASS_ACCESS_TOKEN`: the identity and the token in one statement, not two.
    private static let identityAndTokenOfAnySession = """
        SELECT s.user_id, s.kind, s.last_seen_at, s.handle, u.hh_user_id, u.email, u.full_name, a.groups,
            t.key_id, t.access_token, t.expires_at, t.version
        FROM sessions s JOIN users u ON u.id = s.user_id
        JOIN allowed_users a ON a.hh_user_id = u.hh_user_id AND a.is_active = 1
        LEFT JOIN hh_tokens t ON t.user_id = s.user_id
        WHERE s.id_hash = ? AND s.expires_at > ?
        """
}
