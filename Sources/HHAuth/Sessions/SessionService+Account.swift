import Foundation

/// What a signed-in user may do with their own sessions (the account page and `/auth/sessions`):
/// list them, end one, end them all ("sign out everywhere", ASVS 7.5.2).
extension SessionService {
    /// The user's live sessions, newest first, at most ``maximumListed`` (a script signing in in
    /// a loop must not make the page unbounded).
    public func liveSessions(ofUser userID: Int64) throws -> [Session] {
        try storage.read { tx in try tx.sessions.live(userID: userID, limit: Self.maximumListed) }
    }

    public static let maximumListed = 100

    /// Ends the user's live session with that handle, or ``SessionAccessError/sessionNotFound``.
    public func end(handle: String, ofUser userID: Int64, from origin: ClientOrigin) throws {
        try storage.write { tx in
            guard let session = try tx.sessions.live(handle: handle, userID: userID) else {
                throw SessionAccessError.sessionNotFound
            }
            try tx.audit.record(
                AuditEvent(
                    .logout, userID: userID, origin: origin,
                    metadata: ["session": .string(session.handle), "by": "account"]))
            try termination.end(session, in: tx)
        }
    }

    /// Ends every session of the user, program and browser alike, and voids their unused exchange
    /// codes; returns how many sessions there were.
    public func endAll(ofUser userID: Int64, from origin: ClientOrigin) throws -> Int {
        try storage.write { tx in
            let ended = try termination.endAll(userID: userID, in: tx)
            try tx.audit.record(
                AuditEvent(
                    .logout, userID: userID, origin: origin,
                    metadata: ["scope": "everywhere", "sessions_ended": .integer(Int64(ended)), "by": "account"]))
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
