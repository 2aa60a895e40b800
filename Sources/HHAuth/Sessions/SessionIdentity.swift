import Foundation

/// Who a live session belongs to, as `/auth/verify` and the account routes need it: the user, the
/// groups of their whitelist entry, and what holds the session.
public struct SessionIdentity: Sendable, Equatable {
    public var userID: Int64
    public var hhUserID: String
    public var email: String?
    public var fullName: String?
    /// The groups of the user's whitelist entry, sorted.
    public var groups: [String]
    public var sessionHandle: String
    public var kind: SessionKind
    /// When the session was last recorded as used (browser sessions; `nil` when never recorded).
    public var lastSeenAt: Double?

    public func isMember(of group: String) -> Bool { groups.contains(group) }
}
