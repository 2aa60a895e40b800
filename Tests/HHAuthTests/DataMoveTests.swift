import Foundation
import GRDB
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// Issue 14: `migrate-data` moves a deployment from SQLite to PostgreSQL and back unchanged, and
/// refuses what would lose or mix data.
@Suite("Moving data between engines")
struct DataMoveTests {
    @Test func sqliteToPostgreSQLAndBackKeepsEveryRowCounterAndSession() throws {
        let fixture = try DataMoveFixture()
        let original = try DataMoveFixture.contents(of: .sqlite(path: fixture.path))
        #expect(original.tables.values.allSatisfy { !$0.isEmpty }, "the fixture has a row of every kind")
        #expect(original.sequences.anchorID > 0, "the fixture's trail was pruned")
        let attempts = MovedTable.all.first { $0.name == "hh_revocations" }!.columns.firstIndex {
            $0.name == "attempts"
        }!
        #expect(original.tables["hh_revocations"]?.first?[attempts] == .integer(1))

        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let pg = try DataMoveFixture.postgreSQL(schema)
        // Batches of 2: every table takes several reads and inserts.
        let there = try DataMove(from: .sqlite(path: fixture.path), to: pg, batchSize: 2).run()
        #expect(there.rows.map(\.table) == MovedTable.all.map(\.name))
        #expect(there.rows.map(\.rows) == MovedTable.all.map { original.tables[$0.name]!.count })
        #expect(there.verifiedAuditEvents == original.tables["audit_events"]!.count)
        #expect(try DataMoveFixture.contents(of: pg) == original)

        let backPath = try DataMoveFixture.newSQLitePath()
        let back = try DataMove(from: pg, to: .sqlite(path: backPath), batchSize: 2).run()
        #expect(back == there)
        #expect(try DataMoveFixture.contents(of: .sqlite(path: backPath)) == original)

        // What the moved data does through each target's engine, with the same key.
        let postgreSQLEngine = try PostgreSQLEngine(connectionString: schema.conninfo, stores: fixture.storage.stores)
        let sqliteEngine = SQLiteEngine(database: try AppDatabase(path: backPath), stores: fixture.storage.stores)
        for engine in [fixture.storage.engine, postgreSQLEngine as any StorageEngine, sqliteEngine] {
            let lookup = SessionLookup(storage: engine, clock: fixture.clock)
            #expect(try lookup.user(sessionID: fixture.programSession)?.id == fixture.ivan.id)
            #expect(try lookup.identity(sessionID: fixture.browserSession)?.hhUserID == "1001")
            #expect(try lookup.token(sessionID: fixture.programSession)?.token != nil)
            try engine.read { tx throws in
                #expect(try tx.audit.verify() == .intact(count: original.tables["audit_events"]!.count))
                #expect(try tx.tokens.load(userID: fixture.ivan.id)?.refreshToken == fixture.refreshToken)
                #expect(try tx.states.isUsed(fixture.usedState))
                #expect(try tx.codes.hasLive(userID: fixture.ivan.id))
                #expect(try tx.revocations.count() == 1)
                #expect(try tx.whitelist.find("1001")?.groups == ["dev", "ops"])
            }
        }
        // Each goes on where the source stopped: the ended session's id is not handed out again,
        // the next event chains to the last, the queued pair keeps its attempt.
        for engine in [postgreSQLEngine as any StorageEngine, sqliteEngine] {
            try engine.write { tx throws in
                #expect(try tx.sessions.create(userID: fixture.ivan.id).session.rowID == 4)
                try tx.audit.record(AuditEvent(.logout))
                #expect(try tx.codes.consume(fixture.code) == fixture.ivan.id)
            }
            try engine.read { tx throws in
                // The append's id is known once it committed (PostgreSQL appends at COMMIT).
                let newest = try tx.audit.page(AuditFilter(), limit: 1, offset: 0).events.first?.id
                #expect(newest == original.sequences.headID + 1)
                #expect(try tx.audit.verify() == .intact(count: original.tables["audit_events"]!.count + 1))
            }
        }
    }

    @Test func aTargetThatHoldsDataIsRefusedAndLeftAsItWas() throws {
        let fixture = try DataMoveFixture()
        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let pg = try DataMoveFixture.postgreSQL(schema)
        _ = try DataMove(from: .sqlite(path: fixture.path), to: pg).run()
        let before = try DataMoveFixture.contents(of: pg)
        #expect(throws: DataMoveError.targetNotEmpty(table: "users")) {
            try DataMove(from: .sqlite(path: fixture.path), to: pg).run()
        }
        #expect(try DataMoveFixture.contents(of: pg) == before)

        // A SQLite target whose only trace is a whitelist entry.
        let other = try TestStorage(.sqlite, clock: fixture.clock)
        try other.engine.write { tx in _ = try tx.whitelist.allow("42", comment: nil) }
        #expect(throws: DataMoveError.targetNotEmpty(table: "allowed_users")) {
            try DataMove(from: pg, to: .sqlite(path: other.sqlite!.path)).run()
        }
    }

    @Test func theSameDatabaseUnderAnotherNameIsRefused() throws {
        let fixture = try DataMoveFixture()
        let directory = (fixture.path as NSString).deletingLastPathComponent
        let linked = directory + "/linked.sqlite3"
        try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: fixture.path)
        #expect(throws: DataMoveError.sameDatabase) {
            try DataMove(from: .sqlite(path: fixture.path), to: .sqlite(path: linked)).run()
        }
        let schema = try TestSchema()
        _ = try DataMove(from: .sqlite(path: fixture.path), to: try DataMoveFixture.postgreSQL(schema)).run()
        // The same schema through a conninfo spelled otherwise.
        let respelled = try PGConnectionString(schema.conninfo + " application_name=mover")
        #expect(throws: DataMoveError.sameDatabase) {
            try DataMove(from: try DataMoveFixture.postgreSQL(schema), to: .postgreSQL(respelled)).run()
        }
    }

    @Test func aSourceANewerHHAuthWroteIsRefused() throws {
        let fixture = try DataMoveFixture()
        try fixture.storage.execute(
            "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        #expect(throws: StorageError.newerSchema) {
            try DataMove(from: .sqlite(path: fixture.path), to: .sqlite(path: try DataMoveFixture.newSQLitePath()))
                .run()
        }
        let storage = try TestStorage(.postgresql, clock: fixture.clock)
        try storage.execute("INSERT INTO hh_auth_migrations (identifier) VALUES ('v99: from the future')")
        let target = try DataMoveFixture.newSQLitePath()
        #expect(throws: StorageError.newerSchema) {
            try DataMove(from: try DataMoveFixture.postgreSQL(storage.postgreSQL!), to: .sqlite(path: target)).run()
        }
        #expect(!FileManager.default.fileExists(atPath: target), "nothing is created for a refused source")
    }

    @Test func aBrokenAuditChainIsFoundBeforeTheTargetCommits() throws {
        let fixture = try DataMoveFixture()
        let events = try DataMoveFixture.contents(of: .sqlite(path: fixture.path)).tables["audit_events"]!
        guard case .integer(let edited) = events[1][0] else { throw ClusterFailure("no second event") }
        // Behind the service's back: the append-only trigger goes first.
        try fixture.storage.execute(
            """
            DROP TRIGGER audit_events_no_update;
            UPDATE audit_events SET metadata = '{"edited":true}' WHERE id = \(edited);
            """)
        // Of its own database: the tables are removed only while no other hh-auth is connected to it.
        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let pg = try DataMoveFixture.postgreSQL(schema)
        #expect(throws: DataMoveError.auditChainBroken(eventID: edited, checked: 1)) {
            try DataMove(from: .sqlite(path: fixture.path), to: pg).run()
        }
        // Rolled back, and the tables the move made in the schema (which held nothing) are gone.
        let connection = try schema.connect()
        defer { connection.close() }
        let left = try connection.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace")
        #expect(try left.map { try $0.text(0) } == [], "the target is left as it was")
    }

    /// Every table either schema holds is copied, with every column: a table or column a later
    /// migration adds fails here until `MovedTable` copies it (or names it bookkeeping).
    @Test func theMovedTablesAreEveryTableOfBothSchemas() throws {
        let storage = try TestStorage(.sqlite, clock: ManualClock())
        let sqlite = try storage.sqlite!.database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'").map { table in
                (table, Set(try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])))
            }
        }
        let schema = try TestSchema()
        _ = try PostgreSQLEngine(connectionString: schema.conninfo, stores: storage.stores)
        let connection = try schema.connect()
        defer { connection.close() }
        let columns = try connection.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()
            """)
        var postgreSQL: [String: Set<String>] = [:]
        for row in columns { postgreSQL[try row.text(0), default: []].insert(try row.text(1)) }

        let moved = Dictionary(uniqueKeysWithValues: MovedTable.all.map { ($0.name, Set($0.columns.map(\.name))) })
        for (name, engineColumns) in sqlite.map({ ($0.0, $0.1) }) + postgreSQL.map({ ($0.key, $0.value) })
        where !MovedTable.bookkeeping.contains(name) {
            #expect(moved[name] == engineColumns, "\(name)")
        }
        #expect(Set(sqlite.map(\.0)).subtracting(MovedTable.bookkeeping) == Set(moved.keys))
        #expect(Set(postgreSQL.keys).subtracting(MovedTable.bookkeeping) == Set(moved.keys))
    }
}
