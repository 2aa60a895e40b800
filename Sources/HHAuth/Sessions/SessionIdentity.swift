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
    /// The user's sealed HH token, read in the same statement when the lookup was asked for it
    /// (`/auth/verify` with `VERIFY_PASS_ACCESS_TOKEN`); `nil` otherwise, or when the user has no
    /// stored pair.
    public var token: SessionLookup.SealedToken? = nil

    public func isMember(of group: String) -> Bool { groups.contains(group) }
}
