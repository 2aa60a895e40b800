import Foundation
import GRDB

/// ``StoredPairReads`` on SQLite, in one read transaction's `Database`.
struct SQLiteStoredPairs: StoredPairReads {
    let db: Database

    func pairCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["hh_tokens", "hh_revocations"] {
            for row in try Row.fetchAll(db, sql: "SELECT key_id, count(*) AS pairs FROM \(table) GROUP BY key_id") {
                counts[row["key_id"], default: 0] += row["pairs"] as Int
            }
        }
        return counts
    }

    func onePair(sealedUnder keyID: String) throws -> SealedPair? {
        for table in ["hh_tokens", "hh_revocations"] {
            if let row = try Row.fetchOne(
                db, sql: "SELECT user_id, access_token, refresh_token FROM \(table) WHERE key_id = ? LIMIT 1",
                arguments: [keyID])
            {
                return SealedPair(
                    userID: row["user_id"], accessToken: row["access_token"], refreshToken: row["refresh_token"])
            }
        }
        return nil
    }
}

extension StoredTokenCheck {
    /// The keys in use in a SQLite database (``keysInUse(from:)``), read in one snapshot.
    public func keysInUse(in inspection: DatabaseInspection) throws -> [KeyUse] {
        try inspection.read { db in try keysInUse(from: SQLiteStoredPairs(db: db)) }
    }
}
