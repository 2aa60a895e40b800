import Foundation

/// The session API's operations: an exchange code becomes a session, a session gets its user's HH
/// access token, a logout ends it, and a session names its user. Each write is one transaction
/// with its audit event. Refusals are ``SessionError``s (and ``LoginError/invalidExchangeCode``).
public struct SessionService: Sendable {
    let database: AppDatabase
    let sessions: SessionStore
    let codes: ExchangeCodeStore
    let users: UserStore
    let whitelist: Whitelist
    let broker: TokenBroker
    let termination: SessionTermination
    let audit: AuditLog
    let lookup: SessionLookup

    /// Uses up an exchange code and opens a session for its user, who must still be on the
    /// whitelist. The session id in the answer is the only copy there is.
    public func exchange(code: String, from origin: ClientOrigin) throws -> NewSession {
        try database.write { db -> NewSession in
            // Thrown inside the transaction: a refused code is not used up.
            guard let userID = try codes.consume(code, in: db),
                let user = try users.find(id: userID, in: db), try whitelist.isAllowed(user.hhUserID, in: db)
            else { throw LoginError.invalidExchangeCode }
            let created = try sessions.create(userID: userID, in: db)
            try audit.record(
                AuditEvent(
                    .sessionCreated, userID: userID, origin: origin,
                    metadata: ["session": .string(created.session.handle)]),
                in: db)
            return created
        }
    }

    /// A valid HH access token for the session's user, refreshed at HH when it has expired or when
    /// `refresh` asks for it (see ``TokenBroker``).
    public func token(sessionID: String, refresh: Bool, from origin: ClientOrigin) throws -> AccessGrant {
        try broker.token(sessionID: sessionID, force: refresh, origin: origin)
    }

    /// The access token `/auth/verify` passes to nginx (`VERIFY_PASS_ACCESS_TOKEN`): any kind of
    /// session, through the same single-flight refresh.
    public func tokenForVerify(sessionID: String, from origin: ClientOrigin) throws -> AccessGrant {
        try broker.token(sessionID: sessionID, force: false, origin: origin, browser: true)
    }

    /// Ends the session. When it was the user's last, their HH pair goes to the revocation queue
    /// in the same transaction, and the janitor revokes it at once.
    public func logout(sessionID: String, from origin: ClientOrigin) throws {
        try database.write { db in
            guard let session = try sessions.find(sessionID: sessionID, in: db) else { throw SessionError.invalid }
            try audit.record(
                AuditEvent(
                    .logout, userID: session.userID, origin: origin, metadata: ["session": .string(session.handle)]),
                in: db)
            try termination.end(session, in: db)
        }
    }

    /// The live session's user.
    public func user(sessionID: String) throws -> User {
        guard let user = try lookup.user(sessionID: sessionID) else { throw SessionError.invalid }
        return user
    }
}
