import Foundation
import GRDB

/// ``RevocationWrites`` on SQLite: ``RevocationQueue``'s GRDB code, run in the transaction's `Database`.
struct SQLiteRevocations: RevocationWrites {
    let db: Database
    let stores: StoreSet
    private var store: RevocationQueue { stores.revocations }

    func count() throws -> Int { try store.count(in: db) }
    func keyIDsInUse() throws -> [String] { try store.keyIDsInUse(in: db) }
    @discardableResult func enqueueStored(userID: Int64) throws -> Bool {
        try store.enqueueStored(userID: userID, in: db)
    }
    func enqueue(_ record: HHTokenRecord) throws { try store.enqueue(record, in: db) }
    func due(limit: Int) throws -> (entries: [RevocationQueue.Entry], unreadable: Int) {
        try store.due(limit: limit, in: db)
    }
    func remove(id: Int64) throws { try store.remove(id: id, in: db) }
    func postpone(_ entry: RevocationQueue.Entry, replacement: HHTokenRecord?) throws {
        try store.postpone(entry, replacement: replacement, in: db)
    }
    func resealUnderCurrentKey(after: Int64, limit: Int) throws -> (resealed: Int, lastID: Int64) {
        try store.resealUnderCurrentKey(after: after, limit: limit, in: db)
    }
}
