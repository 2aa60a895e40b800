import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

@Suite("AuditLog")
struct AuditLogTests {
    let clock = ManualClock(Date(timeIntervalSince1970: 1_750_000_000.25))
    let store: TestDatabase
    let audit: AuditLog
    var database: AppDatabase { store.database }

    init() throws {
        store = try TestDatabase()
        audit = AuditLog(clock: clock)
    }

    private func recordSome() throws {
        let origin = ClientOrigin(clientAddress: "203.0.113.7", userAgent: "Mozilla/5.0 (Тест)")
        _ = try database.write { db in
            try audit.record(AuditEvent(.loginFailed, origin: origin, metadata: ["reason": "state_invalid"]), in: db)
        }
        clock.advance(seconds: 1.5)
        try database.write { db in
            try audit.record(AuditEvent(.login, userID: 1, origin: origin, metadata: ["hh_user_id": "1001"]), in: db)
            try audit.record(AuditEvent(.sessionCreated, userID: 1, metadata: ["session": "s_x", "count": 3]), in: db)
        }
    }

    @Test func eventsFormAHashChain() throws {
        try recordSome()
        let rows = try database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM audit_events ORDER BY id")
        }
        #expect(rows.count == 3)
        var previous = AuditLog.genesis
        var expectedID: Int64 = 1
        for row in rows {
            let id: Int64 = row["id"]
            let hash: String = row["hash"]
            #expect(id == expectedID)
            let recomputed = AuditLog.chainHash(
                previous: previous, id: id, type: row["event_type"], userID: row["user_id"], metadata: row["metadata"],
                createdAt: row["created_at"])
            #expect(recomputed == hash)
            #expect(hash.count == 64)
            previous = hash
            expectedID += 1
        }
        #expect(Set(rows.map { $0["hash"] as String }).count == 3)
    }

    @Test func chainHashDependsOnEveryField() {
        let base = AuditLog.chainHash(
            previous: AuditLog.genesis, id: 1, type: "login", userID: 1, metadata: "{}", createdAt: 1)
        #expect(
            base
                != AuditLog.chainHash(
                    previous: String(repeating: "1", count: 64), id: 1, type: "login", userID: 1, metadata: "{}",
                    createdAt: 1))
        #expect(
            base
                != AuditLog.chainHash(
                    previous: AuditLog.genesis, id: 2, type: "login", userID: 1, metadata: "{}", createdAt: 1))
        #expect(
            base
                != AuditLog.chainHash(
                    previous: AuditLog.genesis, id: 1, type: "logout", userID: 1, metadata: "{}", createdAt: 1))
        #expect(
            base
                != AuditLog.chainHash(
                    previous: AuditLog.genesis, id: 1, type: "login", userID: nil, metadata: "{}", createdAt: 1))
        #expect(
            base
                != AuditLog.chainHash(
                    previous: AuditLog.genesis, id: 1, type: "login", userID: 1, metadata: "{ }", createdAt: 1))
        #expect(
            base
                != AuditLog.chainHash(
                    previous: AuditLog.genesis, id: 1, type: "login", userID: 1, metadata: "{}", createdAt: 1.5))
    }

    @Test func metadataCarriesRequestFactsAsSortedJSON() throws {
        try recordSome()
        let metadata = try database.read { db in
            try String.fetchOne(db, sql: "SELECT metadata FROM audit_events WHERE event_type = 'login_failed'")
        }
        #expect(metadata == #"{"ip":"203.0.113.7","reason":"state_invalid","user_agent":"Mozilla/5.0 (Тест)"}"#)
        let counted = try database.read { db in
            try String.fetchOne(db, sql: "SELECT metadata FROM audit_events WHERE event_type = 'session_created'")
        }
        #expect(counted == #"{"count":3,"session":"s_x"}"#)
    }

    @Test func updatesAreRefused() throws {
        try recordSome()
        #expect(throws: StorageFailure.self) {
            try database.write { db in
                try db.execute(sql: "UPDATE audit_events SET event_type = 'logout' WHERE id = 1")
            }
        }
        let type = try database.read { db in
            try String.fetchOne(db, sql: "SELECT event_type FROM audit_events WHERE id = 1")
        }
        #expect(type == "login_failed")
    }

    @Test func deletesAreRefused() throws {
        try recordSome()
        let error = #expect(throws: StorageFailure.self) {
            try database.write { db in try db.execute(sql: "DELETE FROM audit_events WHERE id = 2") }
        }
        #expect(error?.cause.contains("append-only") == true)
        #expect(throws: StorageFailure.self) {
            try database.write { db in try db.execute(sql: "DELETE FROM audit_events") }
        }
        #expect(try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_events") } == 3)
    }

    @Test func chainContinuesAcrossReopening() throws {
        try recordSome()
        let reopened = try AppDatabase(path: store.path)
        _ = try reopened.write { db in try audit.record(AuditEvent(.logout, userID: 1), in: db) }
        let rows = try reopened.read { db in try Row.fetchAll(db, sql: "SELECT * FROM audit_events ORDER BY id")
        }
        #expect(rows.count == 4)
        let last = rows[3]
        let recomputed = AuditLog.chainHash(
            previous: rows[2]["hash"], id: last["id"], type: last["event_type"], userID: last["user_id"],
            metadata: last["metadata"], createdAt: last["created_at"])
        #expect(recomputed == last["hash"] as String)
    }
}
