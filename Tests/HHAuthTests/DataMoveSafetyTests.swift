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
    private func moveError(_ move: DataMove) -> DataMoveError? {
        #expect(throws: DataMoveError.self) { try move.run() }
    }

    /// A node's janitor leading on the schema, or a connection of the engine's (named hh-auth) on
    /// the database: refused before the target is touched, each session named (pid, address,
    /// start, name) so that an operator can tell a node from a stale backend or a cron job.
    @Test func aPostgreSQLSourceHHAuthIsConnectedToIsRefused() throws {
        let fixture = try DataMoveFixture()
        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let pg = try DataMoveFixture.postgreSQL(schema)
        _ = try DataMove(from: .sqlite(path: fixture.path), to: pg).run()
        let target = try DataMoveFixture.newSQLitePath()

        let janitor = PostgreSQLJanitorLock(try PGConnectionString(schema.conninfo), wake: WakeSignal())
        #expect(janitor.leads())
        let whileLeading = moveError(DataMove(from: pg, to: .sqlite(path: target)))
        janitor.resign()
        guard case .sourceInUse(let leaders, let janitorLeads)? = whileLeading else {
            Issue.record("\(String(describing: whileLeading))")
            return
        }
        #expect(janitorLeads)
        let leader = try #require(leaders.first { $0.leadsJanitor })
        #expect(leader.applicationName == PGConnectionDefaults.applicationName)
        #expect(leader.backendStart != nil)
        #expect(whileLeading?.description.contains("pid \(leader.pid) 'hh-auth' on a local socket since ") == true)
        #expect(!FileManager.default.fileExists(atPath: target))

        let engine = try PostgreSQLEngine(connectionString: schema.conninfo, stores: fixture.storage.stores)
        #expect(try engine.read { tx in try tx.whitelist.find("1001") } != nil)
        let pid = try engine.connections.connection().execute("SELECT pg_backend_pid()")[0].integer(0)
        let whileServing = moveError(DataMove(from: pg, to: .sqlite(path: target)))
        guard case .sourceInUse(let sessions, false)? = whileServing else {
            Issue.record("\(String(describing: whileServing))")
            return
        }
        let worker = try #require(sessions.first { $0.pid == Int(pid) })
        #expect(worker.applicationName == PGConnectionDefaults.applicationName)
        #expect(worker.clientAddress == nil)
        #expect(!worker.leadsJanitor)
        #expect(whileServing?.description.contains("pid \(pid) 'hh-auth'") == true)
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// Another hh-auth command on the database (`doctor`, `cleanup`: the engine's application
    /// name) keeps a move off as a node does, named by its own application name if it sets one.
    @Test func aPostgreSQLSourceAnHHAuthCommandIsConnectedToIsRefusedByName() throws {
        let fixture = try DataMoveFixture()
        let schema = try DataMoveFixture.schemaOfItsOwnDatabase()
        let pg = try DataMoveFixture.postgreSQL(schema)
        _ = try DataMove(from: .sqlite(path: fixture.path), to: pg).run()
        let doctor = try PGConnection(try PGConnectionString(schema.conninfo + " application_name=hh-auth-doctor"))
        defer { doctor.close() }
        let pid = try doctor.execute("SELECT pg_backend_pid()")[0].integer(0)
        let started = try Self.backendStart(of: doctor)
        let refused = moveError(DataMove(from: pg, to: .sqlite(path: try DataMoveFixture.newSQLitePath())))
        #expect(
            refused
                == .sourceInUse(
                    sessions: [
                        SourceSession(
                            pid: Int(pid), applicationName: "hh-auth-doctor", clientAddress: nil,
                            backendStart: started, leadsJanitor: false)
                    ], janitorLeads: false))
    }

    private static func backendStart(of connection: PGConnection) throws -> String? {
        try connection.execute(
            "SELECT date_trunc('second', backend_start)::text FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        )[0].string(0)
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

    /// A SQLite source whose write lock another connection holds (a service writing) is refused
    /// at once, without waiting for it, and the target is not made.
    @Test func aSQLiteSourceLockedByAnotherConnectionIsRefused() throws {
        let fixture = try DataMoveFixture()
        let service = try DatabaseQueue(path: fixture.path)
        let target = try DataMoveFixture.newSQLitePath()
        try service.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            defer { try? db.execute(sql: "ROLLBACK") }
            let refused = moveError(DataMove(from: .sqlite(path: fixture.path), to: .sqlite(path: target)))
            #expect(refused == .sourceLocked)
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        _ = try DataMove(from: .sqlite(path: fixture.path), to: .sqlite(path: try DataMoveFixture.newSQLitePath()))
            .run()
    }

    /// A SQLite source this process may not write (a 0444 backup in a directory it may not
    /// write a `-journal` into) is moved from a read-only snapshot, as before the lock, with a
    /// note saying so, instead of failing. The test reads it as another filesystem user, since
    /// root may write any file.
    @Test func aSQLiteSourceThatCannotBeWrittenIsMovedWithANote() throws {
        let fixture = try DataMoveFixture()
        let backup = try DataMoveFixture.newSQLitePath()
        _ = try DatabaseQueue(path: fixture.path).writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [backup])
        }
        _ = try DatabaseQueue(path: backup).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: backup)
        let target = try DataMoveFixture.newSQLitePath()
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o777], ofItemAtPath: (target as NSString).deletingLastPathComponent)

        let report = try Self.asFilesystemUser(65534) {
            let descriptor = open(backup, O_RDWR)
            if descriptor >= 0 { close(descriptor) }
            try #require(descriptor == -1, "the backup is writable: the test would not test anything")
            return try DataMove(from: .sqlite(path: backup), to: .sqlite(path: target)).run()
        }
        #expect(report.notes.count == 1)
        #expect(report.notes.first?.contains("cannot be opened for writing") == true)
        #expect(
            try DataMoveFixture.contents(of: .sqlite(path: target))
                == DataMoveFixture.contents(of: .sqlite(path: fixture.path)))
    }

    /// A SQLite source this process may not write, whose write-ahead log holds writes (here the
    /// fixture's connection, still open, as a running service's would be): without the write
    /// lock nothing holds that writer off, so the move is refused, and no target is made.
    @Test func anUnlockableSQLiteSourceWithALogThatHoldsWritesIsRefused() throws {
        let fixture = try DataMoveFixture()
        let log = try FileManager.default.attributesOfItem(atPath: fixture.path + "-wal")[.size] as? NSNumber
        try #require((log?.intValue ?? 0) > 0, "the fixture's log is empty: the test would not test anything")
        let target = try DataMoveFixture.newSQLitePath()
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o777], ofItemAtPath: (target as NSString).deletingLastPathComponent)

        let error = try Self.asFilesystemUser(65534) { () throws -> DataMoveError? in
            let descriptor = open(fixture.path, O_RDWR)
            if descriptor >= 0 { close(descriptor) }
            try #require(descriptor == -1, "the source is writable: the test would not test anything")
            return moveError(DataMove(from: .sqlite(path: fixture.path), to: .sqlite(path: target)))
        }
        #expect(error == .sourceUnlockable(path: fixture.path))
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// A cluster of nodes holds hundreds of sessions: the refusal names the first ten and counts
    /// the rest, instead of one line as long as the cluster.
    @Test func aRefusalNamesTenSessionsAndCountsTheRest() {
        let sessions = (1...25).map {
            SourceSession(
                pid: 1000 + $0, applicationName: "hh-auth", clientAddress: nil, backendStart: nil, leadsJanitor: false)
        }
        let text = DataMoveError.sourceInUse(sessions: sessions, janitorLeads: false).description
        #expect(text.contains("25 other session(s)"))
        #expect(text.contains("pid 1010 ") && !text.contains("pid 1011 "))
        #expect(text.contains("and 15 more"))
    }

    /// `body` with the calling thread's filesystem user id set to `uid` (Linux `setfsuid`, which
    /// Swift's Glibc module does not declare): file modes apply to it as to that user, even in a
    /// test run as root. A user that is not root cannot change it, and keeps its own.
    private static func asFilesystemUser<T>(_ uid: uid_t, _ body: () throws -> T) throws -> T {
        typealias SetFilesystemUser = @convention(c) (uid_t) -> Int32
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setfsuid"))
        let setfsuid = unsafeBitCast(symbol, to: SetFilesystemUser.self)
        let previous = setfsuid(uid)
        defer { _ = setfsuid(uid_t(previous)) }
        return try body()
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
