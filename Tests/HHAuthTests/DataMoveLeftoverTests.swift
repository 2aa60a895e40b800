import Foundation
import GRDB
import PostgreSQL
import PostgreSQLTestSupport
import Testing
import WorkerThreads

@testable import HHAuth

/// Third review of issue 14 (L-h): a move that fails leaves nothing of its own behind, neither
/// a new, empty target nor the source's `-wal` and `-shm`.
@Suite("Moving data: nothing left behind")
struct DataMoveLeftoverTests {
    private static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// A service that starts writing to a SQLite source after the move's lock check, while the
    /// target is being made: the move is refused, and the tables it made in the schema (which held
    /// nothing) are gone again, so the next try finds the target as it was.
    @Test func aWriterStartingAfterTheLockCheckLeavesNoTargetSchemaBehind() throws {
        let fixture = try DataMoveFixture()
        let schema = try TestSchema()
        let name = "hh-move-\(UUID().uuidString.prefix(8).lowercased())"
        let target = DataMoveEndpoint.postgreSQL(try PGConnectionString(schema.conninfo + " application_name=\(name)"))
        let observer = try schema.connect()
        defer { observer.close() }
        // The migration's lock held here: the move waits for it after its lock check on the source.
        let key = PGParameter.int64(Int64(PostgreSQLMigrator.lockKey))
        try observer.execute("SELECT pg_advisory_lock($1::integer, hashtext(current_schema()))", [key])
        let move = Background { () -> DataMoveError? in
            do {
                _ = try DataMove(from: .sqlite(path: fixture.path), to: target).run()
                return nil
            } catch let error as DataMoveError {
                return error
            }
        }
        // Until the move asks for the lock: a condition, polled every 10 ms.
        let asking = "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE $2)"
        let deadline = Date().addingTimeInterval(20)
        while try observer.execute(asking, [.text(name), .text("%pg_try_advisory_lock%")]).first?.flag(0) != true {
            try #require(Date() < deadline, "the move never waited for the migration's lock")
            Thread.sleep(forTimeInterval: 0.01)
        }
        let service = try DatabaseQueue(path: fixture.path)
        try service.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            defer { try? db.execute(sql: "ROLLBACK") }
            try observer.execute("SELECT pg_advisory_unlock($1::integer, hashtext(current_schema()))", [key])
            #expect(move.finishes(withinSeconds: 60))
        }
        #expect(try move.result() == .sourceLocked)
        let left = try observer.execute(
            """
            SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace
            UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
            """)
        #expect(try left.map { try $0.text(0) } == [])
        // The next try, with the writer gone, goes through.
        _ = try DataMove(from: .sqlite(path: fixture.path), to: target).run()
    }

    /// A copy that fails (a value a hand edit left of another type) into a SQLite file the move
    /// made: the file is gone again, with its `-wal` and `-shm`.
    @Test func aFailedCopyRemovesTheSQLiteFileItMade() throws {
        let fixture = try DataMoveFixture()
        try DatabaseQueue(path: fixture.path).write { db in
            try db.execute(sql: "UPDATE allowed_users SET created_at = 'yesterday'")
        }
        let target = try DataMoveFixture.newSQLitePath()
        #expect(throws: DataMoveError.unexpectedValue(table: "allowed_users", column: "created_at")) {
            try DataMove(from: .sqlite(path: fixture.path), to: .sqlite(path: target)).run()
        }
        for file in [target, target + "-wal", target + "-shm"] { #expect(!Self.exists(file), "\(file) is left") }
    }

    /// A target that was an empty hh-auth database before is hh-auth's: a failed move leaves it.
    @Test func aFailedCopyLeavesATargetThatWasThereBefore() throws {
        let fixture = try DataMoveFixture()
        try DatabaseQueue(path: fixture.path).write { db in
            try db.execute(sql: "UPDATE allowed_users SET created_at = 'yesterday'")
        }
        let target = try DataMoveFixture.newSQLitePath()
        _ = try AppDatabase(path: target)
        #expect(throws: DataMoveError.self) {
            try DataMove(from: .sqlite(path: fixture.path), to: .sqlite(path: target)).run()
        }
        #expect(try DatabaseInspection(path: target).schemaStatus().missing.isEmpty)
    }

    /// A source in WAL mode closed cleanly has no `-wal` or `-shm`; a move from it leaves none
    /// either (the read-only connection that checks it must not be the last to close).
    @Test func aMoveLeavesNoLogOrSharedMemoryFileBesideTheSource() throws {
        let fixture = try DataMoveFixture()
        let source = try DataMoveFixture.newSQLitePath()
        _ = try DatabaseQueue(path: fixture.path).writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [source])
        }
        let copy = try DatabaseQueue(path: source)
        _ = try copy.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        try copy.close()
        let sideFiles = [source + "-wal", source + "-shm"]
        try #require(sideFiles.allSatisfy { !Self.exists($0) }, "the source was not closed cleanly")

        _ = try DataMove(from: .sqlite(path: source), to: .sqlite(path: try DataMoveFixture.newSQLitePath())).run()
        for file in sideFiles { #expect(!Self.exists(file), "\(file) is left") }
    }
}
