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
}
