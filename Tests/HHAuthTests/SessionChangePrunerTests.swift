import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// The janitor leader's pruning of `session_changes`, and the feed's reads of it: only rows of
/// transactions a snapshot at least the pruner's age old saw as ended go, and a transaction still
/// open then keeps its rows; a read fetches each row once, however long another transaction on the
/// server stays open (second review, H1).
@Suite("Session change pruner")
struct SessionChangePrunerTests {
    let clock = ManualClock()

    /// An engine on a schema of its own with user 1001, a connection to read with, and one to
    /// hold a transaction open on. The schema lives as long as the engine's connections need it.
    private func setUp() throws -> (TestSchema, PostgreSQLEngine, User, PGConnection, PGConnection) {
        let schema = try TestSchema()
        let engine = try PostgreSQLEngine(connectionString: schema.conninfo, stores: Fixtures.stores(clock: clock))
        let user = try engine.write { tx in try tx.users.upsert(HHProfile(id: "1001")) }
        return (schema, engine, user, try schema.connect(), try schema.connect())
    }

    private func rows(_ connection: PGConnection) throws -> Int64 {
        try connection.execute("SELECT count(*) FROM session_changes").first?.int64(0) ?? -1
    }

    @Test func rowsGoOnlyOnceASnapshotTakenAfterTheirTransactionIsOldEnough() throws {
        let (schema, engine, user, connection, open) = try setUp()
        defer {
            withExtendedLifetime(schema) {
                connection.close(); open.close()
            }
        }
        var pruner = SessionChangePruner(age: .zero, spacing: .zero)

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

    @Test func eachRowIsReadOnceWhileAnotherTransactionStaysOpen() throws {
        // `open`: a writer that stays open, holding the server's xmin back (another database would do).
        let (schema, engine, user, connection, open) = try setUp()
        defer {
            withExtendedLifetime(schema) {
                connection.close(); open.close()
            }
        }
        try open.execute("BEGIN")
        try open.execute("UPDATE users SET email = 'held@example.com' WHERE id = $1", [.int64(user.id)])
        var reader = ChangeReader()
        #expect(try reader.read(on: connection).changes.isEmpty)  // the first read starts the feed
        for round in 0..<3 {
            try engine.write { tx in
                try tx.tokens.save(
                    userID: user.id, accessToken: "A\(round)", refreshToken: "R\(round)", expiresAt: Date())
            }
            #expect(try reader.read(on: connection).changes == [user.id])
        }
        #expect(try reader.read(on: connection).changes.isEmpty, "rows read before are not fetched again")
        try open.execute("COMMIT")
        #expect(try reader.read(on: connection).changes == [user.id], "the open writer's row, once it commits")
        #expect(try reader.read(on: connection).changes.isEmpty)
    }
}
