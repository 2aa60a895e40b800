import Foundation
import GRDB
import Testing

@testable import HHAuth

/// On both engines (``EngineKind``): each test takes the engine as its argument.
@Suite("SessionStore")
struct SessionStoreTests {
    let clock = ManualClock()

    private func fresh(_ kind: EngineKind) throws -> TestStorage {
        try TestStorage(kind, clock: clock, sessionLifetimeSeconds: 720 * 3600)
    }

    @Test(arguments: EngineKind.allCases)
    func createdSessionIsFoundByItsId(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let user = try store.user()
        let created = try store.create(user.id)
        #expect(created.sessionID.count == 43)  // 32 bytes, base64url without padding
        #expect(created.sessionID.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(created.session.userID == user.id)
        #expect(created.session.handle.hasPrefix("s_"))
        #expect(created.session.handle != created.sessionID)
        #expect(created.session.createdAt == clock.now().wholeSeconds)
        #expect(created.session.expiresAt == clock.now().addingTimeInterval(720 * 3600).wholeSeconds)
        #expect(try store.find(created.sessionID) == created.session)
        #expect(try store.find("unknown-session-id") == nil)
        #expect(try store.find("") == nil)
    }

    @Test(arguments: EngineKind.allCases)
    func sessionExpiresAfterItsLifetime(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let user = try store.user()
        let created = try store.create(user.id)
        clock.advance(seconds: 720 * 3600 - 1)
        #expect(try store.find(created.sessionID) != nil)
        clock.advance(seconds: 1)
        #expect(try store.find(created.sessionID) == nil)
        #expect(try storage.read { tx in try tx.sessions.liveCount(userID: user.id) } == 0)
        #expect(try storage.write { tx in try tx.sessions.deleteExpired() } == 1)
    }

    @Test(arguments: EngineKind.allCases)
    func endedSessionIsGoneAndOthersStay(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let user = try store.user()
        let first = try store.create(user.id)
        let second = try store.create(user.id)
        #expect(try storage.read { tx in try tx.sessions.liveCount(userID: user.id) } == 2)
        try storage.write { tx in try tx.sessions.end(first.session) }
        #expect(try store.find(first.sessionID) == nil)
        #expect(try store.find(second.sessionID) != nil)
        #expect(try storage.read { tx in try tx.sessions.liveCount(userID: user.id) } == 1)
    }

    @Test(arguments: EngineKind.allCases)
    func endAllEndsOnlyThatUsersSessions(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let ivan = try store.user("1001")
        let petr = try store.user("2002")
        let mine = try (0..<3).map { _ in try store.create(ivan.id) }
        let theirs = try store.create(petr.id)
        #expect(try storage.write { tx in try tx.sessions.endAll(userID: ivan.id) } == 3)
        for session in mine { #expect(try store.find(session.sessionID) == nil) }
        #expect(try store.find(theirs.sessionID) != nil)
        #expect(try storage.write { tx in try tx.sessions.endAll(userID: ivan.id) } == 0)
    }

    @Test(arguments: EngineKind.allCases)
    func handleOrRawIdFindsTheSession(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let storage = store.engine
        let user = try store.user()
        let created = try store.create(user.id)
        let byHandle = try storage.read { tx in try tx.sessions.find(handleOrID: created.session.handle) }
        let byID = try storage.read { tx in try tx.sessions.find(handleOrID: created.sessionID) }
        #expect(byHandle == created.session)
        #expect(byID == created.session)
        #expect(try storage.read { tx in try tx.sessions.find(handleOrID: "s_nothing") } == nil)
        // The handle is a name, not a credential.
        #expect(try store.find(created.session.handle) == nil)
        clock.advance(seconds: 720 * 3600)
        #expect(try storage.read { tx in try tx.sessions.find(handleOrID: created.session.handle) } == nil)
    }

    @Test func rawSessionIdIsNeverStored() throws {
        let store = try fresh(.sqlite)
        let database = store.sqlite!.database
        let user = try store.user()
        let created = try store.create(user.id)
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
        let bytes = try store.sqlite!.fileBytes()
        #expect(!bytes.contains(subsequence: Array(created.sessionID.utf8)))
        // Control: the non-secret handle written in the same row is on disk, so the check can see rows.
        #expect(bytes.contains(subsequence: Array(created.session.handle.utf8)))
    }

    /// PostgreSQL's files are the server's: the row, every column as text, holds the hash only.
    @Test func rawSessionIdIsNeverStoredOnPostgreSQL() throws {
        let store = try fresh(.postgresql)
        let user = try store.user()
        let created = try store.create(user.id)
        let row = try #require(try store.text("SELECT s::text FROM sessions s"))
        #expect(!row.contains(created.sessionID))
        #expect(try store.text("SELECT count(*) FROM sessions") == "1")
        let hash = SecretToken.hash(created.sessionID).map { String(format: "%02x", $0) }.joined()
        #expect(try store.text("SELECT encode(id_hash, 'hex') FROM sessions") == hash)
        // Control: the non-secret handle is in the row's text, so the check can see the row.
        #expect(row.contains(created.session.handle))
    }

    @Test(arguments: EngineKind.allCases)
    func sessionsDieWithTheirUser(_ kind: EngineKind) throws {
        let store = try fresh(kind)
        let user = try store.user()
        let created = try store.create(user.id)
        try store.execute("DELETE FROM users WHERE id = \(user.id)")
        #expect(try store.find(created.sessionID) == nil)
    }
}

extension TestStorage {
    fileprivate func create(_ userID: Int64) throws -> NewSession {
        try engine.write { tx in try tx.sessions.create(userID: userID) }
    }

    fileprivate func find(_ sessionID: String) throws -> Session? {
        try engine.read { tx in try tx.sessions.find(sessionID: sessionID) }
    }
}
