import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@Suite("PGError: kinds, SQLSTATEs and messages without values")
struct ErrorTests {
    static func connect() throws -> PGConnection { try PGConnection(try TestCluster.database("errors")) }

    static func table(_ connection: PGConnection) throws -> String {
        let name = "t_" + UUID().uuidString.prefix(8).lowercased()
        try connection.execute("CREATE TABLE \(name) (id bigint PRIMARY KEY, email text UNIQUE, note text NOT NULL)")
        return name
    }

    @Test func aDuplicateKeyIsAUniqueViolationNamingItsConstraint() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let table = try Self.table(connection)
        try connection.execute("INSERT INTO \(table) VALUES ($1, $2, $3)", [1, "secret-mail@example.org", "n"])
        let error = try #require(throws: PGError.self) {
            try connection.execute("INSERT INTO \(table) VALUES ($1, $2, $3)", [2, "secret-mail@example.org", "n"])
        }
        #expect(error.kind == .uniqueViolation)
        #expect(error.sqlState == "23505")
        #expect(error.constraint == "\(table)_email_key")
        // The server's detail line ("Key (email)=(…) already exists") is not in it.
        #expect(!"\(error)".contains("secret-mail"))
        #expect("\(error)".contains("duplicate key value violates unique constraint"))
    }

    @Test func otherIntegrityFailuresAreConstraintViolations() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let table = try Self.table(connection)
        let error = try #require(throws: PGError.self) {
            try connection.execute("INSERT INTO \(table) (id, note) VALUES ($1, $2)", [1, nil])
        }
        #expect(error.kind == .constraintViolation)
        #expect(error.sqlState == "23502")
    }

    @Test func aValueTheServerRefusesIsInvalidAndNotQuoted() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        for (sql, value) in [("SELECT $1::integer", "Sekrit-Value-123"), ("SELECT $1::timestamptz", "Sekrit-time")] {
            let error = try #require(throws: PGError.self) { try connection.execute(sql, [.text(value)]) }
            #expect(error.kind == .invalidValue)
            #expect(error.sqlState?.hasPrefix("22") == true)
            #expect(!"\(error)".contains("Sekrit"), "\(error)")
            #expect(!String(reflecting: error).contains("Sekrit"))
        }
        let overflow = try #require(throws: PGError.self) {
            try connection.execute("SELECT $1::integer", [9_999_999_999])
        }
        #expect(overflow.sqlState == "22003")
        #expect(!"\(overflow)".contains("9999999999"))
    }

    @Test func aWriteToAReadOnlyTransactionIsReadOnly() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let table = try Self.table(connection)
        try connection.execute("SET default_transaction_read_only = on")
        let error = try #require(throws: PGError.self) {
            try connection.execute("INSERT INTO \(table) VALUES (1, 'a', 'b')")
        }
        #expect(error.kind == .readOnly)
        #expect(error.sqlState == "25006")
    }

    @Test func aStatementTimeoutIsQueryCanceled() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        try connection.execute("SET statement_timeout = '50ms'")
        let error = try #require(throws: PGError.self) { try connection.execute("SELECT pg_sleep(10)") }
        #expect(error.kind == .queryCanceled)
        #expect(error.sqlState == "57014")
        #expect(connection.isConnected)
    }

    @Test func aSyntaxErrorIsOther() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let error = try #require(throws: PGError.self) { try connection.execute("SELEKT 1") }
        #expect(error.kind == .other)
        #expect(error.sqlState == "42601")
        #expect(error.description == #"PostgreSQL other, SQLSTATE 42601: syntax error at or near "SELEKT""#)
    }

    @Test func aScriptRunsSeveralStatementsAndAFailedOneStopsIt() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let last = try connection.executeScript(
            "CREATE TEMPORARY TABLE s (n int); INSERT INTO s VALUES (1), (2); SELECT count(*) FROM s")
        #expect(try last[0].int64(0) == 2)
        let error = try #require(throws: PGError.self) {
            try connection.executeScript("INSERT INTO s VALUES (3); INSERT INTO s VALUES ('x')")
        }
        #expect(error.kind == .invalidValue)
        // One implicit transaction: the first insert went with the second.
        #expect(try connection.execute("SELECT count(*) FROM s")[0].int64(0) == 2)
    }

    @Test func aCopyIsRefusedAndTheConnectionStaysUsable() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        try connection.execute("CREATE TEMPORARY TABLE c (n int)")
        #expect(throws: PGError.self) { try connection.execute("COPY c FROM STDIN") }
        #expect(throws: PGError.self) { try connection.execute("COPY (SELECT 1) TO STDOUT") }
        #expect(try connection.execute("SELECT 5")[0].int64(0) == 5)
    }

    @Test(arguments: [
        ("23505", PGError.Kind.uniqueViolation), ("23503", .constraintViolation), ("23514", .constraintViolation),
        ("40001", .serializationFailure), ("40P01", .serializationFailure), ("25006", .readOnly),
        ("53100", .diskFull), ("57014", .queryCanceled), ("55P03", .queryCanceled), ("57P01", .unavailable),
        ("57P03", .unavailable), ("53300", .unavailable), ("08006", .unavailable), ("08001", .unavailable),
        ("22P02", .invalidValue), ("22001", .invalidValue), ("42P01", .other), ("53200", .other), ("XX000", .other),
    ])
    func sqlStatesMapToKinds(_ sqlState: String, _ kind: PGError.Kind) {
        #expect(PGError.Kind(sqlState: sqlState) == kind)
    }
}
