import Foundation

/// The session API's operations: an exchange code becomes a session, a session gets its user's HH
/// access token, a logout ends it, and a session names its user. Each write is one transaction
/// with its audit event. Refusals are ``SessionError``s (and ``LoginError/invalidExchangeCode``).
public struct SessionService: Sendable {
    let storage: any StorageEngine
    let broker: TokenBroker
    let termination: SessionTermination
    let lookup: SessionLookup

    /// Uses up an exchange code and opens a session for its user, who must still be on the
    /// whitelist. The session id in the answer is the only copy there is.
    public func exchange(code: String, from origin: ClientOrigin) throws -> NewSession {
        try storage.write { tx -> NewSession in
            // Thrown inside the transaction: a refused code is not used up. The user is locked
            // before the code is used and the whitelist read, as a removal locks them before it
            // changes the entry and voids the codes: a removal either commits first (the code is
            // gone or the entry inactive) or waits for this session and then ends it.
            guard let owner = try tx.codes.owner(of: code) else { throw LoginError.invalidExchangeCode }
            try tx.users.lock(id: owner)
            guard let userID = try tx.codes.consume(code), userID == owner,
                let user = try tx.users.find(id: userID), try tx.whitelist.isAllowed(user.hhUserID)
            else { throw LoginError.invalidExchangeCode }
            let created = try tx.sessions.create(userID: userID)
            try tx.audit.record(
                AuditEvent(
                    .sessionCreated, userID: userID, origin: origin,
                    metadata: ["session": .string(created.session.handle)]))
            return created
        }
    }

    /// A valid HH access token for the session's user, refreshed at HH when it has expired or when
    /// `refresh` asks for it (see ``TokenBroker``).
    public func token(sessionID: String, refresh: Bool, from origin: ClientOrigin) throws -> AccessGrant {
        try broker.token(sessionID: sessionID, force: refresh, origin: origin)
    }

    /// The access token `/auth/verify` passes to nginx (`VERIFY_PASS_ACCESS_TOKEN`): any kind of
    /// session, through the same single-flight refresh. `identity` was read with the user's sealed
    /// token (``SessionIdentity/token``): a fresh one is opened without a second lookup.
    public func tokenForVerify(_ identity: SessionIdentity, sessionID: String, from origin: ClientOrigin) throws
        -> AccessGrant
    {
        try broker.token(
            sessionID: sessionID, read: (identity.userID, identity.token), origin: origin, browser: true)
    }

    /// Ends the session. When it was the user's last, their HH pair goes to the revocation queue
    /// in the same transaction, and the janitor revokes it at once.
    public func logout(sessionID: String, from origin: ClientOrigin) throws {
        try storage.write { tx in
            guard let session = try tx.sessions.find(sessionID: sessionID) else { throw SessionError.invalid }
            try tx.audit.record(
                AuditEvent(
                    .logout, userID: session.userID, origin: origin, metadata: ["session": .string(session.handle)]))
            try termination.end(session, in: tx)
        }
    }

    /// The live session's user.
    public func user(sessionID: String) throws -> User {
        guard let user = try lookup.user(sessionID: sessionID) else { throw SessionError.invalid }
        return user
    }
}
