/// What makes a stored session live: unexpired and, with an idle timeout (`SESSION_IDLE_MINUTES`),
/// used recently enough if it is not a program's. The one definition: `/auth/verify` checks it
/// on the identity it read (``isIdle(kind:lastSeenAt:now:)``), and every list and count of live
/// sessions (the account page, `GET /auth/sessions`, the admin listing, the active-sessions
/// gauge, whether a user's last session just ended) puts ``condition(table:placeholder:)`` in
/// its SQL, on SQLite and on PostgreSQL alike. So an idle session is over everywhere at once,
/// not when the janitor's next pass deletes it.
public struct SessionLiveness: Sendable, Equatable {
    /// `nil`: sessions never time out for idleness.
    public let idleTimeoutSeconds: Double?

    public init(idleTimeoutSeconds: Double?) {
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    /// Whether an unexpired session is over for idleness at `now`. A kind this version does not
    /// know is held to the browser's rules, and a never-recorded use counts as none.
    public func isIdle(kind: SessionKind, lastSeenAt: Double?, now: Double) -> Bool {
        guard let idle = idleTimeoutSeconds, kind != .program else { return false }
        guard let lastSeenAt else { return true }
        // The same comparison as the SQL below, so a session on the boundary is not live in one
        // and ended in the other.
        return !(lastSeenAt > now - idle)
    }

    /// The condition on a `sessions` row (`table` is its name or alias in the statement) that
    /// holds while the session is live; its parameters are ``arguments(now:)``, in order, written
    /// by `placeholder(0)`, `placeholder(1)` (`?` on SQLite, `$n` on PostgreSQL).
    func condition(table: String, placeholder: (Int) -> String) -> String {
        let unexpired = "\(table).expires_at > \(placeholder(0))"
        guard idleTimeoutSeconds != nil else { return unexpired }
        // `kind` spelt as the SQL of both engines reads it; a NULL `last_seen_at` is not live.
        return unexpired + " AND (\(table).kind = 'program' OR \(table).last_seen_at > \(placeholder(1)))"
    }

    /// The parameters of ``condition(table:placeholder:)`` at `now`.
    func arguments(now: Double) -> [Double] {
        guard let idle = idleTimeoutSeconds else { return [now] }
        return [now, now - idle]
    }
}
