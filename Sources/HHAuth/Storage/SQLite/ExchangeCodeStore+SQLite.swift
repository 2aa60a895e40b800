import Foundation
import GRDB

/// ``ExchangeCodeStore``'s operations on `exchange_codes` in SQLite's SQL, run in a transaction's `Database`: what
/// the SQLite engine's transactions call (``SQLiteEngine``).
extension ExchangeCodeStore {
    func issue(userID: Int64, in db: Database) throws -> String {
        let code = SecretToken.generate(byteCount: 32)
        try db.execute(
            sql: "INSERT INTO exchange_codes (code_hash, user_id, expires_at) VALUES (?, ?, ?)",
            arguments: [SecretToken.hash(code), userID, clock.now().timeIntervalSince1970 + lifetimeSeconds])
        return code
    }

    /// Consumes a code; returns its user id, or `nil` when unknown, used or expired.
    func consume(_ code: String, in db: Database) throws -> Int64? {
        guard SecretToken.isPlausible(code) else { return nil }
        let hash = SecretToken.hash(code)
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT user_id, expires_at FROM exchange_codes WHERE code_hash = ?", arguments: [hash])
        else { return nil }
        try db.execute(sql: "DELETE FROM exchange_codes WHERE code_hash = ?", arguments: [hash])
        let expiresAt: Double = row["expires_at"]
        guard expiresAt > clock.now().timeIntervalSince1970 else { return nil }
        return row["user_id"]
    }

    /// The code's user id, or `nil` when unknown; the code stays as it is.
    func owner(of code: String, in db: Database) throws -> Int64? {
        guard SecretToken.isPlausible(code) else { return nil }
        return try Int64.fetchOne(
            db, sql: "SELECT user_id FROM exchange_codes WHERE code_hash = ?", arguments: [SecretToken.hash(code)])
    }

    /// Whether the user has an exchange code that can still be used.
    func hasLive(userID: Int64, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM exchange_codes WHERE user_id = ? AND expires_at > ?)",
            arguments: [userID, clock.now().timeIntervalSince1970]) ?? false
    }

    /// Voids every unused code of the user.
    func deleteAll(userID: Int64, in db: Database) throws {
        try db.execute(sql: "DELETE FROM exchange_codes WHERE user_id = ?", arguments: [userID])
    }

    func deleteExpired(in db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM exchange_codes WHERE expires_at <= ?", arguments: [clock.now().timeIntervalSince1970])
        return db.changesCount
    }
}
