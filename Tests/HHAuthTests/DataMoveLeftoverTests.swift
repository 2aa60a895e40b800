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
        // Of its own database: the tables are removed only while no other hh-auth is connected to it.
        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let error = try Self.moveRefusedAfterMigrating(fixture, into: schema) { _ in }
        #expect(error as? DataMoveError == .sourceLocked, "\(String(describing: error))")
        #expect(try Self.objects(in: schema) == [])
        // The next try, with the writer gone, goes through.
        _ = try DataMove(from: .sqlite(path: fixture.path), to: try DataMoveFixture.postgreSQL(schema)).run()
    }

    /// Another application makes a table (and a function) in the schema while the move runs, after
    /// the move found it empty: the move that fails removes hh-auth's tables only, and theirs keep
    /// their rows (review M3).
    @Test func anotherApplicationsTableMadeWhileTheMoveRanKeepsItsRows() throws {
        let fixture = try DataMoveFixture()
        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let error = try Self.moveRefusedAfterMigrating(fixture, into: schema) { other in
            _ = try other.executeScript(
                """
                CREATE TABLE invoices (id integer PRIMARY KEY, total numeric NOT NULL);
                INSERT INTO invoices VALUES (1, 9.5), (2, 3);
                CREATE FUNCTION invoice_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM invoices';
                """)
        }
        #expect(error as? DataMoveError == .sourceLocked, "\(String(describing: error))")
        #expect(try Self.objects(in: schema) == ["invoice_count", "invoices", "invoices_pkey"])
        let connection = try schema.connect()
        defer { connection.close() }
        #expect(try connection.execute("SELECT invoice_count()").first?.integer(0) == 2)
    }

    /// A `serve` started too early migrated the schema and wrote to it while the move ran: the
    /// move that fails removes nothing, and says what it left and why.
    @Test func aRowWrittenWhileTheMoveRanKeepsEverythingAndIsNamed() throws {
        let fixture = try DataMoveFixture()
        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let error = try Self.moveRefusedAfterMigrating(fixture, into: schema) { service in
            // The migration's lock is held by this session already (it is reentrant).
            try PostgreSQLMigrator.migrate(service)
            try service.execute("INSERT INTO allowed_users (hh_user_id, created_at, updated_at) VALUES ('2002', 0, 0)")
        }
        let leftover = try #require(error as? DataMoveLeftover, "\(String(describing: error))")
        #expect(leftover.cause as? DataMoveError == .sourceLocked)
        #expect(leftover.description.contains("allowed_users holds rows"), "\(leftover)")
        #expect(leftover.description.contains("nothing was removed"), "\(leftover)")
        let connection = try schema.connect()
        defer { connection.close() }
        #expect(try connection.execute("SELECT hh_user_id FROM allowed_users").map { try $0.text(0) } == ["2002"])
        #expect(Set(try Self.objects(in: schema)).isSuperset(of: PostgreSQLSchema.createdTables))
    }

    /// A session of hh-auth's (a node started too early, idle for now) on the target's database:
    /// nothing is removed, and the session is named.
    @Test func anHHAuthSessionConnectedWhileTheMoveRanKeepsEverythingAndIsNamed() throws {
        let fixture = try DataMoveFixture()
        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let node = try PGConnection(try PGConnectionString(schema.conninfo + " application_name=hh-auth"))
        defer { node.close() }
        let pid = try node.execute("SELECT pg_backend_pid()")[0].integer(0)
        let error = try Self.moveRefusedAfterMigrating(fixture, into: schema) { _ in }
        let leftover = try #require(error as? DataMoveLeftover, "\(String(describing: error))")
        #expect(leftover.cause as? DataMoveError == .sourceLocked)
        #expect(
            leftover.description.contains("hh-auth is connected to its database (pid \(pid) 'hh-auth'"), "\(leftover)")
        #expect(Set(try Self.objects(in: schema)).isSuperset(of: PostgreSQLSchema.createdTables))
    }

    /// The tables and functions a move removes are all that the migrations make: a schema they
    /// made is empty without them.
    @Test func theObjectsAMoveRemovesAreAllTheMigrationsMake() throws {
        let schema = try TestSchema()
        let connection = try schema.connect()
        defer { connection.close() }
        try PostgreSQLMigrator.migrate(connection)
        let tables = try connection.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'")
        #expect(Set(try tables.map { try $0.text(0) }) == Set(PostgreSQLSchema.createdTables))
        let functions = try connection.execute(
            "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace")
        #expect(Set(try functions.map { try $0.text(0) }) == Set(PostgreSQLSchema.createdFunctions))
    }

    /// A move from `fixture` into `schema`, held at the migration's lock (taken here) after it
    /// found the schema empty; `meanwhile` runs on the lock's session, then a writer takes the
    /// SQLite source's lock and the migration's is let go: the move migrates, is refused, and
    /// removes what it may. What it threw.
    private static func moveRefusedAfterMigrating(
        _ fixture: DataMoveFixture, into schema: TestSchema, meanwhile: (PGConnection) throws -> Void
    ) throws -> (any Error)? {
        let name = "hh-move-\(UUID().uuidString.prefix(8).lowercased())"
        let target = DataMoveEndpoint.postgreSQL(try PGConnectionString(schema.conninfo + " application_name=\(name)"))
        let observer = try schema.connect()
        defer { observer.close() }
        let key = PGParameter.int64(Int64(PostgreSQLMigrator.lockKey))
        try observer.execute("SELECT pg_advisory_lock($1::integer, hashtext(current_schema()))", [key])
        let move = Background { () -> (any Error)? in
            do {
                _ = try DataMove(from: .sqlite(path: fixture.path), to: target).run()
                return nil
            } catch {
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
        try meanwhile(observer)
        let service = try DatabaseQueue(path: fixture.path)
        try service.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            defer { try? db.execute(sql: "ROLLBACK") }
            try observer.execute("SELECT pg_advisory_unlock($1::integer, hashtext(current_schema()))", [key])
            #expect(move.finishes(withinSeconds: 60))
        }
        return try move.result()
    }

    /// The names of the relations and functions in `schema`, sorted.
    private static func objects(in schema: TestSchema) throws -> [String] {
        let connection = try schema.connect()
        defer { connection.close() }
        return try connection.execute(
            """
            SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace
            UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
            ORDER BY 1
            """
        ).map { try $0.text(0) }
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

    /// A SQLite file the move made that another connection opened meanwhile (a `serve` started
    /// too early), or wrote to and closed: left where it is, and said so.
    @Test func aSQLiteFileTheMoveMadeIsKeptWhileOpenOrWrittenTo() throws {
        let open = try DataMoveFixture.newSQLitePath()
        let target = SQLiteMoveTarget(path: open, stores: DataMove.verificationStores())
        try target.migrate()
        let service = try DatabaseQueue(path: open)
        _ = try service.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM users") }
        let kept = target.removeWhatMigrateCreated()
        try service.close()
        #expect(kept?.contains("another connection has it open") == true, "\(String(describing: kept))")
        #expect(Self.exists(open))

        let written = try DataMoveFixture.newSQLitePath()
        let writtenTarget = SQLiteMoveTarget(path: written, stores: DataMove.verificationStores())
        try writtenTarget.migrate()
        let writer = try DatabaseQueue(path: written)
        try writer.write { db in
            try db.execute(sql: "INSERT INTO allowed_users (hh_user_id, created_at, updated_at) VALUES ('2002', 0, 0)")
        }
        try writer.close()
        let left = writtenTarget.removeWhatMigrateCreated()
        #expect(left?.contains("allowed_users holds rows") == true, "\(String(describing: left))")
        #expect(
            try DatabaseQueue(path: written).read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM allowed_users")
            } == 1)
    }
}
