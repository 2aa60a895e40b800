import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// Issue 14 review (H1): the node's dedicated connections (shared rate counts, admin throttle,
/// janitor's lock) bounded in time when the server goes silent behind a connection the kernel
/// keeps (``BlackHoleRelay``): what needs them answers within a bound instead of hanging.
@Suite("PostgreSQL dedicated connections: a silent server", .serialized)
struct PostgreSQLBlackHoleTests {
    let clock = ManualClock()
    let now = 1_700_000_000

    /// The dedicated connections' limits, shortened so a test takes seconds.
    private var quick: PGConnectionDefaults {
        var defaults = PGConnectionDefaults.dedicated
        defaults.connectTimeoutSeconds = 2
        defaults.responseTimeoutSeconds = 1
        return defaults
    }

    private func engine(_ conninfo: String) throws -> PostgreSQLEngine {
        try PostgreSQLEngine(
            connectionString: conninfo, stores: Fixtures.stores(clock: clock), dedicatedDefaults: quick)
    }

    @Test func theDedicatedConnectionsAreBoundedAndTheirLocksDieWithTheirClient() throws {
        let schema = try TestSchema()
        let dedicated = PostgreSQLDedicatedConnection(try PGConnectionString(schema.conninfo), defaults: .dedicated)
        let shown = try dedicated.use { connection in
            try ["lock_timeout", "idle_in_transaction_session_timeout", "client_connection_check_interval"].map {
                try connection.execute("SHOW \($0)")[0].string(0)
            }
        }
        #expect(shown == ["5s", "1min", "10s"])
        let migration = try PGConnection(try PGConnectionString(schema.conninfo), defaults: .migration)
        defer { migration.close() }
        #expect(try migration.execute("SHOW lock_timeout")[0].string(0) == "5s")
        #expect(try migration.execute("SHOW statement_timeout")[0].string(0) == "0")
        #expect(try migration.execute("SHOW client_connection_check_interval")[0].string(0) == "10s")
    }

    /// A dedicated connection closed for good opens no other (a background flush after its owner
    /// closed it); one disconnected after a failure opens another on its next use.
    @Test func aClosedDedicatedConnectionStaysClosed() throws {
        let schema = try TestSchema()
        let dedicated = PostgreSQLDedicatedConnection(try PGConnectionString(schema.conninfo), defaults: .dedicated)
        let first = try dedicated.use { try $0.execute("SELECT pg_backend_pid()")[0].int64(0) }
        dedicated.disconnect()
        let second = try dedicated.use { try $0.execute("SELECT pg_backend_pid()")[0].int64(0) }
        #expect(first != second)
        dedicated.close()
        let error = #expect(throws: PGError.self) { try dedicated.use { try $0.execute("SELECT 1") } }
        #expect(error?.kind == .unavailable)
        #expect(dedicated.current() == nil)
    }

    /// Requests of one busy client past their node's share wait for a flush that never answers
    /// no longer than the counter's deadline, then decide on the node's own counts.
    @Test func requestsNeedingTheSharedCountsAnswerWhileTheServerIsSilent() throws {
        let schema = try TestSchema()
        let relay = try BlackHoleRelay(forwardingTo: schema.conninfo)
        defer { relay.close() }
        let storage = try engine(relay.conninfo)
        let limiter = ClientRateLimiter(limit: 40, shared: try #require(storage.sharedState).windowCounts)
        #expect(limiter.check("203.0.113.7", now: now).allowed)
        relay.blackHole()
        let threads = (0..<4).map { _ in
            Background { [now] in (0..<20).filter { _ in limiter.check("203.0.113.7", now: now).allowed }.count }
        }
        let answered = threads.allSatisfy { $0.finishes(withinSeconds: 5) }
        relay.close()
        #expect(answered, "requests waited for the silent server")
        // Decided on this node's counts meanwhile: the limit holds here.
        let admitted = try threads.map { try $0.result() }.reduce(0, +)
        #expect(admitted == 39)
    }

    /// An admin check (the throttle's ledger) and the ones queued behind it on the node's one
    /// connection end within a bound: the first at its response deadline, the next at the
    /// connect timeout, the rest at once (the reconnect pause).
    @Test func adminChecksEndWhileTheServerIsSilent() throws {
        let schema = try TestSchema()
        let relay = try BlackHoleRelay(forwardingTo: schema.conninfo)
        defer { relay.close() }
        let storage = try engine(relay.conninfo)
        let store = try #require(storage.sharedState).failedLogins(
            FailedLoginThrottle.Limits(maxFailures: 5, maxFailuresAllAddresses: 20, windowSeconds: 900))
        #expect(try store.withLedger { try $0.failures(address: "192.0.2.1") }.isEmpty)
        relay.blackHole()
        let checks = (0..<3).map { _ in Background { try store.withLedger { try $0.failures(address: "192.0.2.1") } } }
        let ended = checks.allSatisfy { $0.finishes(withinSeconds: 10) }
        relay.close()
        #expect(ended, "an admin check waited for the silent server")
        for check in checks { #expect(throws: (any Error).self) { try check.result() } }
    }

    /// The leading janitor finds its lock's connection silent and stops leading within a bound.
    @Test func theJanitorStopsLeadingWhenTheServerIsSilent() throws {
        let schema = try TestSchema()
        let relay = try BlackHoleRelay(forwardingTo: schema.conninfo)
        defer { relay.close() }
        let storage = try engine(relay.conninfo)
        let leadership = try #require(storage.sharedState).janitorLeadership(WakeSignal())
        defer { leadership.resign() }
        #expect(leadership.leads())
        relay.blackHole()
        let pass = Background { leadership.leads() }
        let ended = pass.finishes(withinSeconds: 5)
        relay.close()
        #expect(ended, "the janitor's pass waited for the silent server")
        #expect(try pass.result() == false)
    }
}
