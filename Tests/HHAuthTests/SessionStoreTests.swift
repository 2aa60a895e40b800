import Foundation
import GRDB
import Testing

@testable import HHAuth

@Suite("SessionStore")
struct SessionStoreTests {
    let clock = ManualClock()
    let store: TestDatabase
    let sessions: SessionStore
    var database: AppDatabase { store.database }

    init() throws {
        store = try TestDatabase()
        sessions = SessionStore(clock: clock, lifetimeSeconds: 720 * 3600)
    }

    private func create(_ userID: Int64) throws -> NewSession {
        try database.write { db in try sessions.create(userID: userID, in: db) }
    }

    private func find(_ sessionID: String) throws -> Session? {
        try database.read { db in try sessions.find(sessionID: sessionID, in: db) }
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
        #expect(try database.read { db in try sessions.liveCount(userID: user.id, in: db) } == 0)
        #expect(try database.write { db in try sessions.deleteExpired(in: db) } == 1)
    }

    @Test func endedSessionIsGoneAndOthersStay() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let first = try create(user.id)
        let second = try create(user.id)
        #expect(try database.read { db in try sessions.liveCount(userID: user.id, in: db) } == 2)
        try database.write { db in try sessions.end(first.session, in: db) }
        #expect(try find(first.sessionID) == nil)
        #expect(try find(second.sessionID) != nil)
        #expect(try database.read { db in try sessions.liveCount(userID: user.id, in: db) } == 1)
    }

    @Test func endAllEndsOnlyThatUsersSessions() throws {
        let ivan = try Fixtures.user("1001", in: database, clock: clock)
        let petr = try Fixtures.user("2002", in: database, clock: clock)
        let mine = try (0..<3).map { _ in try create(ivan.id) }
        let theirs = try create(petr.id)
        #expect(try database.write { db in try sessions.endAll(userID: ivan.id, in: db) } == 3)
        for session in mine { #expect(try find(session.sessionID) == nil) }
        #expect(try find(theirs.sessionID) != nil)
        #expect(try database.write { db in try sessions.endAll(userID: ivan.id, in: db) } == 0)
    }

    @Test func handleOrRawIdFindsTheSession() throws {
        let user = try Fixtures.user(in: database, clock: clock)
        let created = try create(user.id)
        let byHandle = try database.read { db in try sessions.find(handleOrID: created.session.handle, in: db) }
        let byID = try database.read { db in try sessions.find(handleOrID: created.sessionID, in: db) }
        #expect(byHandle == created.session)
        #expect(byID == created.session)
        #expect(try database.read { db in try sessions.find(handleOrID: "s_nothing", in: db) } == nil)
        // The handle is a name, not a credential.
        #expect(try find(created.session.handle) == nil)
        clock.advance(seconds: 720 * 3600)
        #expect(try database.read { db in try sessions.find(handleOrID: created.session.handle, in: db) } == nil)
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
