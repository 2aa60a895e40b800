/// Ending sessions, the same way for a logout, an admin, a whitelist removal or the CLI: when a
/// user's last session goes, their HH pair moves to the revocation queue in the same transaction,
/// and the janitor revokes it at HH. Each first locks the user (``UserWrites/lock(id:)``), so a
/// sign-in of theirs never commits between the check and the move (its new pair would be queued).
public struct SessionTermination: Sendable {
    public init() {}

    /// Ends one session. The pair is let go of when this was the user's last session and no
    /// unused exchange code (a sign-in on its way to a session) still needs it.
    public func end(_ session: Session, in tx: any StoreWrites) throws {
        try tx.users.lock(id: session.userID)
        try tx.sessions.end(session)
        guard try tx.sessions.liveCount(userID: session.userID) == 0, try !tx.codes.hasLive(userID: session.userID)
        else { return }
        try tx.revocations.enqueueStored(userID: session.userID)
    }

    /// Ends every session of a user and voids their unused exchange codes; returns how many
    /// sessions there were.
    @discardableResult
    public func endAll(userID: Int64, in tx: any StoreWrites) throws -> Int {
        try tx.users.lock(id: userID)
        let count = try tx.sessions.endAll(userID: userID)
        try tx.codes.deleteAll(userID: userID)
        try tx.revocations.enqueueStored(userID: userID)
        return count
    }
}
