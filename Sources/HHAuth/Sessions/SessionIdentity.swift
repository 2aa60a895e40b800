import Foundation

/// Who a live session belongs to, as `/auth/verify` and the account routes need it: the user, the
/// groups of their whitelist entry, and what holds the session.
public struct SessionIdentity: Sendable, Equatable {
    public var userID: Int64
    public var hhUserID: String
    public var email: String?
    public var fullName: String?
    /// The groups of the user's whitelist entry, sorted.
    public var groups: [String]
    public var sessionHandle: String
    public var kind: SessionKind
    /// When the session was last recorded as used (browser sessions; `nil` when never recorded).
    public var lastSeenAt: Double?

    public func isMember(of group: String) -> Bool { groups.contains(group) }
}

extension SessionLookup {
    /// The live session's identity; nil for an unknown or expired session, or a user whose
    /// whitelist entry is gone. One statement on the thread's read connection, every join by a
    /// unique index, like the other lookups.
    public func identity(sessionID: String) throws -> SessionIdentity? {
        guard SecretToken.isPlausible(sessionID) else { return nil }
        return try database.withThreadConnection { connection in
            try connection.statement(
                """
                SELECT s.user_id, s.kind, s.last_seen_at, s.handle, u.hh_user_id, u.email, u.full_name, a.groups
                FROM sessions s JOIN users u ON u.id = s.user_id
                JOIN allowed_users a ON a.hh_user_id = u.hh_user_id AND a.is_active = 1
                WHERE s.id_hash = ? AND s.expires_at > ?
                """
            ).run([.blob(SecretToken.hash(sessionID)), .real(clock.now().timeIntervalSince1970)]) { row in
                SessionIdentity(
                    userID: row.integer(0), hhUserID: row.text(4) ?? "", email: row.text(5), fullName: row.text(6),
                    groups: WhitelistGroups.names(stored: row.text(7) ?? ""),
                    sessionHandle: row.text(3) ?? "",
                    // A kind this version does not know is held to the browser's rules (idle timeout).
                    kind: row.text(1).flatMap(SessionKind.init(rawValue:)) ?? .browser,
                    lastSeenAt: row.isNull(2) ? nil : row.real(2))
            }
        }
    }
}
