import Foundation
import GRDB

/// ``HHTokenWrites`` on SQLite: ``HHTokenStore``'s GRDB code, run in the transaction's `Database`.
struct SQLiteHHTokens: HHTokenWrites {
    let db: Database
    let stores: StoreSet
    private var store: HHTokenStore { stores.tokens }

    func load(userID: Int64) throws -> HHTokenRecord? { try store.load(userID: userID, in: db) }
    func leaseIsTakable(userID: Int64, owner: String) throws -> Bool {
        try store.leaseIsTakable(userID: userID, owner: owner, in: db)
    }
    func orphanedUserIDs(limit: Int) throws -> [Int64] { try store.orphanedUserIDs(limit: limit, in: db) }
    func keyIDsInUse() throws -> [String] { try store.keyIDsInUse(in: db) }
    func save(userID: Int64, accessToken: String, refreshToken: String, expiresAt: Date) throws {
        try store.save(
            userID: userID, accessToken: accessToken, refreshToken: refreshToken, expiresAt: expiresAt, in: db)
    }
    func saveRefreshed(_ rotated: RotatedTokenPair) throws -> HHTokenStore.RefreshedSave {
        try store.saveRefreshed(rotated, in: db)
    }
    func delete(userID: Int64, version: Int64) throws -> Bool {
        try store.delete(userID: userID, version: version, in: db)
    }
    func acquireLease(userID: Int64, version: Int64, owner: String, seconds: Double) throws -> Bool {
        try store.acquireLease(userID: userID, version: version, owner: owner, seconds: seconds, in: db)
    }
    func releaseLease(userID: Int64, owner: String) throws {
        try store.releaseLease(userID: userID, owner: owner, in: db)
    }
    func resealUnderCurrentKey(limit: Int) throws -> Int { try store.resealUnderCurrentKey(limit: limit, in: db) }
}
