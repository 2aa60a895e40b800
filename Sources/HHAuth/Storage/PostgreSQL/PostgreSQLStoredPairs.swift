import Foundation
import PostgreSQL

/// ``StoredPairReads`` on PostgreSQL, inside one ``PostgreSQLInspection/readSnapshot(_:)``
/// transaction, the same statements as SQLite's (``SQLiteStoredPairs``).
struct PostgreSQLStoredPairs: StoredPairReads {
    let connection: PGConnection

    func pairCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["hh_tokens", "hh_revocations"] {
            for row in try connection.execute("SELECT key_id, count(*) FROM \(table) GROUP BY key_id") {
                counts[try row.text(0), default: 0] += Int(try row.integer(1))
            }
        }
        return counts
    }

    func onePair(sealedUnder keyID: String) throws -> SealedPair? {
        for table in ["hh_tokens", "hh_revocations"] {
            if let row = try connection.execute(
                "SELECT user_id, access_token, refresh_token FROM \(table) WHERE key_id = $1 LIMIT 1", [.text(keyID)]
            ).first {
                return SealedPair(
                    userID: try row.integer(0), accessToken: try row.data(1) ?? Data(),
                    refreshToken: try row.data(2) ?? Data())
            }
        }
        return nil
    }
}

extension StoredTokenCheck {
    /// The keys in use in a PostgreSQL database (``keysInUse(from:)``), read in one snapshot:
    /// one `REPEATABLE READ READ ONLY` transaction, so the counts and the pairs opened agree.
    public func keysInUse(in inspection: PostgreSQLInspection) throws -> [KeyUse] {
        try inspection.readSnapshot { connection in try keysInUse(from: PostgreSQLStoredPairs(connection: connection)) }
    }
}
