import Foundation
import GRDB
import PostgreSQLTestSupport
import Prometheus
import Testing

@testable import HHAuth

/// The writer of the browser sessions' uses (``SessionUseRecorder``) does its work by itself: a
/// noted use lands without anyone flushing, a write the lock refused is tried again, and the
/// janitor and `Gateway.finish()` write what is still pending; on both engines. Nothing here
/// waits a fixed time: each test polls for what it waits for, within a bound.
@Suite("The session-use writer works by itself")
struct SessionUseWriterTests {
    /// Polls `condition` every 10 ms until it holds or `seconds` have passed; whether it held.
    static func eventually(within seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            if try condition() { return true }
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// The services over a fresh database whose writes give up on a held lock after 0.2 s (the
    /// busy timeout on SQLite, `lock_timeout` on PostgreSQL), the database errors counted.
    final class QuickLockDatabase {
        let clock = ManualClock()
        let services: DomainServices
        private let registry = PrometheusCollectorRegistry()
        private let directory: URL?
        private let schema: TestSchema?

        static let idleTimeoutSeconds = 600.0

        init(_ engine: EngineKind) throws {
            let errors = DatabaseErrorMetrics(registry: registry)
            let source: EngineSource
            switch engine {
            case .sqlite:
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "hh-auth-uses-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                self.directory = directory
                schema = nil
                source = .sqlite(
                    try AppDatabase(
                        path: directory.appendingPathComponent("uses.sqlite3").path, busyTimeoutSeconds: 0.2,
                        errors: errors))
            case .postgresql:
                let schema = try TestSchema()
                self.schema = schema
                directory = nil
                source = .postgreSQL(connectionString: schema.url + "%20-clock_timeout%3D200", errors: errors)
            }
            services = try DomainServices(
                engine: source, vault: TokenVault(current: Fixtures.key()), clock: clock,
                sessionIdleSeconds: Self.idleTimeoutSeconds)
            // The lookups read the sessions of allowed users only.
            try services.seedWhitelist(["1001"])
        }

        deinit {
            if let directory { try? FileManager.default.removeItem(at: directory) }
        }

        /// A new browser session of a user made for it, used last (its `last_seen_at`) now.
        func browserSession() throws -> NewSession {
            try services.storage.write { tx in
                let user = try tx.users.upsert(
                    HHProfile(id: "1001", firstName: "Иван", lastName: "Петров", email: "ivan@example.com"))
                return try tx.sessions.create(userID: user.id, kind: .browser, lifetimeSeconds: nil)
            }
        }

        /// The session's `last_seen_at` as stored (not the use noted and pending).
        func storedUse(_ session: NewSession) throws -> Double? {
            try SessionLookup(storage: services.storage, clock: clock).identity(sessionID: session.sessionID)?
                .lastSeenAt
        }

        /// The database errors counted so far, of any kind.
        var errorCount: Double {
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            let exposition = Exposition(bytes)
            return exposition.series(of: "hh_auth_database_errors_total").reduce(0) { $0 + exposition.value($1) }
        }

        func holdWriteLock() throws -> () throws -> Void {
            try SessionUseWriterTests.holdWriteLock(
                schema: schema, sqlitePath: directory?.appendingPathComponent("uses.sqlite3").path)
        }

        /// Notes a use of `session` at the clock's time while another connection holds the lock,
        /// waits until the writer's write of it has failed, and frees the lock: the use is then
        /// pending for the writer's pause before it tries again (a second). Whether it still
        /// was once the lock was free (on a starved machine the retry may come first).
        func useLeftPendingByAFailedWrite(_ session: NewSession) throws -> Bool {
            let release = try holdWriteLock()
            let failuresBefore = errorCount
            services.sessionUses.note(sessionID: session.sessionID, at: clock.now().timeIntervalSince1970)
            let failed = SessionUseWriterTests.eventually { errorCount > failuresBefore }
            try release()
            try #require(failed, "the writer's write under the held lock did not fail")
            return services.sessionUses.noted(sessionID: session.sessionID) != nil
        }
    }

    /// a. No flush: noting the use is enough for it to reach the database.
    @Test(arguments: EngineKind.allCases)
    func aNotedUseLandsWithoutAFlush(_ engine: EngineKind) throws {
        let database = try QuickLockDatabase(engine)
        let session = try database.browserSession()
        let created = try #require(try database.storedUse(session))
        database.clock.advance(seconds: 120)
        database.services.sessionUses.note(sessionID: session.sessionID, at: created + 120)
        // Stored, then forgotten from memory: the writer forgets it only after its commit, so
        // both are waited for (one read right after the other raced the writer).
        #expect(
            try Self.eventually {
                try database.storedUse(session) == created + 120
                    && database.services.sessionUses.noted(sessionID: session.sessionID) == nil
            })
    }

    /// b. A write the lock refused is tried again and lands once the lock is free, no flush.
    @Test(arguments: EngineKind.allCases)
    func aWriteTheLockRefusedLandsOnceTheLockIsFree(_ engine: EngineKind) throws {
        let database = try QuickLockDatabase(engine)
        let session = try database.browserSession()
        let created = try #require(try database.storedUse(session))
        database.clock.advance(seconds: 120)
        _ = try database.useLeftPendingByAFailedWrite(session)
        // Stored, then forgotten from memory: the writer forgets it only after its commit, so
        // both are waited for (one read right after the other raced the writer).
        #expect(
            try Self.eventually {
                try database.storedUse(session) == created + 120
                    && database.services.sessionUses.noted(sessionID: session.sessionID) == nil
            })
    }

    /// c. The janitor's idle sweep keeps a session whose stored use is past the idle timeout
    /// while a later use of it waits to be written: the sweep writes it first.
    @Test(arguments: EngineKind.allCases)
    func theJanitorKeepsASessionWhoseUseIsPending(_ engine: EngineKind) throws {
        let database = try QuickLockDatabase(engine)
        let janitor = database.services.janitor(
            logger: Fixtures.logger, idleTimeoutSeconds: QuickLockDatabase.idleTimeoutSeconds)
        for _ in 0..<3 {
            let session = try database.browserSession()
            let created = try #require(try database.storedUse(session))
            database.clock.advance(seconds: 590)
            let pending = try database.useLeftPendingByAFailedWrite(session)
            // The stored use is now past the idle timeout; the pending one is not.
            database.clock.advance(seconds: 11)
            guard pending else { continue }
            _ = try janitor.sweep()
            #expect(try database.storedUse(session) == created + 590, "the sweep deleted a session in use")
            return
        }
        Issue.record("the writer's retry came before the sweep every time: nothing was pending to sweep")
    }

    /// d. `Gateway.finish()` writes the uses still pending when the service stops.
    @Test(arguments: EngineKind.allCases)
    func finishWritesThePendingUses(_ engine: EngineKind) throws {
        let harness = try GatewayHarness(engine: engine) { configuration in
            configuration.browserSessions.idleTimeoutSeconds = 600
            // On PostgreSQL the held rows refuse the write in 0.2 s, not 5 (SQLite's wait is fixed).
            if case .postgreSQL(let url) = configuration.database {
                configuration.database = .postgreSQL(connectionString: url + "%20-clock_timeout%3D200")
            }
        }
        let storage = harness.gateway.services.storage
        let uses = harness.gateway.services.sessionUses
        let lookup = SessionLookup(storage: storage, clock: harness.clock)
        let program = try harness.sessionID(for: "1001")
        let userID = try #require(try storage.read { tx in try tx.sessions.find(sessionID: program) }).userID
        for _ in 0..<3 {
            let browser = try storage.write { tx in
                try tx.sessions.create(userID: userID, kind: .browser, lifetimeSeconds: nil)
            }
            let created = try #require(try lookup.identity(sessionID: browser.sessionID)?.lastSeenAt)
            harness.clock.advance(seconds: 120)
            let release = try Self.holdWriteLock(
                schema: harness.schema,
                sqlitePath: harness.directory.directory.appendingPathComponent("gateway.sqlite3").path)
            let failuresBefore = Self.databaseErrors(harness)
            #expect(VerifyTests.verify(harness, headers: VerifyTests.cookie(browser.sessionID)).status == 200)
            let failed = Self.eventually(within: 15) { Self.databaseErrors(harness) > failuresBefore }
            try release()
            try #require(failed, "the writer's write under the held lock did not fail")
            guard uses.noted(sessionID: browser.sessionID) != nil else { continue }
            harness.gateway.finish()
            // Written by the time finish returns: no waiting for the writer here.
            #expect(uses.noted(sessionID: browser.sessionID) == nil)
            #expect(try lookup.identity(sessionID: browser.sessionID)?.lastSeenAt == created + 120)
            return
        }
        Issue.record("the writer's retry came before finish every time: nothing was pending to finish")
    }

    private static func databaseErrors(_ harness: GatewayHarness) -> Double {
        let exposition = Exposition(harness.gateway)
        return exposition.series(of: "hh_auth_database_errors_total").reduce(0) { $0 + exposition.value($1) }
    }

    /// Holds the database's write lock from a connection of its own, as a busy writer does: on
    /// SQLite (the file at `sqlitePath`) an open `BEGIN IMMEDIATE`, on PostgreSQL (`schema`) the
    /// sessions' rows locked. Returns the release.
    static func holdWriteLock(schema: TestSchema?, sqlitePath: String?) throws -> () throws -> Void {
        if let schema {
            let connection = try schema.connect()
            try connection.execute("BEGIN")
            try connection.execute("SELECT id FROM sessions FOR UPDATE")
            return {
                defer { connection.close() }
                try connection.execute("ROLLBACK")
            }
        }
        var configuration = GRDB.Configuration()
        configuration.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: try #require(sqlitePath), configuration: configuration)
        try other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        return { try other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") } }
    }
}
