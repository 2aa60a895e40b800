import PostgreSQL
import PostgreSQLTestSupport
import Testing

@Suite("PGConnection: prepared statements")
struct PreparedStatementTests {
    static func connect() throws -> PGConnection { try PGConnection(try TestCluster.database("prepared")) }

    /// What the server holds prepared in this session, by name.
    static func preparedOnServer(_ connection: PGConnection) throws -> [String: String] {
        let rows = try connection.execute("SELECT name, statement FROM pg_prepared_statements")
        return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.string(0)!, try $0.string(1)!) })
    }

    @Test func aPreparedStatementIsReusedWithNewParameters() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let sql = "SELECT $1::bigint * 2, $2::text || '!'"
        try connection.prepare("double_it", sql)
        for value in Int64(1)...5 {
            let row = try connection.executePrepared("double_it", [.int64(value), .text("n\(value)")])[0]
            #expect(try row.int64(0) == value * 2)
            #expect(try row.string(1) == "n\(value)!")
        }
        // Preparing it again is a no-op; the server holds it once.
        try connection.prepare("double_it", sql)
        #expect(try Self.preparedOnServer(connection) == ["double_it": sql])
    }

    @Test func aNameTakenByOtherSQLOrNeverPreparedIsRefused() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        try connection.prepare("one", "SELECT 1")
        let taken = try #require(throws: PGError.self) { try connection.prepare("one", "SELECT 2") }
        #expect(taken.kind == .other)
        let unknown = try #require(throws: PGError.self) { try connection.executePrepared("two") }
        #expect(unknown.kind == .other)
        #expect(try connection.executePrepared("one")[0].int64(0) == 1)
    }

    @Test func aStatementThatDoesNotPrepareIsNotRemembered() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let error = try #require(throws: PGError.self) { try connection.prepare("broken", "SELEKT 1") }
        #expect(error.sqlState == "42601")
        #expect(throws: PGError.self) { try connection.executePrepared("broken") }
        try connection.prepare("broken", "SELECT 3")
        #expect(try connection.executePrepared("broken")[0].int64(0) == 3)
    }

    @Test func preparedStatementsComeBackAfterAReset() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        try connection.prepare("echo", "SELECT $1::text")
        #expect(try connection.executePrepared("echo", ["a"])[0].string(0) == "a")
        try connection.reset()
        #expect(try Self.preparedOnServer(connection).isEmpty)
        #expect(try connection.executePrepared("echo", ["b"])[0].string(0) == "b")
        #expect(try Self.preparedOnServer(connection).keys.sorted() == ["echo"])
    }

    @Test func twoConnectionsPrepareTheSameNameIndependently() throws {
        let first = try Self.connect()
        let second = try Self.connect()
        defer {
            first.close()
            second.close()
        }
        try first.prepare("q", "SELECT 'first'")
        try second.prepare("q", "SELECT 'second'")
        #expect(try first.executePrepared("q")[0].string(0) == "first")
        #expect(try second.executePrepared("q")[0].string(0) == "second")
    }
}
