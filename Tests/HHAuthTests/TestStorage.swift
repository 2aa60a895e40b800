import Foundation
import GRDB
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// The storage engines the store suites run against: each such test takes one as its argument
/// (`@Test(arguments: EngineKind.allCases)`), so one suite covers both.
enum EngineKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }
}

/// A fresh, empty database of one engine and the engine over it, its stores on the test's clock
/// with the fixtures' key: a SQLite file in a temporary directory, or a schema of its own in the
/// test process's PostgreSQL cluster.
final class TestStorage: Sendable {
    let kind: EngineKind
    /// The stores, reached through the engine's transactions.
    let engine: any StorageEngine
    /// The SQLite file, for checks only SQLite can make (its bytes on disk); nil on PostgreSQL.
    let sqlite: TestDatabase?
    /// The PostgreSQL schema; nil on SQLite.
    let postgreSQL: TestSchema?
    /// The stores the engine runs (their settings, the revocation queue's wake signal).
    let stores: StoreSet

    init(_ kind: EngineKind, clock: any WallClock, sessionLifetimeSeconds: Double = 720 * 3600) throws {
        self.kind = kind
        stores = Fixtures.stores(clock: clock, sessionLifetimeSeconds: sessionLifetimeSeconds)
        switch kind {
        case .sqlite:
            let database = try TestDatabase()
            sqlite = database
            postgreSQL = nil
            engine = SQLiteEngine(database: database.database, stores: stores)
        case .postgresql:
            let schema = try TestSchema()
            sqlite = nil
            postgreSQL = schema
            engine = try PostgreSQLEngine(connectionString: schema.conninfo, stores: stores)
        }
    }

    /// Runs `sql` behind the stores' back (a test's setup), in the engine's own dialect.
    func execute(_ sql: String) throws {
        switch kind {
        case .sqlite: try sqlite!.database.write { db in try db.execute(sql: sql) }
        case .postgresql:
            let connection = try postgreSQL!.connect()
            defer { connection.close() }
            try connection.execute(sql)
        }
    }

    /// The first column of the first row of `sql` as text, read behind the stores' back.
    func text(_ sql: String) throws -> String? {
        switch kind {
        case .sqlite: return try sqlite!.database.read { db in try String.fetchOne(db, sql: sql) }
        case .postgresql:
            let connection = try postgreSQL!.connect()
            defer { connection.close() }
            return try connection.execute(sql).first?.string(0)
        }
    }

    /// A user made through the engine, as a sign-in makes one.
    func user(_ hhUserID: String = "1001") throws -> User {
        try engine.write { tx in
            try tx.users.upsert(
                HHProfile(id: hhUserID, firstName: "Иван", lastName: "Петров", email: "ivan@example.com"))
        }
    }
}

extension Fixtures {
    /// The stores as ``DomainServices`` builds them, on `clock` with the fixtures' key (or `vault`).
    static func stores(
        clock: any WallClock, sessionLifetimeSeconds: Double = 720 * 3600,
        vault: TokenVault = TokenVault(current: key())
    ) -> StoreSet {
        return StoreSet(
            audit: AuditLog(clock: clock), whitelist: Whitelist(clock: clock), users: UserStore(clock: clock),
            sessions: SessionStore(clock: clock, lifetimeSeconds: sessionLifetimeSeconds),
            states: LoginStateStore(clock: clock, lifetimeSeconds: 600, keys: vault.keys, clientRedirectURIs: []),
            codes: ExchangeCodeStore(clock: clock, lifetimeSeconds: 300),
            tokens: HHTokenStore(vault: vault, clock: clock),
            revocations: RevocationQueue(vault: vault, clock: clock, wake: WakeSignal()))
    }
}
