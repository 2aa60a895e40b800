import Foundation
import WorkerThreads

/// Admits a session id for `/auth/verify` and the account routes: the session's identity, with
/// the idle timeout of browser sessions applied (``SessionLiveness``, the lists' definition too).
///
/// The idle bookkeeping is coarse on purpose: a session's `last_seen_at` is written at most once
/// per ``recordingInterval(idleTimeoutSeconds:)``, so a browser loading a page of fifty protected
/// assets costs one lookup each and no write (the "no write per request"). The price is
/// that a session may end up to that interval earlier than exactly idle-timeout after its last use.
public struct SessionAccess: Sendable {
    let lookup: SessionLookup
    let storage: any StorageEngine
    let clock: any WallClock
    /// Which sessions are live: the idle timeout of browser sessions.
    let liveness: SessionLiveness
    /// Sessions whose use is being written right now: the fifty requests of one page that all see
    /// a stale `last_seen_at` at once queue one write, not fifty, on the single writer.
    private let recording = Lock(Set<String>())

    public init(lookup: SessionLookup, storage: any StorageEngine, clock: any WallClock, liveness: SessionLiveness) {
        self.lookup = lookup
        self.storage = storage
        self.clock = clock
        self.liveness = liveness
    }

    /// The identity behind a live session id, or nil (unknown, expired, idle too long, or its user
    /// is off the whitelist).
    public func identity(sessionID: String) throws -> SessionIdentity? {
        guard let identity = try lookup.identity(sessionID: sessionID) else { return nil }
        guard let idle = liveness.idleTimeoutSeconds, identity.kind != .program else { return identity }
        let now = clock.now().timeIntervalSince1970
        guard !liveness.isIdle(kind: identity.kind, lastSeenAt: identity.lastSeenAt, now: now),
            let lastSeen = identity.lastSeenAt
        else { return nil }
        // A `last_seen_at` in the future (the clock stepped back) is rewritten too, or the session
        // could not go idle until the clock caught up.
        if now - lastSeen >= Self.recordingInterval(idleTimeoutSeconds: idle) || lastSeen > now + 1 {
            record(sessionID: sessionID, at: now)
        }
        return identity
    }

    /// Writes the session's use, unless another request of the same session is writing it. A
    /// lost write only makes the session look older than it is: it may time out early, never
    /// late; not worth failing the request over (nginx would answer 500 to the user).
    private func record(sessionID: String, at now: Double) {
        guard recording.withLock({ $0.insert(sessionID).inserted }) else { return }
        defer { _ = recording.withLock { $0.remove(sessionID) } }
        try? storage.write { tx in try tx.sessions.recordUse(sessionID: sessionID, at: now) }
    }

    /// How stale `last_seen_at` may get before a use writes it: a tenth of the timeout, between
    /// one second and five minutes.
    static func recordingInterval(idleTimeoutSeconds: Double) -> Double {
        min(max(idleTimeoutSeconds / 10, 1), 300)
    }
}
