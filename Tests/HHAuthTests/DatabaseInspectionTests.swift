import Foundation
import GRDB
import Testing

@testable import HHAuth

/// `hh-auth doctor`'s view of the database: read-only, never migrating, so a schema that is behind
/// or ahead shows as such.
@Suite("DatabaseInspection")
struct DatabaseInspectionTests {
    /// Another connection to the file, for changes behind the application's back.
    private func edit(_ path: String, _ sql: String) throws {
        try DatabaseQueue(path: path).write { db in try db.execute(sql: sql) }
    }

    @Test func aDatabaseServeMadeIsCurrentIntactAndInWAL() throws {
        let database = try TestDatabase()
        let inspection = try DatabaseInspection(path: database.path)
        let schema = try inspection.schemaStatus()
        #expect(schema.isCurrent)
        #expect(schema.known == Migrations.migrator.migrations)
        #expect(schema.applied == schema.known)
        #expect(try inspection.journalMode() == "wal")
        #expect(try inspection.integrityProblems(.full) == [])
        #expect(try inspection.integrityProblems(.quick) == [])
        #expect(inspection.fileSize > 0)
    }

    @Test func aSchemaBehindIsReportedAndNotMigrated() throws {
        let database = try TestDatabase()
        let last = try #require(Migrations.migrator.migrations.last)
        try edit(database.path, "DELETE FROM grdb_migrations WHERE identifier = '\(last)'")
        let schema = try DatabaseInspection(path: database.path).schemaStatus()
        #expect(!schema.isCurrent)
        #expect(schema.missing == [last])
        #expect(schema.unknown == [])
        // Looking changed nothing: a second look sees the same.
        #expect(try DatabaseInspection(path: database.path).schemaStatus().missing == [last])
    }

    @Test func aSchemaAheadNamesTheMigrationsThisBinaryDoesNotKnow() throws {
        let database = try TestDatabase()
        try edit(database.path, "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        let schema = try DatabaseInspection(path: database.path).schemaStatus()
        #expect(!schema.isCurrent)
        #expect(schema.unknown == ["v99: from the future"])
        #expect(schema.missing == [])
        #expect(schema.applied.last == "v99: from the future")
    }

    @Test func onlyAnExistingHHAuthDatabaseOpensAndNothingIsCreated() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hh-auth-inspect-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.sqlite3").path
        #expect(throws: StorageError.missing) { try DatabaseInspection(path: missing) }
        let notes = directory.appendingPathComponent("notes.txt").path
        try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: notes))
        #expect(throws: StorageError.notHHAuth) { try DatabaseInspection(path: notes) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["notes.txt"])
    }

    @Test func theNewestAuditEventIsTheLatestWritten() throws {
        let database = try TestDatabase()
        #expect(try DatabaseInspection(path: database.path).newestAuditEventTime() == nil)
        let clock = ManualClock()
        let audit = AuditLog(clock: clock)
        _ = try database.database.write { db in try audit.record(AuditEvent(.login), in: db) }
        clock.advance(seconds: 90)
        _ = try database.database.write { db in try audit.record(AuditEvent(.logout), in: db) }
        #expect(try DatabaseInspection(path: database.path).newestAuditEventTime() == clock.now())
    }

    @Test func aDamagedIndexFailsTheIntegrityCheck() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hh-auth-inspect-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("damaged.sqlite3").path
        do { _ = try AppDatabase(path: path) }
        // Rows in a table and its index, all in the main file (checkpointed, the connection closed).
        let (root, pageSize) = try DatabaseQueue(path: path).write { db -> (Int, Int) in
            try db.execute(sql: "CREATE TABLE filler (value TEXT); CREATE INDEX filler_by_value ON filler(value)")
            for number in 0..<500 {
                try db.execute(sql: "INSERT INTO filler (value) VALUES (?)", arguments: ["row \(number) of filler"])
            }
            let root = try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'filler_by_value'")
            return (root ?? 0, try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096)
        }
        try DatabaseQueue(path: path).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        #expect(root > 1)
        // Scramble the index's root page after its 12-byte header: its cell pointers point nowhere.
        let file = try #require(FileHandle(forUpdatingAtPath: path))
        try file.seek(toOffset: UInt64((root - 1) * pageSize + 12))
        try file.write(contentsOf: Data(repeating: 0x5A, count: pageSize - 12))
        try file.close()

        let inspection = try DatabaseInspection(path: path)
        let problems = (try? inspection.integrityProblems(.full)) ?? ["the check itself failed"]
        #expect(!problems.isEmpty)
    }
}
