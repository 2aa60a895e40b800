import Foundation
import GRDB

/// The domain's rows read from SQLite by column name (`SELECT *`), for the SQLite engine's stores.
extension Session {
    init(row: Row) {
        rowID = row["id"]
        handle = row["handle"]
        userID = row["user_id"]
        // A kind this version does not know reads as a program's (listings only; admission reads its own).
        kind = (row["kind"] as String?).flatMap(SessionKind.init(rawValue:)) ?? .program
        createdAt = Date(timeIntervalSince1970: row["created_at"]).wholeSeconds
        expiresAt = Date(timeIntervalSince1970: row["expires_at"]).wholeSeconds
    }
}

extension User {
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

extension AllowedUser {
    init(row: Row) {
        id = row["id"]
        hhUserID = row["hh_user_id"]
        comment = row["comment"]
        groups = WhitelistGroups.names(stored: row["groups"])
        isActive = row["is_active"]
        createdAt = Date(timeIntervalSince1970: row["created_at"]).wholeSeconds
    }
}
