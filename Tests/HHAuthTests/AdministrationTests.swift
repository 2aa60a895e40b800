import Foundation
import GRDB
import Testing

@testable import HHAuth

/// The admin operations shared by the HTTP API and the CLI, the audit chain's verify/prune, the
/// export formats, key rotation, backups, the janitor, and the refusal of a newer schema.
@Suite("Administration and audit maintenance")
struct AdministrationTests {
    let clock = ManualClock()
    let store: TestDatabase
    let services: DomainServices
    let actor = AdminActor(name: "cli:tester")

    init() throws {
        store = try TestDatabase()
        services = DomainServices(database: store.database, vault: TokenVault(current: Fixtures.key()), clock: clock)
    }

    private func signedIn(_ hhUserID: String, sessions count: Int = 2) throws -> Int64 {
        try services.database.write { db in
            try services.whitelist.allow(hhUserID, comment: nil, in: db)
            let user = try services.users.upsert(HHProfile(id: hhUserID, firstName: "Ада"), in: db)
            try services.tokens.save(
                userID: user.id, accessToken: "access-\(hhUserID)", refreshToken: "refresh-\(hhUserID)",
                expiresAt: clock.now().addingTimeInterval(3600), in: db)
            for _ in 0..<count { _ = try services.sessions.create(userID: user.id, in: db) }
            return user.id
        }
    }

    @Test func removingAUserEndsTheirSessionsAndTokenAndIsAudited() throws {
        let userID = try signedIn("42", sessions: 3)
        let administration = services.administration()
        #expect(try administration.remove(hhUserID: "42", by: actor) == 3)
        #expect(try administration.remove(hhUserID: "4242", by: actor) == nil)
        try services.database.read { db in
            #expect(try services.sessions.liveCount(userID: userID, in: db) == 0)
            #expect(try services.tokens.load(userID: userID, in: db) == nil)
            #expect(try !services.whitelist.isAllowed("42", in: db))
            let event = try #require(
                try Row.fetchOne(db, sql: "SELECT * FROM audit_events WHERE event_type = 'user_removed'"))
            let metadata: String = event["metadata"]
            #expect(metadata.contains("\"sessions_ended\":3"))
            #expect(metadata.contains("\"admin\":\"cli:tester\""))
        }
        #expect(throws: AdminError.invalidUserID) { try administration.remove(hhUserID: "../42", by: actor) }
    }

    @Test func allowRecordsTheGroupsAndRefusesBadOnesWithoutWriting() throws {
        let administration = services.administration()
        let entry = try administration.allow(hhUserID: "42", comment: nil, groups: ["ops", "db"], by: actor)
        #expect(entry.groups == ["db", "ops"])
        #expect(try administration.allow(hhUserID: "42", comment: "again", by: actor).groups == ["db", "ops"])
        #expect(throws: AdminError.invalidGroupName) {
            try administration.allow(hhUserID: "42", comment: nil, groups: ["ops", "Bad"], by: actor)
        }
        #expect(throws: AdminError.tooManyGroups) {
            try administration.allow(hhUserID: "42", comment: nil, groups: (0...16).map { "g\($0)" }, by: actor)
        }
        #expect(throws: AdminError.invalidGroupName) {
            try administration.allow(hhUserID: "43", comment: nil, groups: [""], by: actor)
        }
        try services.database.read { db in
            #expect(
                try services.whitelist.find("42", in: db).flatMap { $0.isActive ? $0.groups : nil } == ["db", "ops"])
            #expect(try services.whitelist.find("43", in: db) == nil)
            let metadata = try String.fetchAll(
                db, sql: "SELECT metadata FROM audit_events WHERE event_type = 'user_allowed' ORDER BY id")
            #expect(metadata.count == 2)
            #expect(metadata.allSatisfy { $0.contains("\"groups\":\"db,ops\"") })
        }
    }

    @Test func sessionsEndByHandleByUserOrAll() throws {
        _ = try signedIn("1", sessions: 2)
        _ = try signedIn("2", sessions: 3)
        let administration = services.administration()
        let listed = try administration.listSessions()
        #expect(listed.count == 5)
        #expect(listed.allSatisfy { $0.id.hasPrefix("s_") })
        #expect(try administration.endSession(listed[0].id, by: actor))
        #expect(try !administration.endSession(listed[0].id, by: actor))
        #expect(
            try administration.endSessions(hhUserID: "1", by: actor)
                + administration.endSessions(hhUserID: nil, by: actor) == 4)
        #expect(try administration.listSessions().isEmpty)
    }

    @Test func auditChainVerifiesNamesATamperedRowAndSurvivesAPrune() throws {
        for index in 0..<10 {
            clock.advance(seconds: 60)
            _ = try services.database.write { db in
                try services.audit.record(
                    AuditEvent(.login, userID: Int64(index), metadata: ["n": .integer(Int64(index))]), in: db)
            }
        }
        let chain = AuditChain(audit: services.audit, clock: clock)
        #expect(try services.database.read { db in try chain.verify(in: db) } == .intact(count: 10))

        let cutoff = clock.now().addingTimeInterval(-60 * 5 + 1)
        let pruned = try services.database.write { db in try chain.prune(before: cutoff, actor: actor, in: db) }
        #expect(pruned == 5)
        #expect(try services.database.read { db in try chain.verify(in: db) } == .intact(count: 6))

        try services.database.write { db in
            try db.execute(sql: "DROP TRIGGER audit_events_no_update")
            try db.execute(sql: "UPDATE audit_events SET metadata = '{}' WHERE id = 8")
        }
        #expect(try services.database.read { db in try chain.verify(in: db) } == .broken(eventID: 8, checked: 2))
    }

    @Test func exportWritesOneLinePerEventInBothFormats() throws {
        _ = try services.database.write { db in
            try services.audit.record(
                AuditEvent(.login, userID: 1, metadata: ["note": "a,\"b\"\nc", "ip": "=cmd"]), in: db)
            try services.audit.record(AuditEvent(.logout, metadata: [:]), in: db)
        }
        var jsonl: [UInt8] = []
        let count = try services.database.read { db in
            try AuditExport().export(format: .jsonl, since: nil, in: db) { jsonl += $0 }
        }
        #expect(count == 2)
        let lines = String(decoding: jsonl, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["event_type"] as? String == "login")
        #expect((first["event_metadata"] as? [String: Any])?["note"] as? String == "a,\"b\"\nc")

        var csv: [UInt8] = []
        _ = try services.database.read { db in
            try AuditExport().export(format: .csv, since: nil, in: db) { csv += $0 }
        }
        let text = String(decoding: csv, as: UTF8.self)
        #expect(text.hasPrefix("id,event_type,user_id,created_at,event_metadata\n"))
        #expect(text.contains("\"{\"\"ip\"\":\"\"=cmd\"\""))
    }

    /// A row with a time no `Int64` holds (written behind the service's back) is exported, not a
    /// trapped CLI: the export is how an operator looks at such a trail.
    @Test func exportTakesAnyStoredTime() throws {
        try services.database.write { db in
            for (offset, createdAt) in [1e300, -1e300].enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO audit_events (id, event_type, user_id, metadata, created_at, hash)
                        VALUES (?, 'garbage_time', NULL, '{}', ?, 'x')
                        """,
                    arguments: [500 + offset, createdAt])
            }
        }
        var jsonl: [UInt8] = []
        let count = try services.database.read { db in
            try AuditExport().export(format: .jsonl, since: nil, in: db) { jsonl += $0 }
        }
        #expect(count == 2)
        #expect(String(decoding: jsonl, as: UTF8.self).split(separator: "\n").count == 2)
    }

    @Test func keyRotationMovesTokensAndOldKeysStillOpenThemMeanwhile() throws {
        let userID = try signedIn("7", sessions: 1)
        let newKey = Fixtures.key(9)
        let rotated = DomainServices(
            database: store.database, vault: TokenVault(current: newKey, old: [Fixtures.key()]), clock: clock)
        #expect(
            try rotated.database.read { db in try rotated.tokens.load(userID: userID, in: db)?.accessToken }
                == "access-7")
        #expect(try KeyRotation(services: rotated).rotate(actor: actor) == 1)
        #expect(try KeyRotation(services: rotated).rotate(actor: actor) == 0)
        let onlyNew = DomainServices(database: store.database, vault: TokenVault(current: newKey), clock: clock)
        #expect(
            try onlyNew.database.read { db in try onlyNew.tokens.load(userID: userID, in: db)?.refreshToken }
                == "refresh-7")
        #expect(throws: ConfigurationError.self) {
            try DomainServices(database: store.database, vault: TokenVault(current: Fixtures.key()), clock: clock)
                .checkKeys()
        }
    }

    @Test func backupIsAConsistentCopy() throws {
        _ = try signedIn("5")
        let copy = store.directory.appendingPathComponent("copy.sqlite3").path
        #expect(try services.database.backup(to: copy) == "ok")
        let count = try DatabaseQueue(path: copy).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM allowed_users")
        }
        #expect(count == 1)
    }

    @Test func janitorSweepsOnlyWhatExpired() throws {
        let userID = try signedIn("3", sessions: 1)
        _ = try services.database.write { db in
            _ = try services.states.consume(
                try #require(services.states.issue(redirectURI: nil, boundTo: "browser-cookie")), in: db)
            _ = try services.codes.issue(userID: userID, in: db)
        }
        let janitor = services.janitor(logger: .init(label: "test"))
        #expect(try janitor.sweep() == Janitor.Sweep())
        clock.advance(seconds: 721 * 3600)
        // The user's pair goes to the revocation queue with its last session (this janitor has no HH to revoke it).
        #expect(try janitor.sweep() == Janitor.Sweep(states: 1, exchangeCodes: 1, sessions: 1, orphanedPairs: 1))
    }

    @Test func aDatabaseFromANewerVersionIsRefused() throws {
        try store.database.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        }
        #expect(throws: StorageError.self) { try AppDatabase(path: store.path) }
    }
}

@Suite("Audit log paging")
struct AuditPagingTests {
    let clock = ManualClock()
    let store: TestDatabase
    let services: DomainServices

    init() throws {
        store = try TestDatabase()
        services = DomainServices(database: store.database, vault: TokenVault(current: Fixtures.key()), clock: clock)
        for index in 1...10 {
            clock.advance(seconds: 60)
            _ = try services.database.write { db in
                try services.audit.record(
                    AuditEvent(index % 2 == 0 ? .login : .logout, userID: Int64(index % 3)), in: db)
            }
        }
    }

    private func page(_ filter: AuditFilter = AuditFilter(), limit: Int, offset: Int) throws -> ([Int64], Int) {
        let page = try services.database.read { db in
            try AuditQuery().page(filter, limit: limit, offset: offset, in: db)
        }
        return (page.events.map(\.id), page.total)
    }

    @Test func unfilteredPagesAreNewestFirstWithTheTotal() throws {
        #expect(try page(limit: 3, offset: 0) == ([10, 9, 8], 10))
        #expect(try page(limit: 3, offset: 8) == ([2, 1], 10))
        #expect(try page(limit: 3, offset: 10) == ([], 10))
    }

    @Test func unfilteredPagesStayRightAfterAPrune() throws {
        let chain = AuditChain(audit: services.audit, clock: clock)
        let cutoff = Date(timeIntervalSince1970: 1_750_000_000 + 60 * 5 + 1)
        _ = try services.database.write { db in
            try chain.prune(before: cutoff, actor: AdminActor(name: "t"), in: db)
        }
        // Events 1-5 are gone; 6-10 remain and the prune added event 11.
        #expect(try page(limit: 4, offset: 0) == ([11, 10, 9, 8], 6))
        #expect(try page(limit: 4, offset: 4) == ([7, 6], 6))
    }

    @Test func filteredPagesCountAndSkipWithinTheFilter() throws {
        #expect(try page(AuditFilter(eventType: "login"), limit: 2, offset: 1) == ([8, 6], 5))
        #expect(try page(AuditFilter(userID: 0), limit: 10, offset: 0) == ([9, 6, 3], 3))
    }
}
