import Foundation
import GRDB
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// Issue 14's review: `migrate-data` copies nothing a running service could still change under it,
/// and writes nothing into a database that is not an empty or hh-auth one.
@Suite("Moving data: a source in use, a target of another program")
struct DataMoveSafetyTests {
    private func newSQLitePath() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hh-move-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("moved.sqlite3").path
    }

    private func moveError(_ move: DataMove) -> DataMoveError? {
        #expect(throws: DataMoveError.self) { try move.run() }
    }

    /// A node's janitor leading on the schema, or a connection of the engine's (named hh-auth) on
    /// the database: refused before the target is touched.
    @Test func aPostgreSQLSourceHHAuthIsConnectedToIsRefused() throws {
        let fixture = try DataMoveFixture()
        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let pg = try DataMoveFixture.postgreSQL(schema)
        _ = try DataMove(from: .sqlite(path: fixture.path), to: pg).run()
        let target = try newSQLitePath()

        let janitor = PostgreSQLJanitorLock(try PGConnectionString(schema.conninfo), wake: WakeSignal())
        #expect(janitor.leads())
        let whileLeading = moveError(DataMove(from: pg, to: .sqlite(path: target)))
        janitor.resign()
        guard case .sourceInUse(_, let janitorLeads)? = whileLeading else {
            Issue.record("\(String(describing: whileLeading))")
            return
        }
        #expect(janitorLeads)
        #expect(!FileManager.default.fileExists(atPath: target))

        let engine = try PostgreSQLEngine(connectionString: schema.conninfo, stores: fixture.storage.stores)
        #expect(try engine.read { tx in try tx.whitelist.find("1001") } != nil)
        let whileServing = moveError(DataMove(from: pg, to: .sqlite(path: target)))
        guard case .sourceInUse(let connections, false)? = whileServing else {
            Issue.record("\(String(describing: whileServing))")
            return
        }
        #expect(connections >= 1)
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// While a SQLite source is copied, another connection's write fails busy instead of committing
    /// what the copy would miss; once the copy ended it goes through.
    @Test func aSQLiteSourceTakesNoWritesWhileItIsCopied() throws {
        let fixture = try DataMoveFixture()
        var configuration = GRDB.Configuration()
        configuration.busyMode = .immediateError
        let service = try DatabaseQueue(path: fixture.path, configuration: configuration)
        let allow = "INSERT INTO allowed_users (hh_user_id, created_at, updated_at) VALUES ('2002', 0, 0)"
        let source = try SQLiteMoveSource(path: fixture.path)
        _ = try source.withSnapshot { _ in
            #expect {
                try service.write { db in try db.execute(sql: allow) }
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .SQLITE_BUSY
            }
        }
        try service.write { db in try db.execute(sql: allow) }
    }

    /// A URL naming another program's schema: refused before hh-auth's tables are made there.
    @Test func aPostgreSQLTargetOfAnotherProgramIsRefusedWithoutDDL() throws {
        let fixture = try DataMoveFixture()
        let schema = try TestSchema()
        let connection = try schema.connect()
        defer { connection.close() }
        try connection.execute("CREATE TABLE invoices (id integer PRIMARY KEY)")
        #expect(throws: DataMoveError.targetNotHHAuth(schema: schema.name, holds: "table invoices")) {
            try DataMove(from: .sqlite(path: fixture.path), to: try DataMoveFixture.postgreSQL(schema)).run()
        }
        let tables = try connection.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'")
        #expect(try tables.map { try $0.text(0) } == ["invoices"])
    }
}
