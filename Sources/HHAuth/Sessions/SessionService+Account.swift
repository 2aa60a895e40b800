import Foundation
import GRDB

/// What a signed-in user may do with their own sessions (the account page and `/auth/sessions`):
/// list them, end one, end them all ("sign out everywhere", ASVS 7.5.2).
extension SessionService {
    /// The user's live sessions, newest first.
    public func liveSessions(ofUser userID: Int64) throws -> [Session] {
        try database.read { db in try sessions.live(userID: userID, in: db) }
    }

    /// Ends the user's session with that handle; `false` when they have no live session by it.
    public func end(handle: String, ofUser userID: Int64, from origin: ClientOrigin) throws -> Bool {
        try database.write { db in
            guard let session = try sessions.live(userID: userID, in: db).first(where: { $0.handle == handle })
            else { return false }
            try audit.record(
                AuditEvent(
                    .logout, userID: userID, origin: origin,
                    metadata: ["session": .string(session.handle), "by": "account"]),
                in: db)
            try termination.end(session, in: db)
            return true
        }
    }

    /// Ends every session of the user, program and browser alike, and voids their unused exchange
    /// codes; returns how many sessions there were.
    public func endAll(ofUser userID: Int64, from origin: ClientOrigin) throws -> Int {
        try database.write { db in
            let ended = try termination.endAll(userID: userID, in: db)
            try audit.record(
                AuditEvent(
                    .logout, userID: userID, origin: origin,
                    metadata: ["scope": "everywhere", "sessions_ended": .integer(Int64(ended)), "by": "account"]),
                in: db)
            return ended
        }
    }

    /// Ends the browser session behind a cookie's id, if it is live (`/auth/sign_out`).
    public func signOut(sessionID: String, from origin: ClientOrigin) throws {
        do {
            try logout(sessionID: sessionID, from: origin)
        } catch SessionError.invalid {
            // Already over: signing out is done either way.
        }
    }
}

extension SessionStore {
    /// The user's live sessions, newest first (the `sessions_by_user` index; a user has few).
    public func live(userID: Int64, in db: Database) throws -> [Session] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY id DESC",
            arguments: [userID, clock.now().timeIntervalSince1970]
        ).map(Session.init(row:))
    }
}
