import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("PGConnection: a lost connection, a stopped or killed server, and reset", .serialized)
struct ConnectionLossTests {
    @Test func aTerminatedBackendIsConnectionLostAndResetReconnects() throws {
        let conninfo = try TestCluster.database("loss")
        let connection = try PGConnection(conninfo)
        let admin = try PGConnection(conninfo)
        defer {
            connection.close()
            admin.close()
        }
        try connection.prepare("answer", "SELECT 42")
        let pid = try #require(try connection.execute("SELECT pg_backend_pid()")[0].int64(0))
        // Waits (up to 5 s) until the backend has gone.
        #expect(try admin.execute("SELECT pg_terminate_backend($1::integer, 5000)", [.int64(pid)])[0].bool(0) == true)

        let error = try #require(throws: PGError.self) { try connection.execute("SELECT 1") }
        #expect(error.kind == .connectionLost)
        #expect(!connection.isConnected)
        #expect(throws: PGError.self) { try connection.executePrepared("answer") }

        try connection.reset()
        #expect(connection.isConnected)
        #expect(try connection.execute("SELECT pg_backend_pid()")[0].int64(0) != pid)
        #expect(try connection.executePrepared("answer")[0].int64(0) == 42)
    }

    @Test func aStoppedOrKilledServerIsUnavailableUntilItIsBack() throws {
        let cluster = try TestCluster.own("loss")
        defer { try? cluster.stop() }
        let connection = try PGConnection(cluster.conninfo)
        defer { connection.close() }
        try connection.execute("CREATE TABLE kept (n int)")
        try connection.execute("INSERT INTO kept VALUES (1)")

        // Stopped: the server ends the session; new connections are refused.
        try cluster.stop()
        let lost = try #require(throws: PGError.self) { try connection.execute("SELECT 1") }
        #expect(lost.kind == .connectionLost)
        #expect(!connection.isConnected)
        let refused = try #require(throws: PGError.self) { try connection.reset() }
        #expect(refused.kind == .unavailable)
        let fresh = try #require(throws: PGError.self) { try PGConnection(cluster.conninfo) }
        #expect(fresh.kind == .unavailable)

        try cluster.start()
        try connection.reset()
        #expect(try connection.execute("SELECT count(*) FROM kept")[0].int64(0) == 1)

        // Killed: the postmaster gets SIGKILL; its backends exit on noticing. The next start
        // recovers from the crash, and the committed row is there.
        #expect(kill(try cluster.postmasterPID(), SIGKILL) == 0)
        let killed = try #require(throws: PGError.self) {
            // A backend that has not yet noticed may answer one more statement; the second fails.
            for _ in 0..<100 { try connection.execute("SELECT pg_sleep(0.01)") }
        }
        #expect(killed.kind == .connectionLost)
        try cluster.start()
        try connection.reset()
        #expect(try connection.execute("SELECT count(*) FROM kept")[0].int64(0) == 1)
    }
}
