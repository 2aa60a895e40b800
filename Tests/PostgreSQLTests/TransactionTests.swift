import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@Suite("PGConnection: transactions")
struct TransactionTests {
    static func connect() throws -> PGConnection { try PGConnection(try TestCluster.database("transactions")) }

    struct Refusal: Error {}

    /// A table of this test's own in the suite's database (other connections must see it).
    static func table(_ connection: PGConnection) throws -> String {
        let name = "t_" + UUID().uuidString.prefix(8).lowercased()
        try connection.execute("CREATE TABLE \(name) (id bigint PRIMARY KEY, note text)")
        return name
    }

    static func ids(_ connection: PGConnection, _ table: String) throws -> [Int64] {
        try connection.execute("SELECT id FROM \(table) ORDER BY id").map { try $0.int64(0)! }
    }

    @Test func aTransactionCommitsWhenItsBodyReturns() throws {
        let connection = try Self.connect()
        let observer = try Self.connect()
        defer {
            connection.close()
            observer.close()
        }
        let table = try Self.table(connection)
        let value = try connection.transaction { tx in
            try tx.execute("INSERT INTO \(table) VALUES ($1, $2)", [1, "one"])
            try tx.execute("INSERT INTO \(table) VALUES ($1, $2)", [2, "two"])
            // Not visible outside before the commit.
            #expect(try Self.ids(observer, table) == [])
            return "done"
        }
        #expect(value == "done")
        #expect(try Self.ids(observer, table) == [1, 2])
    }

    @Test func aTransactionRollsBackWhenItsBodyThrows() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let table = try Self.table(connection)
        #expect(throws: Refusal.self) {
            try connection.transaction { tx in
                try tx.execute("INSERT INTO \(table) VALUES ($1, $2)", [1, "one"])
                throw Refusal()
            }
        }
        #expect(try Self.ids(connection, table) == [])
        // The connection is out of the transaction and works.
        try connection.transaction { tx in try tx.execute("INSERT INTO \(table) VALUES (3, 'three')") }
        #expect(try Self.ids(connection, table) == [3])
    }

    @Test func aFailedStatementTheBodyCaughtStillRollsTheTransactionBack() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let table = try Self.table(connection)
        try connection.execute("INSERT INTO \(table) VALUES (1, 'one')")
        let error = try #require(throws: PGError.self) {
            try connection.transaction { tx in
                try tx.execute("INSERT INTO \(table) VALUES (2, 'two')")
                do {
                    try tx.execute("INSERT INTO \(table) VALUES (1, 'again')")
                } catch let error as PGError {
                    #expect(error.kind == .uniqueViolation)
                }
            }
        }
        #expect(error.kind == .uniqueViolation)
        #expect(try Self.ids(connection, table) == [1])
    }

    @Test func transactionsDoNotNest() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let error = try #require(throws: PGError.self) {
            try connection.transaction { tx in try tx.transaction { _ in } }
        }
        #expect(error.kind == .other)
        #expect(try connection.execute("SELECT 1")[0].int64(0) == 1)
    }

    @Test func anIsolationLevelIsTheTransactions() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        for level in [PGIsolationLevel.readCommitted, .repeatableRead, .serializable] {
            let shown = try connection.transaction(isolation: level) { tx in
                try tx.execute("SHOW transaction_isolation")[0].string(0)
            }
            #expect(shown == level.rawValue.lowercased())
        }
    }

    @Test func aConcurrentUpdateFailsARepeatableReadTransactionAsASerializationFailure() throws {
        let connection = try Self.connect()
        let other = try Self.connect()
        defer {
            connection.close()
            other.close()
        }
        let table = try Self.table(connection)
        try connection.execute("INSERT INTO \(table) VALUES (1, 'one')")
        let error = try #require(throws: PGError.self) {
            try connection.transaction(isolation: .repeatableRead) { tx in
                #expect(try tx.execute("SELECT note FROM \(table) WHERE id = 1")[0].string(0) == "one")
                try other.execute("UPDATE \(table) SET note = 'other' WHERE id = 1")
                try tx.execute("UPDATE \(table) SET note = 'mine' WHERE id = 1")
            }
        }
        #expect(error.kind == .serializationFailure)
        #expect(error.sqlState == "40001")
        #expect(try connection.execute("SELECT note FROM \(table)")[0].string(0) == "other")
    }

    /// Another thread's statement on the same connection waits for the transaction to end instead
    /// of joining it: here it survives the transaction's rollback.
    @Test func anotherThreadsStatementWaitsForTheTransaction() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let table = try Self.table(connection)
        let aboutToRun = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let outcome = LockedValue<Result<Int, PGError>?>(nil)
        #expect(throws: Refusal.self) {
            try connection.transaction { tx in
                try tx.execute("INSERT INTO \(table) VALUES (1, 'mine')")
                Thread {
                    aboutToRun.signal()
                    let result = Result { () throws(PGError) in
                        try connection.execute("INSERT INTO \(table) VALUES (2, 'theirs')").affectedRows
                    }
                    outcome.withLock { $0 = result }
                    finished.signal()
                }.start()
                aboutToRun.wait()
                // A round trip while the other thread tries its statement.
                try tx.execute("SELECT pg_sleep(0.05)")
                throw Refusal()
            }
        }
        finished.wait()
        #expect(try outcome.withLock { $0 }?.get() == 1)
        #expect(try Self.ids(connection, table) == [2])
    }
}
