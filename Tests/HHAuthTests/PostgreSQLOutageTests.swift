import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

#if canImport(Glibc)
    import Glibc
#endif

/// The engine's connections bounded in time: their timeouts, and an outage answered at once.
@Suite("PostgreSQL engine: timeouts and outages", .serialized)
struct PostgreSQLOutageTests {
    let clock = ManualClock()

    @Test func theEngineSetsItsTimeoutsUnlessTheConnectionStringDoes() throws {
        let schema = try TestSchema()
        let storage = try PostgreSQLEngine(connectionString: schema.conninfo, stores: Fixtures.stores(clock: clock))
        let connection = try storage.connections.connection()
        #expect(try connection.execute("SHOW lock_timeout")[0].string(0) == "5s")
        #expect(try connection.execute("SHOW statement_timeout")[0].string(0) == "30s")
        #expect(try connection.execute("SHOW idle_in_transaction_session_timeout")[0].string(0) == "1min")
        #expect(try connection.execute("SHOW extra_float_digits")[0].string(0) == "3")
        // The server's keepalives on every worker connection, so a dead node's backends go within
        // about a minute. On the tests' unix socket the server shows 0 for them, but records the
        // session's setting.
        let keepalives = try connection.execute(
            "SELECT name, source FROM pg_settings WHERE name LIKE 'tcp\\_keepalives\\_%' ORDER BY name")
        #expect(
            try keepalives.map { "\(try $0.text(0)) \(try $0.text(1))" } == [
                "tcp_keepalives_count session", "tcp_keepalives_idle session", "tcp_keepalives_interval session",
            ])

        let own = try PostgreSQLEngine(
            connectionString: schema.conninfo + " options='-csearch_path=\(schema.name) -clock_timeout=7s'",
            stores: Fixtures.stores(clock: clock))
        let ownConnection = try own.connections.connection()
        #expect(try ownConnection.execute("SHOW lock_timeout")[0].string(0) == "7s")
        #expect(try ownConnection.execute("SHOW statement_timeout")[0].string(0) == "30s")
    }

    /// A write waiting for a row another transaction holds gives up after `lock_timeout`: busy
    /// (503 + `Retry-After`), its worker free again.
    @Test func aWriteWaitingForALockPastTheLockTimeoutIsBusy() throws {
        let schema = try TestSchema()
        var defaults = PGConnectionDefaults.engine
        defaults.settings["lock_timeout"] = "200ms"
        let storage = try PostgreSQLEngine(
            connectionString: schema.conninfo, stores: Fixtures.stores(clock: clock), defaults: defaults)
        let user = try storage.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }
        let holder = try schema.connect()
        defer { holder.close() }
        try holder.execute("BEGIN")
        try holder.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [.int64(user.id)])
        let waiting = Background { try storage.write { tx in try tx.users.lock(id: user.id) } }
        let gaveUp = waiting.finishes(withinSeconds: 10)
        try holder.execute("ROLLBACK")
        #expect(gaveUp, "the write still waited for the lock after 10 s")
        let error = #expect(throws: StorageFailure.self) { try waiting.result() }
        #expect(error?.kind == .busy)
    }

    /// With the server gone, calls fail as unavailable without a connect attempt each (for a
    /// moment after one failed), and work again once it is back.
    @Test func anOutageFailsFastAndEndsWhenTheServerIsBack() throws {
        let cluster = try TestCluster.own("outage")
        defer { try? cluster.stop() }
        let storage = try PostgreSQLEngine(connectionString: cluster.conninfo, stores: Fixtures.stores(clock: clock))
        let user = try storage.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }
        try cluster.stop()

        func expectUnavailable(_ call: () throws -> Void) {
            let error = #expect(throws: StorageFailure.self) { try call() }
            #expect(error?.kind == .unavailable)
        }
        expectUnavailable { _ = try storage.write { tx in try tx.users.find(id: user.id) } }
        let attempts = storage.connections.connectAttempts
        expectUnavailable { _ = try storage.write { tx in try tx.users.find(id: user.id) } }
        expectUnavailable { _ = try storage.read { tx in try tx.users.find(id: user.id) } }
        expectUnavailable { _ = try storage.sessionReads.user(idHash: Data(count: 32), now: 0) }
        #expect(storage.connections.connectAttempts == attempts, "a connect attempt per call")

        try cluster.start()
        let deadline = Date().addingTimeInterval(30)
        var found: User?
        while found == nil, Date() < deadline {
            found = try? storage.read { tx in try tx.users.find(id: user.id) }
            if found == nil { usleep(20_000) }
        }
        #expect(found == user)
    }
}
