import Foundation
import GRDB

/// ``LoginStateWrites`` on SQLite: ``LoginStateStore``'s GRDB code, run in the transaction's `Database`.
struct SQLiteLoginStates: LoginStateWrites {
    let db: Database
    let stores: StoreSet
    private var store: LoginStateStore { stores.states }

    func isUsed(_ state: LoginStateStore.Verified) throws -> Bool { try store.isUsed(state, in: db) }
    func consume(_ state: LoginStateStore.Verified) throws -> Bool { try store.consume(state, in: db) }
    func deleteExpired() throws -> Int { try store.deleteExpired(in: db) }
}
