import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// What only the PostgreSQL engine has: migrations shared by several processes, its connections'
/// lives, its errors as ``StorageFailure``s. The stores' own tests run on both engines.
@Suite("PostgreSQL engine")
struct PostgreSQLEngineTests {
    let clock = ManualClock()

    private func engine(_ schema: TestSchema) throws -> PostgreSQLEngine {
        try PostgreSQLEngine(connectionString: schema.conninfo, stores: Fixtures.stores(clock: clock))
    }

    @Test func twoEnginesStartingAtOnceMigrateOnce() throws {
        let schema = try TestSchema()
        let gate = Gate()
        let outcomes = Locked<[Result<Void, any Error>]>([])
        let stores = Fixtures.stores(clock: clock)
        let threads = (0..<2).map { _ in
            Thread {
                gate.wait()
                let outcome = Result<Void, any Error> {
                    _ = try PostgreSQLEngine(connectionString: schema.conninfo, stores: stores)
                }
                outcomes.withLock { $0.append(outcome) }
            }
        }
        threads.forEach { $0.start() }
        gate.open()
        let deadline = Date().addingTimeInterval(30)
        while outcomes.withLock({ $0.count }) < 2, Date() < deadline { usleep(10_000) }
        let results = outcomes.withLock { $0 }
        #expect(results.count == 2)
        for result in results { #expect(throws: Never.self) { try result.get() } }
        let connection = try schema.connect()
        defer { connection.close() }
        #expect(try PostgreSQLMigrator.appliedIdentifiers(connection) == PostgreSQLSchema.identifiers)
        #expect(try connection.execute("SELECT count(*) FROM audit_guard").first?.int64(0) == 1)
    }

    /// A schema whose name needs quoting migrates, and migrates again (the change triggers'
    /// check at every start named the schema as an identifier and failed on such a name).
    @Test func aSchemaWhoseNameNeedsQuotingMigratesAndStartsAgain() throws {
        let database = try TestCluster.database("hh_auth_quoted_schema")
        let name = "Mixed_" + UUID().uuidString.prefix(8)
        let admin = try PGConnection(database)
        defer {
            _ = try? admin.execute("DROP SCHEMA IF EXISTS \"\(name)\" CASCADE")
            admin.close()
        }
        try admin.execute("CREATE SCHEMA \"\(name)\"")
        let conninfo = database + " options='-csearch_path=\"\(name)\"'"
        try PostgreSQLMigration.run(connectionString: conninfo)
        try PostgreSQLMigration.run(connectionString: conninfo)
        let storage = try PostgreSQLEngine(connectionString: conninfo, stores: Fixtures.stores(clock: clock))
        #expect(try storage.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }.hhUserID == "1001")
    }

    @Test func startingAgainAppliesNothing() throws {
        let schema = try TestSchema()
        defer { withExtendedLifetime(schema) {} }
        _ = try engine(schema)
        let second = try engine(schema)
        let user = try second.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }
        #expect(try second.read { tx in try tx.users.find(id: user.id) } == user)
    }

    @Test func aDatabaseANewerVersionWroteIsRefused() throws {
        let schema = try TestSchema()
        _ = try engine(schema)
        let connection = try schema.connect()
        defer { connection.close() }
        try connection.execute("INSERT INTO hh_auth_migrations (identifier) VALUES ('v99: from the future')")
        #expect(throws: StorageError.newerSchema) { _ = try engine(schema) }
    }

    @Test func aServerThatCannotBeReachedIsUnavailable() throws {
        let missing = "host=/nonexistent-hh-auth-socket-dir port=5432 user=postgres dbname=postgres connect_timeout=2"
        let error = #expect(throws: StorageFailure.self) {
            _ = try PostgreSQLEngine(connectionString: missing, stores: Fixtures.stores(clock: clock))
        }
        #expect(error?.kind == .unavailable)
        #expect(error?.isTransient == true)
    }

    /// What ``ErrorMapping`` answers depends on it: the transient kinds are a 503 with
    /// `Retry-After`.
    @Test(arguments: [
        (PGError.Kind.unavailable, StorageFailure.Kind.unavailable), (.connectionLost, .unavailable),
        (.serializationFailure, .busy), (.queryCanceled, .busy), (.uniqueViolation, .constraint),
        (.constraintViolation, .constraint), (.diskFull, .full), (.readOnly, .readOnly),
        (.invalidConnectionString, .other), (.invalidValue, .other), (.other, .other),
    ])
    func postgreSQLErrorsAreStorageFailures(error: PGError.Kind, failure: StorageFailure.Kind) {
        let mapped = StorageFailure(PGError(error, "what the server said", sqlState: "XX000"))
        #expect(mapped.kind == failure)
        #expect(mapped.cause.contains("what the server said"))
        #expect(PGError(error, "m").storageFailure.kind == failure)
    }

    @Test func aBrokenConstraintIsAConstraintFailure() throws {
        let schema = try TestSchema()
        defer { withExtendedLifetime(schema) {} }
        let storage = try engine(schema)
        let error = #expect(throws: StorageFailure.self) {
            try storage.write { tx in try tx.sessions.create(userID: 424_242) }
        }
        #expect(error?.kind == .constraint)
        #expect(error?.isTransient == false)
        // The connection is fine afterwards.
        #expect(try storage.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }.hhUserID == "1001")
    }

    /// A connection the server ended (a restart, a failover) is reconnected by the thread's next
    /// transaction and prepared read, and neither fails.
    @Test func aConnectionTheServerEndedIsReconnected() throws {
        let schema = try TestSchema(database: "hh_auth_reconnects")
        let storage = try engine(schema)
        let user = try storage.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }
        try storage.write { tx in _ = try tx.whitelist.allow("1001", comment: nil) }
        let created = try storage.write { tx in try tx.sessions.create(userID: user.id) }
        let idHash = SecretToken.hash(created.sessionID)
        let now = clock.now().timeIntervalSince1970
        #expect(try storage.sessionReads.user(idHash: idHash, now: now)?.id == user.id)

        func endEveryOtherConnection() throws {
            let admin = try schema.connect()
            defer { admin.close() }
            let ended = try admin.execute(
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                """)
            #expect(ended.count >= 1)
        }
        try endEveryOtherConnection()
        #expect(try storage.read { tx in try tx.users.find(id: user.id) } == user)
        try endEveryOtherConnection()
        #expect(try storage.sessionReads.user(idHash: idHash, now: now)?.id == user.id)
        try endEveryOtherConnection()
        #expect(try storage.write { tx in try tx.sessions.liveCount(userID: user.id) } == 1)
    }

    @Test func theAuditTrailIsAppendOnly() throws {
        let schema = try TestSchema()
        _ = try engine(schema)
        let connection = try schema.connect()
        defer { connection.close() }
        try connection.execute(
            "INSERT INTO audit_events (id, event_type, metadata, created_at, hash) VALUES (1, 'x', '{}', 0, 'h')")
        for statement in ["UPDATE audit_events SET hash = 'g'", "DELETE FROM audit_events", "TRUNCATE audit_events"] {
            #expect(throws: PGError.self, "\(statement)") { try connection.execute(statement) }
        }
        #expect(try connection.execute("SELECT count(*) FROM audit_events").first?.int64(0) == 1)
    }
}

/// The session routes' prepared reads, on both engines.
@Suite("Session read path")
struct SessionReadPathTests {
    let clock = ManualClock()

    @Test(arguments: EngineKind.allCases)
    func theHotReadsFindLiveSessionsOnly(_ kind: EngineKind) throws {
        let store = try TestStorage(kind, clock: clock)
        let storage = store.engine
        let user = try store.user("1001")
        try storage.write { tx in _ = try tx.whitelist.allow("1001", comment: nil, groups: ["ops"]) }
        let program = try storage.write { tx in try tx.sessions.create(userID: user.id) }
        let browser = try storage.write { tx in
            try tx.sessions.create(userID: user.id, kind: .browser, lifetimeSeconds: 3600)
        }
        let reads = storage.sessionReads
        let now = clock.now().timeIntervalSince1970
        let programHash = SecretToken.hash(program.sessionID)
        let browserHash = SecretToken.hash(browser.sessionID)

        #expect(try reads.user(idHash: programHash, now: now) == user)
        #expect(try reads.user(idHash: browserHash, now: now) == nil, "a browser's session is no program's")
        let token = try reads.token(idHash: programHash, now: now, programOnly: true)
        #expect(token?.userID == user.id)
        #expect(token?.token == nil, "no HH pair stored")
        #expect(try reads.token(idHash: browserHash, now: now, programOnly: true) == nil)
        #expect(try reads.token(idHash: browserHash, now: now, programOnly: false)?.userID == user.id)

        let identity = try #require(try reads.identity(idHash: browserHash, now: now))
        #expect(identity.userID == user.id)
        #expect(identity.hhUserID == "1001")
        #expect(identity.groups == ["ops"])
        #expect(identity.kind == .browser)
        #expect(identity.sessionHandle == browser.session.handle)
        #expect(identity.lastSeenAt == now)
        #expect(identity.fullName == "Иван Петров")

        // Expired, or off the whitelist: nothing.
        #expect(try reads.identity(idHash: browserHash, now: now + 3600) == nil)
        #expect(try reads.user(idHash: programHash, now: now + 720 * 3600) == nil)
        try storage.write { tx in _ = try tx.whitelist.remove("1001") }
        #expect(try reads.identity(idHash: programHash, now: now) == nil)
        #expect(try reads.user(idHash: Data(repeating: 1, count: 32), now: now) == nil)
    }
}

extension PostgreSQLEngineTests {
    /// `audit export` and `audit verify` read the trail in batches: across the batches' edges
    /// every event comes out once, in order, and the chain verifies.
    @Test func theTrailIsExportedAndVerifiedAcrossBatches() throws {
        let schema = try TestSchema()
        defer { withExtendedLifetime(schema) {} }
        let storage = try engine(schema)
        let count = 2_345
        try storage.write { tx in
            for n in 0..<count {
                if n % 100 == 0 { clock.advance(seconds: 1) }
                try tx.audit.record(AuditEvent(.login, userID: Int64(n), metadata: ["n": .integer(Int64(n))]))
            }
        }
        #expect(try storage.read { tx in try tx.audit.verify() } == .intact(count: count))
        var bytes: [UInt8] = []
        let exported = try storage.read { tx in
            try tx.audit.export(format: .jsonl, since: nil) { bytes += $0 }
        }
        #expect(exported == count)
        let ids = String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? Int
        }
        #expect(ids == Array(1...count))
        // A second per hundred events: the last nine seconds hold the events from number 1500 on.
        let since = Date(timeIntervalSince1970: clock.now().timeIntervalSince1970 - 8)
        let recent = try storage.read { tx in try tx.audit.export(format: .csv, since: since) { _ in } }
        #expect(recent == count - 1_500)
    }
}
