import Foundation
import GRDB

/// ``ExchangeCodeWrites`` on SQLite: ``ExchangeCodeStore``'s GRDB code, run in the transaction's `Database`.
struct SQLiteExchangeCodes: ExchangeCodeWrites {
    let db: Database
    let stores: StoreSet
    private var store: ExchangeCodeStore { stores.codes }

    func hasLive(userID: Int64) throws -> Bool { try store.hasLive(userID: userID, in: db) }
    func issue(userID: Int64) throws -> String { try store.issue(userID: userID, in: db) }
    func consume(_ code: String) throws -> Int64? { try store.consume(code, in: db) }
    func owner(of code: String) throws -> Int64? { try store.owner(of: code, in: db) }
    func deleteAll(userID: Int64) throws { try store.deleteAll(userID: userID, in: db) }
    func deleteExpired() throws -> Int { try store.deleteExpired(in: db) }
}
