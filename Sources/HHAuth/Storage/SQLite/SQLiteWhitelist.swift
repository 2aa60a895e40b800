import Foundation
import GRDB

/// ``WhitelistWrites`` on SQLite: ``Whitelist``'s GRDB code, run in the transaction's `Database`.
struct SQLiteWhitelist: WhitelistWrites {
    let db: Database
    let stores: StoreSet
    private var store: Whitelist { stores.whitelist }

    func isAllowed(_ hhUserID: String) throws -> Bool { try store.isAllowed(hhUserID, in: db) }
    func isAllowedHoldingEntry(_ hhUserID: String) throws -> Bool { try store.isAllowed(hhUserID, in: db) }
    func find(_ hhUserID: String) throws -> AllowedUser? { try store.find(hhUserID, in: db) }
    func page(activeOnly: Bool, limit: Int, offset: Int) throws -> [AllowedUser] {
        try store.page(activeOnly: activeOnly, limit: limit, offset: offset, in: db)
    }
    func newestEntryID() throws -> Int64 { try store.newestEntryID(in: db) }
    func count(activeOnly: Bool) throws -> Int { try store.count(activeOnly: activeOnly, in: db) }
    func entries(activeOnly: Bool, after: Int64, through: Int64, limit: Int) throws -> [AllowedUser] {
        try store.entries(activeOnly: activeOnly, after: after, through: through, limit: limit, in: db)
    }
    @discardableResult func allow(_ hhUserID: String, comment: String?, groups: [String]?) throws -> AllowedUser {
        try store.allow(hhUserID, comment: comment, groups: groups, in: db)
    }
    func seed(_ ids: [String]) throws { try store.seed(ids, in: db) }
    func remove(_ hhUserID: String) throws -> Bool { try store.remove(hhUserID, in: db) }
}
