import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

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

    /// Rows enough for a few hundred kilobytes, as a large flush's `RETURNING` answers.
    private static let largeAnswer = "SELECT i, repeat('x', 1000) FROM generate_series(1, 300) AS i"

    /// A large answer over TCP arrives whole within the deadline.
    @Test func aLargeAnswerOverTCPArrivesWhole() throws {
        let relay = try BlackHoleRelay(forwardingTo: try TestCluster.database("deadline"))
        defer { relay.close() }
        let connection = try connect(relay.conninfo, seconds: 10)
        defer { connection.close() }
        let started = ContinuousClock.now
        let rows = try connection.execute(Self.largeAnswer)
        #expect(rows.count == 300)
        #expect(try rows[299].string(1)?.count == 1000)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// Over SSL, an answer whose last part waits in OpenSSL's buffer (where poll cannot see it)
    /// is read, not waited on until the deadline: a cluster of the test's own with `ssl = on`,
    /// a self-signed certificate and a loopback TCP port, connected with `sslmode=require`.
    @Test func aLargeAnswerOverSSLArrivesWithinTheDeadline() throws {
        let cluster = try TestCluster.own("ssl")
        defer { try? cluster.stop() }
        let port = try Self.freeLoopbackPort()
        let admin = try PGConnection(cluster.conninfo)
        // Made by the server's own user, in its data directory (its working directory): the key
        // must be the server's and private to it.
        try admin.execute(
            """
            COPY (SELECT 1) TO PROGRAM 'openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
            -keyout server.key -out server.crt >/dev/null 2>&1 && chmod 600 server.key \
            && printf "hostssl all all 127.0.0.1/32 trust\\n" >> pg_hba.conf'
            """)
        try admin.execute("ALTER SYSTEM SET ssl = on")
        try admin.execute("ALTER SYSTEM SET listen_addresses = '127.0.0.1'")
        try admin.execute("ALTER SYSTEM SET port = \(port)")
        admin.close()
        try cluster.stop()
        try cluster.start()
        let connection = try connect(
            "host=127.0.0.1 port=\(port) user=postgres dbname=postgres sslmode=require", seconds: 10)
        defer { connection.close() }
        let ssl = try connection.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        #expect(try ssl[0].bool(0) == true)
        for _ in 0..<3 {
            let started = ContinuousClock.now
            let rows = try connection.execute(Self.largeAnswer)
            #expect(rows.count == 300)
            #expect(ContinuousClock.now - started < .seconds(5), "the answer waited for the deadline")
        }
    }

    /// A loopback TCP port nothing listens on now.
    private static func freeLoopbackPort() throws -> UInt16 {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(probe, $0, length) == 0 && getsockname(probe, $0, &length) == 0
            }
        }
        try #require(bound)
        return UInt16(bigEndian: address.sin_port)
    }
}
