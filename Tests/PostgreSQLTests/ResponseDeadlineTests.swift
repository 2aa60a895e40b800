import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

/// ``PGConnectionDefaults/responseTimeoutSeconds``: the client's own deadline for an answer.
@Suite("PGConnection: the response deadline", .serialized)
struct ResponseDeadlineTests {
    private func connect(_ conninfo: String, seconds: Double) throws -> PGConnection {
        try PGConnection(
            try PGConnectionString(conninfo),
            defaults: PGConnectionDefaults(connectTimeoutSeconds: 2, responseTimeoutSeconds: seconds))
    }

    /// With a deadline, calls answer as without one: rows, several statements, errors by kind,
    /// prepared statements, transactions and their rollback.
    @Test func callsWithADeadlineAnswerAsWithout() throws {
        let connection = try connect(try TestCluster.database("deadline"), seconds: 10)
        defer { connection.close() }
        #expect(try connection.execute("SELECT $1::bigint + 1", [.int64(41)])[0].int64(0) == 42)
        let last = try connection.executeScript(
            "CREATE TEMPORARY TABLE t (id bigint PRIMARY KEY); INSERT INTO t VALUES (1); SELECT count(*) FROM t")
        #expect(try last[0].int64(0) == 1)
        let duplicate = try #require(throws: PGError.self) { try connection.execute("INSERT INTO t VALUES (1)") }
        #expect(duplicate.kind == .uniqueViolation)
        try connection.prepare("count", "SELECT count(*) FROM t WHERE id >= $1")
        #expect(try connection.executePrepared("count", [.int64(0)])[0].int64(0) == 1)
        #expect(throws: PGError.self) {
            try connection.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (2)")
                throw PGError(.other, "the body gave up")
            }
        }
        #expect(try connection.execute("SELECT count(*) FROM t")[0].int64(0) == 1)
        #expect(throws: PGError.self) { try connection.executeScript("SELECT 1; SELECT 1/0; SELECT 2") }
        #expect(try connection.execute("SELECT 3")[0].int64(0) == 3)
    }

    /// A server that stops answering behind a connection the kernel keeps: the call ends at the
    /// deadline as a lost connection (``PGConnection/reset()`` reconnects).
    @Test func aSilentServerEndsTheCallAtTheDeadline() throws {
        let conninfo = try TestCluster.database("deadline")
        let relay = try BlackHoleRelay(forwardingTo: conninfo)
        defer { relay.close() }
        let connection = try connect(relay.conninfo, seconds: 0.5)
        defer { connection.close() }
        #expect(try connection.execute("SELECT 1")[0].int64(0) == 1)
        relay.blackHole()
        let started = ContinuousClock.now
        let error = try #require(throws: PGError.self) { try connection.execute("SELECT 1") }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(error.kind == .connectionLost)
        #expect(!connection.isConnected)
    }
}
