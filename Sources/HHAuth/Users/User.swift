import Foundation
import GRDB

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

extension User {
    // Declared in an extension so Swift keeps the memberwise initializer ``SessionLookup`` builds users with.
    init(row: Row) {
        id = row["id"]
        hhUserID = row["hh_user_id"]
        email = row["email"]
        fullName = row["full_name"]
        isActive = row["is_active"]
        createdAt = Date(timeIntervalSince1970: row["created_at"]).wholeSeconds
        updatedAt = Date(timeIntervalSince1970: row["updated_at"]).wholeSeconds
    }
}

/// Reads and writes `users`.
public struct UserStore: Sendable {
    let clock: any WallClock

    public init(clock: any WallClock) {
        self.clock = clock
    }

    /// Creates or refreshes the user from their HH profile.
    public func upsert(_ profile: HHProfile, in db: Database) throws -> User {
        let now = clock.now().timeIntervalSince1970
        try db.execute(
            sql: """
                INSERT INTO users (hh_user_id, email, full_name, is_active, created_at, updated_at)
                VALUES (?, ?, ?, 1, ?, ?)
                ON CONFLICT(hh_user_id) DO UPDATE SET email = excluded.email, full_name = excluded.full_name,
                    is_active = 1, updated_at = excluded.updated_at
                """,
            arguments: [profile.id, profile.email, profile.fullName, now, now])
        guard let user = try find(hhUserID: profile.id, in: db) else { throw DatabaseError(message: "user vanished") }
        return user
    }

    public func find(id: Int64, in db: Database) throws -> User? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [id]).map(
            User.init(row:))
    }

    /// The row id of the user with this HH id, without reading the rest of the row.
    public func rowID(hhUserID: String, in db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE hh_user_id = ?", arguments: [hhUserID])
    }

    public func find(hhUserID: String, in db: Database) throws -> User? {
        try Row.fetchOne(db, sql: "SELECT * FROM users WHERE hh_user_id = ?", arguments: [hhUserID]).map(
            User.init(row:))
    }
}
