import Foundation

/// What holds a session's id: a program that traded an exchange code, or a browser's cookie.
public enum SessionKind: String, Sendable, Equatable, CaseIterable {
    case program
    case browser
}

/// A signed-in client. The session id itself is never stored; `handle` is a non-secret name for
/// it that admins see and can end it by.
public struct Session: Sendable, Equatable {
    public var rowID: Int64
    public var handle: String
    public var userID: Int64
    public var kind: SessionKind
    public var createdAt: Date
    public var expiresAt: Date
}

/// A freshly created session, with the id the client gets exactly once.
public struct NewSession: Sendable, Equatable {
    public let sessionID: String
    public let session: Session
}

/// Reads and writes `sessions`.
public struct SessionStore: Sendable {
    let clock: any WallClock
    let lifetimeSeconds: Double
    /// Which sessions the reads count as live (the idle timeout of browser sessions).
    public let liveness: SessionLiveness

    public init(clock: any WallClock, lifetimeSeconds: Double, idleTimeoutSeconds: Double? = nil) {
        self.clock = clock
        self.lifetimeSeconds = lifetimeSeconds
        self.liveness = SessionLiveness(idleTimeoutSeconds: idleTimeoutSeconds)
    }
}
