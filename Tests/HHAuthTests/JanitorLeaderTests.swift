import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// Issue 14: one janitor of all the nodes' runs the passes (docs/scale-out.md, "Janitor: one node
/// at a time"), and a pair queued on one node wakes the leader on another (`NOTIFY`).
///
/// Each test has a database of its own, so the only advisory lock held there is the janitor's.
@Suite("Janitor leader across nodes")
struct JanitorLeaderTests {
    let clock = ManualClock()

    private func node(_ schema: TestSchema) throws -> (engine: PostgreSQLEngine, stores: StoreSet) {
        let stores = Fixtures.stores(clock: clock)
        return (try PostgreSQLEngine(connectionString: schema.conninfo, stores: stores), stores)
    }

    private func janitor(_ node: (engine: PostgreSQLEngine, stores: StoreSet)) -> Janitor {
        Janitor(
            storage: node.engine, tokens: node.stores.tokens, revocations: node.stores.revocations,
            logger: Fixtures.logger)
    }

    /// The backends that hold an advisory lock in the test's database: the leading janitor's.
    private func holders(_ admin: PGConnection) throws -> [Int64] {
        try admin.execute(
            """
            SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        ).map { try $0.int64(0) ?? 0 }
    }

    @Test func oneLeadsTheOtherSkipsAndTakesOverWhenTheLeadersConnectionDies() throws {
        let schema = try TestSchema(database: "hh_auth_janitor_death")
        let first = janitor(try node(schema))
        let second = janitor(try node(schema))
        defer {
            first.stop(timeoutSeconds: 0)
            second.stop(timeoutSeconds: 0)
        }
        #expect(try first.leaderPass() != nil)
        #expect(try second.leaderPass() == nil)
        #expect(try first.leaderPass() != nil)
        // The leader's connection dies (its node was killed): the lock goes with it.
        let admin = try schema.connect()
        defer { admin.close() }
        let leaders = try holders(admin)
        #expect(leaders.count == 1)
        for pid in leaders {
            // Waits (up to 10 s) until the backend has exited, and with it the lock.
            try admin.execute("SELECT pg_terminate_backend($1::int, 10000)", [.int64(pid)])
        }
        #expect(try second.leaderPass() != nil)
        #expect(try first.leaderPass() == nil)
    }

    @Test func aJanitorThatStopsHandsTheLeadOn() throws {
        let schema = try TestSchema(database: "hh_auth_janitor_stop")
        let first = janitor(try node(schema))
        let second = janitor(try node(schema))
        defer { second.stop(timeoutSeconds: 0) }
        #expect(try first.leaderPass() != nil)
        #expect(try second.leaderPass() == nil)
        first.stop(timeoutSeconds: 0)
        #expect(try second.leaderPass() != nil)
    }

    /// A janitor whose pass outlives stop's wait keeps the lead until the pass has ended, then
    /// gives it up: another node's janitor never runs a pass beside it.
    @Test func aJanitorStoppedMidPassKeepsTheLeadUntilThePassEnds() throws {
        let schema = try TestSchema(database: "hh_auth_janitor_midpass")
        let stores = Fixtures.stores(clock: clock)
        // Its pass waits on the table lock below for longer than the test takes.
        var defaults = PGConnectionDefaults.engine
        defaults.settings["lock_timeout"] = "60s"
        let engine = try PostgreSQLEngine(connectionString: schema.conninfo, stores: stores, defaults: defaults)
        let first = janitor((engine, stores))
        let admin = try schema.connect()
        defer { admin.close() }
        let blocker = try schema.connect()
        defer { blocker.close() }
        try blocker.execute("BEGIN")
        try blocker.execute("LOCK TABLE oauth_states IN ACCESS EXCLUSIVE MODE")
        first.start(intervalSeconds: 0.01)
        // (Polled, not slept: the pass is under way once its DELETE waits for the table.)
        let waiting = Date().addingTimeInterval(20)
        while try admin.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'oauth_states'::regclass"
        )[0].int64(0) == 0 && Date() < waiting {
            usleep(10_000)
        }
        #expect(try holders(admin).count == 1, "the janitor leads, in its pass")
        first.stop(timeoutSeconds: 0.1)
        #expect(try holders(admin).count == 1, "the lead was given up while the pass still ran")
        let second = janitor(try node(schema))
        defer { second.stop(timeoutSeconds: 0) }
        #expect(try second.leaderPass() == nil)
        try blocker.execute("ROLLBACK")
        // The pass ends, the loop with it, and the lead goes.
        let ending = Date().addingTimeInterval(20)
        while try !holders(admin).isEmpty && Date() < ending { usleep(10_000) }
        #expect(try holders(admin).isEmpty)
        #expect(try second.leaderPass() != nil)
    }

    /// A pair queued on one node wakes the leading janitor on another at once (the interval
    /// pass is only the fallback).
    @Test func aPairQueuedOnOneNodeWakesTheLeaderOnAnother() throws {
        let schema = try TestSchema(database: "hh_auth_janitor_wake")
        let leaderWake = WakeSignal()
        let leaderNode = try node(schema)
        let leadership = try #require(leaderNode.engine.sharedState).janitorLeadership(leaderWake)
        defer { leadership.resign() }
        #expect(leadership.leads())
        let other = try node(schema)
        let user = try other.engine.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }
        #expect(!leaderWake.wait(until: Date()))
        try other.engine.write { tx in try tx.revocations.enqueue(Self.pair(user.id)) }
        #expect(leaderWake.wait(until: Date().addingTimeInterval(10)))
    }

    private static func pair(_ userID: Int64) -> HHTokenRecord {
        HHTokenRecord(
            userID: userID, accessToken: "access-" + UUID().uuidString, refreshToken: "refresh-" + UUID().uuidString,
            expiresAt: Date().addingTimeInterval(3600), version: 0)
    }
}
