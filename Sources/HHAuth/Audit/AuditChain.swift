import Foundation

/// Checking and pruning the hash chain of the audit trail.
public struct AuditChain: Sendable {
    let audit: AuditLog
    let clock: any WallClock

    public init(audit: AuditLog, clock: any WallClock) {
        self.audit = audit
        self.clock = clock
    }

    /// The result of a verification.
    public enum Verdict: Sendable, Equatable {
        /// Every link holds; `count` events were checked.
        case intact(count: Int)
        /// The first event whose stored hash does not follow from its content and its predecessor.
        case broken(eventID: Int64, checked: Int)
    }
}
