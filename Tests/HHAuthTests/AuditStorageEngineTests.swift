import Foundation
import HTTPCore
import Testing

@testable import HHAuth

/// The audit trail through the engines' transactions, on both engines (``EngineKind``): the hash
/// chain, its pages in both forms, exports and pruning.
@Suite("Audit trail through the storage engine")
struct AuditStorageEngineTests {
    let clock = ManualClock()

    private func record(_ store: TestStorage, _ events: [AuditEvent]) throws -> [Int64] {
        try events.map { event in
            clock.advance(seconds: 1)
            try store.engine.write { tx in try tx.audit.record(event) }
            // The id the append took (known once it committed: PostgreSQL appends at COMMIT).
            return try #require(
                try store.engine.read { tx in try tx.audit.page(AuditFilter(), limit: 1, offset: 0) }.events.first?.id)
        }
    }

    private var events: [AuditEvent] {
        [
            AuditEvent(.login, userID: 1, metadata: ["ip": "192.0.2.1", "note": "Иван 🎉"]),
            AuditEvent(.sessionCreated, userID: 1),
            AuditEvent(.userAllowed, metadata: ["hh_user_id": "1001", "count": 3]),
            AuditEvent(.logout, userID: 2, metadata: ["quote": "a \"b\", c"]),
            AuditEvent(.login, userID: 2),
        ]
    }

    @Test(arguments: EngineKind.allCases)
    func idsRunWithoutGapsEvenPastARollbackAndTheChainVerifies(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        #expect(try store.engine.read { tx in try tx.audit.verify() } == .intact(count: 0))
        struct Refusal: Error {}
        #expect(try record(store, Array(events.prefix(2))) == [1, 2])
        #expect(throws: Refusal.self) {
            try store.engine.write { tx in
                try tx.audit.record(AuditEvent(.logout, userID: 9))
                throw Refusal()
            }
        }
        #expect(try record(store, Array(events.suffix(3))) == [3, 4, 5])
        #expect(try store.engine.read { tx in try tx.audit.verify() } == .intact(count: 5))
        // A row changed behind the trail's back breaks the chain (the triggers stop an UPDATE; a
        // forged insert past the head is the other way in).
        try store.execute(
            "INSERT INTO audit_events (id, event_type, user_id, metadata, created_at, hash) VALUES (7, 'login', NULL, '{}', 0, 'forged')"
        )
        #expect(try store.engine.read { tx in try tx.audit.verify() } == .broken(eventID: 7, checked: 5))
    }

    @Test(arguments: EngineKind.allCases)
    func pagesFilterAndCountAndTheirJSONIsTheEncoders(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        _ = try record(store, events)
        let start = clock.now().addingTimeInterval(-5)
        let filters = [
            AuditFilter(), AuditFilter(eventType: "login"), AuditFilter(userID: 2),
            AuditFilter(eventType: "login", userID: 2), AuditFilter(since: start.addingTimeInterval(2)),
            AuditFilter(until: start.addingTimeInterval(3)), AuditFilter(eventType: "nothing"),
        ]
        let expected: [([Int64], Int)] = [
            ([5, 4], 5), ([5, 1], 2), ([5, 4], 2), ([5], 1), ([5, 4], 4), ([2, 1], 2), ([], 0),
        ]
        for (filter, (ids, total)) in zip(filters, expected) {
            let page = try store.engine.read { tx in try tx.audit.page(filter, limit: 2, offset: 0) }
            #expect(page.events.map(\.id) == ids, "\(filter)")
            #expect(page.total == total, "\(filter)")
            var json: [UInt8] = []
            let written = try store.engine.read { tx in
                try tx.audit.appendPageJSON(filter, limit: 2, offset: 0, to: &json)
            }
            #expect(written == total)
            #expect(
                String(decoding: json, as: UTF8.self)
                    == String(decoding: try JSONCoding.encoder.encode(page.events), as: UTF8.self))
        }
        let deep = try store.engine.read { tx in try tx.audit.page(AuditFilter(), limit: 10, offset: 3) }
        #expect(deep.events.map(\.id) == [2, 1])
        let first = try #require(
            try store.engine.read { tx in try tx.audit.page(AuditFilter(), limit: 10, offset: 4) }.events.first)
        #expect(first.eventType == "login")
        #expect(first.userID == 1)
        #expect(first.metadata["note"] == "Иван 🎉")
    }

    @Test(arguments: EngineKind.allCases)
    func exportsStreamEveryEventOldestFirst(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        _ = try record(store, events)
        var jsonl: [UInt8] = []
        let count = try store.engine.read { tx in
            try tx.audit.export(format: .jsonl, since: nil) { jsonl += $0 }
        }
        #expect(count == 5)
        let lines = String(decoding: jsonl, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines.first?.hasPrefix(#"{"id":1,"event_type":"login","user_id":1,"event_metadata":{"#) == true)
        var csv: [UInt8] = []
        let since = clock.now().addingTimeInterval(-1)
        #expect(try store.engine.read { tx in try tx.audit.export(format: .csv, since: since) { csv += $0 } } == 2)
        let rows = String(decoding: csv, as: UTF8.self).split(separator: "\n")
        #expect(rows.first == "id,event_type,user_id,created_at,event_metadata")
        #expect(rows.count == 3)
        #expect(rows.dropFirst().first?.hasPrefix("4,logout,2,") == true)
    }

    @Test(arguments: EngineKind.allCases)
    func pruningDropsAPrefixAndTheChainStillVerifies(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        _ = try record(store, events)
        let before = clock.now().addingTimeInterval(-1.5)
        let pruned = try store.engine.write { tx in try tx.audit.prune(before: before, actor: AdminActor(name: "admin"))
        }
        #expect(pruned == 3)
        #expect(try store.engine.read { tx in try tx.audit.verify() } == .intact(count: 3))
        let page = try store.engine.read { tx in try tx.audit.page(AuditFilter(), limit: 10, offset: 0) }
        #expect(page.events.map(\.id) == [6, 5, 4])
        #expect(page.total == 3)
        #expect(page.events.first?.eventType == "audit_pruned")
        #expect(try record(store, [AuditEvent(.logout, userID: 1)]) == [7])
        #expect(try store.engine.read { tx in try tx.audit.verify() } == .intact(count: 4))
        #expect(
            try store.engine.write { tx in
                try tx.audit.prune(before: Date(timeIntervalSince1970: 0), actor: AdminActor(name: "a"))
            }
                == 0)
    }
}

extension PostgreSQLEngineTests {
    /// Several nodes appending at once (threads, each with its connection, some of their
    /// transactions rolling back): the ids run without gaps and the chain verifies.
    @Test func theChainHoldsUnderConcurrentAppendsFromSeveralConnections() throws {
        let storage = try TestStorage(.postgresql, clock: clock)
        let threads = 4
        let appends = 25
        let failures = Locked<[String]>([])
        let committed = Locked<Int>(0)
        let gate = Gate()
        let done = DispatchGroup()
        struct Refusal: Error {}
        for node in 0..<threads {
            done.enter()
            Thread {
                defer { done.leave() }
                gate.wait()
                for index in 0..<appends {
                    do {
                        try storage.engine.write { tx in
                            try tx.audit.record(
                                AuditEvent(.login, userID: Int64(node), metadata: ["n": .integer(Int64(index))]))
                            if index % 5 == 4 { throw Refusal() }
                        }
                        committed.withLock { $0 += 1 }
                    } catch is Refusal {
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }.start()
        }
        gate.open()
        #expect(done.wait(timeout: .now() + 120) == .success)
        #expect(failures.withLock { $0 } == [])
        let expected = threads * appends * 4 / 5
        #expect(committed.withLock { $0 } == expected)
        #expect(try storage.engine.read { tx in try tx.audit.verify() } == .intact(count: expected))
        #expect(try storage.text("SELECT max(id) FROM audit_events") == "\(expected)")
    }
}
