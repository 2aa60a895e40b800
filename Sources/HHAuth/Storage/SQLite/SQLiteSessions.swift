import Foundation
import GRDB

/// ``SessionWrites`` on SQLite: ``SessionStore``'s GRDB code, run in the transaction's `Database`.
struct SQLiteSessions: SessionWrites {
    let db: Database
    let stores: StoreSet
    private var store: SessionStore { stores.sessions }

    func find(sessionID: String) throws -> Session? { try store.find(sessionID: sessionID, in: db) }
    func find(handleOrID text: String) throws -> Session? { try store.find(handleOrID: text, in: db) }
    func live(userID: Int64, limit: Int) throws -> [Session] { try store.live(userID: userID, limit: limit, in: db) }
    func live(handle: String, userID: Int64) throws -> Session? {
        try store.live(handle: handle, userID: userID, in: db)
    }
    func userIDs() throws -> [Int64] { try store.userIDs(in: db) }
    func liveCount(userID: Int64) throws -> Int { try store.liveCount(userID: userID, in: db) }
    func listingCount(userID: Int64?) throws -> Int { try store.listingCount(userID: userID, in: db) }
    func listings(userID: Int64?, limit: Int, offset: Int) throws -> [SessionListing] {
        try store.listings(userID: userID, limit: limit, offset: offset, in: db)
    }
    func listings(userID: Int64?, below: Int64, limit: Int) throws -> [(id: Int64, listing: SessionListing)] {
        try store.listings(userID: userID, below: below, limit: limit, in: db)
    }
    func newestID() throws -> Int64 { try store.newestID(in: db) }
    func create(userID: Int64, kind: SessionKind, lifetimeSeconds: Double?) throws -> NewSession {
        try store.create(userID: userID, kind: kind, lifetimeSeconds: lifetimeSeconds, in: db)
    }
    func end(_ session: Session) throws { try store.end(session, in: db) }
    @discardableResult func endAll(userID: Int64) throws -> Int { try store.endAll(userID: userID, in: db) }
    func deleteIdle(browserSessionsIdleFor idleSeconds: Double) throws -> Int {
        try store.deleteIdle(browserSessionsIdleFor: idleSeconds, in: db)
    }
    func deleteExpired() throws -> Int { try store.deleteExpired(in: db) }
    func recordUse(sessionID: String, at now: Double) throws {
        try store.recordUse(sessionID: sessionID, at: now, in: db)
    }
}
