import Foundation

/// An HH id that may sign in, as the admin API shows it.
public struct AllowedUser: Sendable, Equatable, Encodable {
    public var id: Int64
    public var hhUserID: String
    public var comment: String?
    /// Sorted group names, `[]` for none (see ``WhitelistGroups``).
    public var groups: [String]
    public var isActive: Bool
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, comment, groups
        case hhUserID = "hh_user_id"
        case isActive = "is_active"
        case createdAt = "created_at"
    }

    /// Every key is always present (`"comment": null`, `"groups": []`), as the original service sent
    /// them (`groups` is ours, and always a list).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(hhUserID, forKey: .hhUserID)
        try container.encode(comment, forKey: .comment)
        try container.encode(groups, forKey: .groups)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// The whitelist: only active entries may sign in. Removal is a soft delete.
public struct Whitelist: Sendable {
    let clock: any WallClock

    public init(clock: any WallClock) {
        self.clock = clock
    }
}
