import Foundation
import PostgreSQL

/// ``ExchangeCodeWrites`` on PostgreSQL: the one-time exchange codes (`exchange_codes`).
///
/// A code is consumed by one `DELETE … RETURNING`: under `READ COMMITTED` a second node's
/// `DELETE` of the same row waits for the first to commit and then finds no row, so exactly one
/// caller gets the user (a `SELECT` then a `DELETE`, as on SQLite, would let both read it first).
struct PostgreSQLExchangeCodes: ExchangeCodeWrites {
    let connection: PGConnection
    let stores: StoreSet
    private var store: ExchangeCodeStore { stores.codes }
    private var now: Double { store.clock.now().timeIntervalSince1970 }

    func issue(userID: Int64) throws -> String {
        let code = SecretToken.generate(byteCount: 32)
        try connection.execute(
            "INSERT INTO exchange_codes (code_hash, user_id, expires_at) VALUES ($1, $2, $3)",
            [.blob(SecretToken.hash(code)), .int64(userID), .double(now + store.lifetimeSeconds)])
        return code
    }

    /// An expired code is deleted all the same, and answers `nil`.
    func consume(_ code: String) throws -> Int64? {
        guard SecretToken.isPlausible(code) else { return nil }
        guard
            let row = try connection.execute(
                "DELETE FROM exchange_codes WHERE code_hash = $1 RETURNING user_id, expires_at",
                [.blob(SecretToken.hash(code))]
            ).first
        else { return nil }
        guard try row.real(1) > now else { return nil }
        return try row.integer(0)
    }

    func owner(of code: String) throws -> Int64? {
        guard SecretToken.isPlausible(code) else { return nil }
        return try connection.execute(
            "SELECT user_id FROM exchange_codes WHERE code_hash = $1", [.blob(SecretToken.hash(code))]
        ).first?.integer(0)
    }

    func hasLive(userID: Int64) throws -> Bool {
        try connection.execute(
            "SELECT EXISTS (SELECT 1 FROM exchange_codes WHERE user_id = $1 AND expires_at > $2)",
            [.int64(userID), .double(now)]
        ).first?.bool(0) ?? false
    }

    func deleteAll(userID: Int64) throws {
        try connection.execute("DELETE FROM exchange_codes WHERE user_id = $1", [.int64(userID)])
    }

    func deleteExpired() throws -> Int {
        try connection.execute("DELETE FROM exchange_codes WHERE expires_at <= $1", [.double(now)]).affectedRows
    }
}
