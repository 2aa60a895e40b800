import Foundation

/// A person who has signed in with HH at least once.
public struct User: Sendable, Equatable, Encodable {
    public var id: Int64
    public var hhUserID: String
    public var email: String?
    public var fullName: String?
    public var isActive: Bool
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, email
        case hhUserID = "hh_user_id"
        case fullName = "full_name"
        case isActive = "is_active"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Every key is always present (`"email": null`), as the original service sent it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(hhUserID, forKey: .hhUserID)
        try container.encode(email, forKey: .email)
        try container.encode(fullName, forKey: .fullName)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// Reads and writes `users`.
public struct UserStore: Sendable {
    let clock: any WallClock

    public init(clock: any WallClock) {
        self.clock = clock
    }
}
