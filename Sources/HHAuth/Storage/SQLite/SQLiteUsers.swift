import Foundation
import GRDB

/// ``UserWrites`` on SQLite: ``UserStore``'s GRDB code, run in the transaction's `Database`.
struct SQLiteUsers: UserWrites {
    let db: Database
    let stores: StoreSet
    private var store: UserStore { stores.users }

    func find(id: Int64) throws -> User? { try store.find(id: id, in: db) }
    func rowID(hhUserID: String) throws -> Int64? { try store.rowID(hhUserID: hhUserID, in: db) }
    func find(hhUserID: String) throws -> User? { try store.find(hhUserID: hhUserID, in: db) }
    func upsert(_ profile: HHProfile) throws -> User { try store.upsert(profile, in: db) }
    /// Nothing to do: a write transaction holds SQLite's only write lock.
    func lock(id: Int64) throws {}
}
