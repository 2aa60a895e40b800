import Foundation
import GRDB
import Testing

@testable import HHAuth

@Suite("SessionStore")
struct SessionStoreTests {
    let clock = ManualClock()
    let store: TestDatabase
    /// The SQLite engine over ``store``: the store operations are reached through its transactions.
    let storage: any StorageEngine
    var database: AppDatabase { store.database }

    init() throws {
        store = try TestDatabase()
        storage = store.storage(clock: clock, sessionLifetimeSeconds: 720 * 3600)
    }

    private func create(_ userID: Int64) throws -> NewSession {
        try storage.write { tx in try tx.sessions.create(userID: userID) }
    }

    private func find(_ sessionID: String) throws -> Session? {
        try storage.read { tx in try tx.sessions.find(sessionID: sessionID) }
    }

    @Test func createdSessionIsFoundByItsId() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let created = try create(user.id)
        #expect(created.sessionID.count == 43)  // 32 bytes, base64url without padding
        #expect(created.sessionID.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(created.session.userID == user.id)
        #expect(created.session.handle.hasPrefix("s_"))
        #expect(created.session.handle != created.sessionID)
        #expect(created.session.createdAt == clock.now().wholeSeconds)
        #expect(created.session.expiresAt == clock.now().addingTimeInterval(720 * 3600).wholeSeconds)
        #expect(try find(created.sessionID) == created.session)
        #expect(try find("unknown-session-id") == nil)
        #expect(try find("") == nil)
    }

    @Test func sessionExpiresAfterItsLifetime() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let created = try create(user.id)
        clock.advance(seconds: 720 * 3600 - 1)
        #expect(try find(created.sessionID) != nil)
        clock.advance(seconds: 1)
        #expect(try find(created.sessionID) == nil)
        #expect(try storage.read { tx in try tx.sessions.liveCount(userID: user.id) } == 0)
        #expect(try storage.write { tx in try tx.sessions.deleteExpired() } == 1)
    }

    @Test func endedSessionIsGoneAndOthersStay() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let first = try create(user.id)
        let second = try create(user.id)
        #expect(try storage.read { tx in try tx.sessions.liveCount(userID: user.id) } == 2)
        try storage.write { tx in try tx.sessions.end(first.session) }
        #expect(try find(first.sessionID) == nil)
        #expect(try find(second.sessionID) != nil)
        #expect(try storage.read { tx in try tx.sessions.liveCount(userID: user.id) } == 1)
    }

    @Test func endAllEndsOnlyThatUsersSessions() throws {
        let ivan = try Fixtures.user("1001", in: database, clock: clock)
        let petr = try Fixtures.user("2002", in: database, clock: clock)
        let mine = try (0..<3).map { _ in try create(ivan.id) }
        let theirs = try create(petr.id)
        #expect(try storage.write { tx in try tx.sessions.endAll(userID: ivan.id) } == 3)
        for session in mine { #expect(try find(session.sessionID) == nil) }
        #expect(try find(theirs.sessionID) != nil)
        #expect(try storage.write { tx in try tx.sessions.endAll(userID: ivan.id) } == 0)
    }

    @Test func handleOrRawIdFindsTheSession() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let created = try create(user.id)
        let byHandle = try storage.read { tx in try tx.sessions.find(handleOrID: created.session.handle) }
        let byID = try storage.read { tx in try tx.sessions.find(handleOrID: created.sessionID) }
        #expect(byHandle == created.session)
        #expect(byID == created.session)
        #expect(try storage.read { tx in try tx.sessions.find(handleOrID: "s_nothing") } == nil)
        // The handle is a name, not a credential.
        #expect(try find(created.session.handle) == nil)
        clock.advance(seconds: 720 * 3600)
        #expect(try storage.read { tx in try tx.sessions.find(handleOrID: created.session.handle) } == nil)
    }

    @Test func rawSessionIdIsNeverStored() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let created = try create(user.id)
        let rows = try database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM sessions") }
        #expect(rows.count == 1)
        for row in rows {
            for column in row.columnNames {
                let value = row[column] as DatabaseValue
                #expect(String.fromDatabaseValue(value)?.contains(created.sessionID) != true, "column \(column)")
                #expect(
                    Data.fromDatabaseValue(value)?.range(of: Data(created.sessionID.utf8)) == nil, "column \(column)")
            }
        }
        let hashes = try database.read { db in try Data.fetchAll(db, sql: "SELECT id_hash FROM sessions") }
        #expect(hashes == [SecretToken.hash(created.sessionID)])
        let bytes = try store.fileBytes()
        #expect(!bytes.contains(subsequence: Array(created.sessionID.utf8)))
        // Control: the non-secret handle written in the same row is on disk, so the check can see rows.
        #expect(bytes.contains(subsequence: Array(created.session.handle.utf8)))
    }

    @Test func sessionsDieWithTheirUser() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let created = try create(user.id)
        try database.write { db in try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [user.id]) }
        #expect(try find(created.sessionID) == nil)
    }
}
