import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// A deployment's data for `migrate-data`'s tests: a SQLite database with a row of every kind,
/// made through the stores as the service makes them, and what the tests check it by afterwards.
final class DataMoveFixture: @unchecked Sendable {
    let clock = ManualClock()
    let storage: TestStorage
    /// A program and a browser session (ids 1 and 2; a third was ended, so the counter is at 3).
    let programSession: String
    let browserSession: String
    let code: String
    let usedState: LoginStateStore.Verified
    let ivan: User
    let petr: User
    let accessToken = "access-" + UUID().uuidString
    let refreshToken = "refresh-" + UUID().uuidString

    init() throws {
        storage = try TestStorage(.sqlite, clock: clock)
        ivan = try storage.user("1001")
        petr = try storage.user("1002")
        let engine = storage.engine
        let clock = clock
        // Fractions of a second: the chain hashes `created_at`'s digits, which must survive the move.
        clock.advance(seconds: 0.123_456_789)
        try engine.write { tx in
            try tx.whitelist.allow("1001", comment: "Отдел «продаж»", groups: ["ops", "dev"])
            try tx.whitelist.allow("1002", comment: nil, groups: nil)
            try tx.whitelist.allow("1003", comment: "gone", groups: ["ops"])
            _ = try tx.whitelist.remove("1003")
            try tx.audit.record(AuditEvent(.userAllowed, metadata: ["hh_user_id": "1001"]))
            try tx.audit.record(AuditEvent(.userAllowed, metadata: ["hh_user_id": "1002"]))
        }
        clock.advance(seconds: 3600.5)
        let (program, browser) = try engine.write { [ivan] tx in
            let program = try tx.sessions.create(userID: ivan.id)
            let browser = try tx.sessions.create(userID: ivan.id, kind: .browser, lifetimeSeconds: nil)
            let ended = try tx.sessions.create(userID: ivan.id)
            try tx.sessions.end(ended.session)
            try tx.audit.record(AuditEvent(.sessionCreated, userID: ivan.id))
            return (program.sessionID, browser.sessionID)
        }
        programSession = program
        browserSession = browser
        clock.advance(seconds: 1.25)
        try engine.write { [ivan, petr, accessToken, refreshToken] tx in
            try tx.sessions.recordUse(sessionID: browser, at: clock.now().timeIntervalSince1970)
            try tx.tokens.save(
                userID: ivan.id, accessToken: accessToken, refreshToken: refreshToken,
                expiresAt: clock.now().addingTimeInterval(1200))
            try tx.revocations.enqueue(
                HHTokenRecord(
                    userID: petr.id, accessToken: "queued-access", refreshToken: "queued-refresh",
                    expiresAt: clock.now().addingTimeInterval(600), version: 1))
        }
        try engine.write { tx in
            let (due, _) = try tx.revocations.due(limit: 10)
            for entry in due { try tx.revocations.postpone(entry, replacement: nil) }
        }
        let issued = try #require(storage.stores.states.issue(redirectURI: nil, boundTo: "cookie"))
        usedState = try #require(storage.stores.states.verify(issued))
        code = try engine.write { [ivan, usedState] tx in
            _ = try tx.states.consume(usedState)
            return try tx.codes.issue(userID: ivan.id)
        }
        // A prune leaves an anchor: the chain starts after the first two events.
        clock.advance(seconds: 10)
        try engine.write { tx in
            _ = try tx.audit.prune(before: clock.now().addingTimeInterval(-5), actor: AdminActor(name: "cli:test"))
            try tx.audit.record(AuditEvent(.login, userID: ivan.id, metadata: ["note": "после очистки"]))
        }
    }

    var path: String { storage.sqlite!.path }

    /// Everything a move copies from `endpoint`, read the way a move reads it.
    static func contents(of endpoint: DataMoveEndpoint) throws -> MovedContents {
        let source: any DataMoveSource =
            switch endpoint {
            case .sqlite(let path): try SQLiteMoveSource(path: path)
            case .postgreSQL(let connectionString): try PostgreSQLMoveSource(connectionString)
            }
        return try source.withSnapshot { snapshot in
            var tables: [String: [[MovedValue]]] = [:]
            for table in MovedTable.all {
                var rows: [[MovedValue]] = []
                try snapshot.rows(of: table, batchSize: 3) { rows += $0 }
                tables[table.name] = rows
            }
            return MovedContents(tables: tables, sequences: try snapshot.sequenceState())
        }
    }

    /// A schema in a database no other test uses: a PostgreSQL source is refused while hh-auth
    /// is connected to its database (``DataMoveError/sourceInUse(sessions:janitorLeads:)``),
    /// and other tests' engines use the shared one.
    static func schemaOfItsOwnDatabase() throws -> TestSchema {
        try TestSchema(database: "move_" + UUID().uuidString.prefix(8).lowercased())
    }

    /// A file in a fresh temporary directory, not yet created.
    static func newSQLitePath() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hh-move-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("moved.sqlite3").path
    }

    static func postgreSQL(_ schema: TestSchema) throws -> DataMoveEndpoint {
        .postgreSQL(try PGConnectionString(schema.conninfo))
    }
}

struct MovedContents: Equatable {
    var tables: [String: [[MovedValue]]]
    var sequences: MovedSequenceState
}
