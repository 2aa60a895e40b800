import Foundation

/// Admits a session id for `/auth/verify` and the account routes: the session's identity, with
/// the idle timeout of browser sessions applied (``SessionLiveness``, the lists' definition too).
///
/// The idle bookkeeping is coarse on purpose: a session's `last_seen_at` is written at most once
/// per ``recordingInterval(idleTimeoutSeconds:)``, so a browser loading a page of fifty protected
/// assets costs one lookup each and no write (the "no write per request"). The price is
/// that a session may end up to that interval earlier than exactly idle-timeout after its last use.
/// The write itself is never the request's: ``SessionUseRecorder`` writes it on its own thread, so
/// a busy database writer does not hold up the page load; a use noted there and not yet written
/// counts here as written, so on this node a late write ends no session earlier than that bound.
/// Elsewhere it can: until the write lands (milliseconds; while a writer holds the row, as long as
/// it does), the lists and other nodes read the older time; and a use noted when the process is
/// killed (or cannot write at exit) is lost, so its session may end up to a whole idle timeout
/// early. Every such failure ends a session early, never late (ASVS 7.3.1 asks no more).
public struct SessionAccess: Sendable {
    let lookup: SessionLookup
    let clock: any WallClock
    /// Which sessions are live: the idle timeout of browser sessions.
    let liveness: SessionLiveness
    /// Where the uses go to be written.
    let uses: SessionUseRecorder

    init(lookup: SessionLookup, clock: any WallClock, liveness: SessionLiveness, uses: SessionUseRecorder) {
        self.lookup = lookup
        self.clock = clock
        self.liveness = liveness
        self.uses = uses
    }

    /// The identity behind a live session id, or nil (unknown, expired, idle too long, or its user
    /// is off the whitelist). `withToken`: with the user's sealed HH token, in the same read.
    public func identity(sessionID: String, withToken: Bool = false) throws -> SessionIdentity? {
        // Read before the lookup: the writer forgets a noted use only after its write committed,
        // so a use is in memory here or in the row the lookup reads (read after, it could be in
        // neither: gone from memory and not yet in the answer read before the commit).
        let notedBefore = liveness.idleTimeoutSeconds == nil ? nil : uses.noted(sessionID: sessionID)
        guard let identity = try lookup.identity(sessionID: sessionID, withToken: withToken) else { return nil }
        guard let idle = liveness.idleTimeoutSeconds, identity.kind != .program else { return identity }
        let now = clock.now().timeIntervalSince1970
        let interval = Self.recordingInterval(idleTimeoutSeconds: idle)
        // A `last_seen_at` in the future (the clock stepped back) is rewritten too, or the session
        // could not go idle until the clock caught up.
        func isStale(_ lastSeen: Double?) -> Bool {
            guard let lastSeen else { return true }
            return now - lastSeen >= interval || lastSeen > now + 1
        }
        var lastSeen = identity.lastSeenAt
        // A use noted and not written yet is the newer one.
        if let noted = notedBefore ?? uses.noted(sessionID: sessionID), lastSeen.map({ noted > $0 }) ?? true {
            lastSeen = noted
        }
        guard !liveness.isIdle(kind: identity.kind, lastSeenAt: lastSeen, now: now) else { return nil }
        if isStale(lastSeen) { uses.note(sessionID: sessionID, at: now) }
        return identity
    }

    /// How stale `last_seen_at` may get before a use writes it: a tenth of the timeout, between
    /// one second and five minutes.
    static func recordingInterval(idleTimeoutSeconds: Double) -> Double {
        min(max(idleTimeoutSeconds / 10, 1), 300)
    }
}
