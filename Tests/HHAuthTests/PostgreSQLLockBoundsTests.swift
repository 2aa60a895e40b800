import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// Issue 14 review (M5, L1, L3): the migration never waits without limit, advisory keys are
/// per schema, and users are locked in one order.
@Suite("PostgreSQL: bounded migration, per-schema keys, lock order")
struct PostgreSQLLockBoundsTests {
    let clock = ManualClock()

    /// A session holding the migration's lock (a node stuck mid-migration): the next
    /// migration ends with a clear error within its bound instead of hanging the node's start.
    @Test func aMigrationLockHeldElsewhereEndsTheMigrationWithinItsBound() throws {
        let schema = try TestSchema()
        let holder = try schema.connect()
        defer { holder.close() }
        try holder.execute(
            "SELECT pg_advisory_lock($1::integer, hashtext(current_schema()))",
            [.int64(Int64(PostgreSQLMigrator.lockKey))])
        let migrating = Background {
            let connection = try schema.connect()
            defer { connection.close() }
            try PostgreSQLMigrator.migrate(connection, lockWaitSeconds: 0.5)
        }
        let ended = migrating.finishes(withinSeconds: 10)
        try holder.execute("SELECT pg_advisory_unlock_all()")
        #expect(ended, "the migration waited for the lock")
        let error = #expect(throws: PostgreSQLMigrator.Timeout.self) { try migrating.result() }
        #expect(error?.description.contains("migration lock") == true)
    }

    /// A table the migration reads or alters held by another session's transaction: the
    /// migration gives up after its tries under `lock_timeout`, with a clear error.
    @Test func aTableLockHeldElsewhereEndsTheMigrationWithAClearError() throws {
        let schema = try TestSchema()
        let setup = try schema.connect()
        try PostgreSQLMigrator.migrate(setup)
        setup.close()
        let holder = try schema.connect()
        defer { holder.close() }
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE hh_auth_migrations IN ACCESS EXCLUSIVE MODE")
        let migrating = Background {
            // A connection that sets no lock_timeout of its own (as migrate-data's).
            let connection = try schema.connect()
            defer { connection.close() }
            try PostgreSQLMigrator.migrate(connection, lockTimeout: "200ms")
        }
        let ended = migrating.finishes(withinSeconds: 10)
        try holder.execute("ROLLBACK")
        #expect(ended, "the migration waited for the table lock")
        let error = #expect(throws: PostgreSQLMigrator.Timeout.self) { try migrating.result() }
        #expect(error?.description.contains("table lock") == true)
    }

    /// A search_path naming no schema that exists (current_schema() NULL, so the lock's second
    /// key too): the migration says so at once, not as a lock someone holds after its whole wait.
    @Test func aSearchPathWithoutASchemaIsSaidAtOnce() throws {
        let schema = try TestSchema()
        let connection = try schema.connect()
        defer { connection.close() }
        try connection.execute("SET search_path = \(schema.name)_missing")
        let started = ContinuousClock.now
        let error = #expect(throws: PostgreSQLMigrator.NoSchema.self) {
            try PostgreSQLMigrator.migrate(connection, lockWaitSeconds: 3)
        }
        #expect(ContinuousClock.now - started < .seconds(2), "the migration waited for the lock")
        #expect(error?.description.contains("search_path") == true)
    }

    /// Two deployments in schemas of one database: one's migration and admin throttle, each
    /// under way and holding its advisory lock, do not hold up the other's.
    @Test func advisoryKeysArePerSchema() throws {
        let first = try TestSchema(database: "hh_auth_schema_keys")
        let second = try TestSchema(database: "hh_auth_schema_keys")
        let limits = FailedLoginThrottle.Limits(maxFailures: 5, maxFailuresAllAddresses: 20, windowSeconds: 900)
        let throttles = try [first, second].map { schema in
            let storage = try PostgreSQLEngine(connectionString: schema.conninfo, stores: Fixtures.stores(clock: clock))
            return try #require(storage.sharedState).failedLogins(limits)
        }
        // The first's throttle mid-step (its lock taken), and the first migrating, stopped by a
        // table lock after taking its own.
        let inStep = Gate()
        let release = Gate()
        let step = Background {
            try throttles[0].withLedger { _ in
                inStep.open()
                release.wait(timeoutSeconds: 30)
            }
        }
        defer { release.open() }
        #expect(inStep.wait())
        let holder = try first.connect()
        defer { holder.close() }
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE hh_auth_migrations IN ACCESS EXCLUSIVE MODE")
        let firstMigrating = Background {
            let connection = try first.connect()
            defer { connection.close() }
            try PostgreSQLMigrator.migrate(connection, lockTimeout: "30s", ddlAttempts: 1)
        }
        defer { _ = try? holder.execute("ROLLBACK") }
        // Until the first's migration waits for the table (a condition, polled; no sleep).
        var waiting: Int64 = 0
        let deadline = Date().addingTimeInterval(10)
        repeat {
            waiting =
                try holder.execute(
                    """
                    SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                    WHERE NOT l.granted AND c.relname = 'hh_auth_migrations'
                    """
                ).first?.int64(0) ?? 0
        } while waiting == 0 && Date() < deadline
        #expect(waiting == 1, "the first schema's migration never reached its table")

        let others = Background {
            let connection = try second.connect()
            defer { connection.close() }
            try PostgreSQLMigrator.migrate(connection, lockWaitSeconds: 30)
            return try throttles[1].withLedger { try $0.failures(address: "192.0.2.9") }.count
        }
        let ended = others.finishes(withinSeconds: 5)
        try holder.execute("ROLLBACK")
        release.open()
        #expect(ended, "the second schema waited for the first's locks")
        #expect(try others.result() == 0)
        try step.result()
        try firstMigrating.result()
    }

    /// `endSessions` for everyone locks the users in id order, as the janitor does: two such
    /// transactions never wait for each other in a cycle.
    @Test func everyUserWithSessionsComesInIDOrder() throws {
        let schema = try TestSchema()
        let storage = try PostgreSQLEngine(connectionString: schema.conninfo, stores: Fixtures.stores(clock: clock))
        let users = try storage.write { tx in
            try (0..<300).map { index in try tx.users.upsert(HHProfile(id: String(500_000 + index))).id }
        }
        // Sessions made in an order of their own, several for some users.
        try storage.write { tx in
            for (index, id) in users.enumerated().reversed() where index % 3 != 1 {
                _ = try tx.sessions.create(userID: id)
                if index % 5 == 0 { _ = try tx.sessions.create(userID: id) }
            }
            for (index, id) in users.enumerated() where index % 3 == 1 { _ = try tx.sessions.create(userID: id) }
        }
        let listed = try storage.read { tx in try tx.sessions.userIDs() }
        #expect(listed.count == users.count)
        #expect(listed == listed.sorted())
    }
}
