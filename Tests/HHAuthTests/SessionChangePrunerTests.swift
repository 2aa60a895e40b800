import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// The janitor leader's pruning of `session_changes`: only rows of transactions that had ended
/// before a snapshot at least the pruner's age old go; a transaction still open then keeps its rows.
/// (The janitor leader's pass runs it: `JanitorLeaderTests`.)
@Suite("Session change pruner")
struct SessionChangePrunerTests {
    let clock = ManualClock()

    private func rows(_ connection: PGConnection) throws -> Int64 {
        try connection.execute("SELECT count(*) FROM session_changes").first?.int64(0) ?? -1
    }

    @Test func rowsGoOnlyOnceASnapshotTakenAfterTheirTransactionIsOldEnough() throws {
        // A cluster of its own: `xmin` is the whole server's, and other tests' transactions would
        // hold it back.
        let cluster = try TestCluster.own("prune")
        defer { try? cluster.stop() }
        let engine = try PostgreSQLEngine(connectionString: cluster.conninfo, stores: Fixtures.stores(clock: clock))
        let user = try engine.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }
        let connection = try PGConnection(cluster.conninfo)
        defer { connection.close() }
        let open = try PGConnection(cluster.conninfo)
        defer { open.close() }
        var pruner = SessionChangePruner(age: .zero)

        try pruner.pass(on: connection)  // a first snapshot: nothing old enough yet
        try engine.write { tx in
            try tx.tokens.save(userID: user.id, accessToken: "A0", refreshToken: "R0", expiresAt: Date())
        }
        try open.execute("BEGIN")
        try open.execute("UPDATE users SET email = 'x@example.com' WHERE id = $1", [.int64(user.id)])
        #expect(try rows(connection) == 1)  // the open transaction's row is not visible yet

        try pruner.pass(on: connection)  // prunes below the first snapshot: the token's row stays
        #expect(try rows(connection) == 1)
        try open.execute("COMMIT")
        #expect(try rows(connection) == 2)
        try pruner.pass(on: connection)  // below the second: the token's row goes; the update, open then, stays
        #expect(try rows(connection) == 1)
        try pruner.pass(on: connection)  // below the third, taken after the update committed
        #expect(try rows(connection) == 0)
    }
}
