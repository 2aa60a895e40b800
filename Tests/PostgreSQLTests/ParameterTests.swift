import PostgreSQL
import PostgreSQLTestSupport
import Testing

@Suite("PGConnection: parameters and typed columns")
struct ParameterTests {
    static func connect() throws -> PGConnection { try PGConnection(try TestCluster.database("parameters")) }

    static let texts = [
        "", "plain", "Привет, мир: ёЁ", "emoji 🎉 👩‍👩‍👧 and 𝄞", "quote ' and \\ and $1",
        String(repeating: "щ", count: 100_000),
    ]

    @Test(arguments: texts) func textRoundTrips(_ text: String) throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let row = try connection.execute("SELECT $1::text, length($1::text), $1", [.text(text)])[0]
        #expect(try row.string(0) == text)
        #expect(try row.int64(1) == Int64(text.unicodeScalars.count))  // length() counts code points
        #expect(try row.string(2) == text)
    }

    @Test func integersRoundTrip() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        for value in [0, 1, -1, Int64.max, Int64.min, 2_147_483_648] {
            let row = try connection.execute("SELECT $1, $1 + 0, pg_typeof($1)::text", [.int64(value)])[0]
            #expect(try row.int64(0) == value)
            #expect(try row.int64(1) == value)
            #expect(try row.string(2) == "bigint")
        }
        // An int8 parameter compares with and is stored into integer columns.
        let small = try connection.execute("SELECT 7::integer = $1, 7::smallint", [7])[0]
        #expect(try small.bool(0) == true)
        #expect(try small.int64(1) == 7)
    }

    @Test func doublesRoundTripExactly() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let values: [Double] = [
            0, -0.0, 0.1, -1.5, .pi, 1e300, -1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
            1_700_000_000.123456, .infinity, -.infinity,
        ]
        for value in values {
            let row = try connection.execute("SELECT $1, pg_typeof($1)::text", [.double(value)])[0]
            let back = try #require(try row.double(0))
            #expect(back.bitPattern == value.bitPattern, "\(value) came back as \(back)")
            #expect(try row.string(1) == "double precision")
        }
        let nan = try connection.execute("SELECT $1, $1 = 'NaN'::float8", [.double(.nan)])[0]
        #expect(try nan.double(0)?.isNaN == true)
        #expect(try nan.bool(1) == true)
        // Integers and numeric read as doubles too.
        let other = try connection.execute("SELECT 42::bigint, 2.5::numeric, 1.5::real")[0]
        #expect(try other.double(0) == 42)
        #expect(try other.double(1) == 2.5)
        #expect(try other.double(2) == 1.5)
    }

    @Test func booleansRoundTrip() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let row = try connection.execute("SELECT $1, $2, NOT $1, pg_typeof($1)::text", [true, false])[0]
        #expect(try row.bool(0) == true)
        #expect(try row.bool(1) == false)
        #expect(try row.bool(2) == false)
        #expect(try row.string(3) == "boolean")
    }

    static let byteStrings: [[UInt8]] = [
        [], [0], [0, 0, 0], [0, 1, 2, 0, 255, 0], Array(0...255), [0x5C, 0x78, 0x30, 0x30],
    ]

    @Test(arguments: byteStrings) func byteaRoundTrips(_ bytes: [UInt8]) throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let row = try connection.execute("SELECT $1, length($1), pg_typeof($1)::text", [.bytea(bytes)])[0]
        #expect(try row.bytes(0) == bytes)
        #expect(try row.int64(1) == Int64(bytes.count))
        #expect(try row.string(2) == "bytea")
    }

    @Test func nullsOfEveryTypeAreNil() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let none: [PGParameter] = [
            PGParameter(nil as String?), PGParameter(nil as Int64?), PGParameter(nil as Int?),
            PGParameter(nil as Double?),
            PGParameter(nil as Bool?), PGParameter(nil as [UInt8]?), nil,
        ]
        #expect(none.allSatisfy { $0 == .null })
        let row = try connection.execute(
            "SELECT $1::text, $2::bigint, $3::bigint, $4::float8, $5::boolean, $6::bytea, $7::text, $1::text IS NULL",
            none)[0]
        for column in 0..<7 { #expect(try row.isNull(column)) }
        #expect(try row.string(0) == nil)
        #expect(try row.int64(1) == nil)
        #expect(try row.int64(2) == nil)
        #expect(try row.double(3) == nil)
        #expect(try row.bool(4) == nil)
        #expect(try row.bytes(5) == nil)
        #expect(try row.string(6) == nil)
        #expect(try row.bool(7) == true)
        #expect(try !row.isNull(7))
    }

    @Test func valuesOfEveryTypeGoIntoATableAndComeBack() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        try connection.execute(
            "CREATE TEMPORARY TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, name text, n bigint, x double precision, flag boolean, blob bytea)"
        )
        let rows: [[PGParameter]] = [
            ["Ёжик 🦔", 9_007_199_254_740_993, 0.30000000000000004, true, .bytea([0, 0xFF, 0])],
            [nil, nil, nil, nil, nil],
            [PGParameter("x"), PGParameter(12 as Int?), PGParameter(2.5), PGParameter(false), PGParameter([UInt8]())],
        ]
        for row in rows {
            let insert = try connection.execute(
                "INSERT INTO t (name, n, x, flag, blob) VALUES ($1, $2, $3, $4, $5)", row)
            #expect(insert.affectedRows == 1)
            #expect(insert.commandTag == "INSERT 0 1")
        }
        let result = try connection.execute("SELECT id, name, n, x, flag, blob FROM t ORDER BY id")
        #expect(result.count == 3)
        #expect(result.columnCount == 6)
        #expect(result.columnName(5) == "blob")
        #expect(result.columnIndex(named: "flag") == 4)
        #expect(result.columnIndex(named: "nope") == nil)
        #expect(result.map { try! $0.int64(0)! } == [1, 2, 3])
        #expect(try result[0].string(1) == "Ёжик 🦔")
        #expect(try result[0].int64(2) == 9_007_199_254_740_993)
        #expect(try result[0].double(3) == 0.30000000000000004)
        #expect(try result[0].bool(4) == true)
        #expect(try result[0].bytes(5) == [0, 0xFF, 0])
        for column in 1...5 { #expect(try result[1].isNull(column)) }
        #expect(try result[2].bytes(5) == [])
        #expect(try result[2].bool(4) == false)

        let update = try connection.execute("UPDATE t SET flag = $1 WHERE id >= $2", [true, 1])
        #expect(update.affectedRows == 3)
        #expect(update.count == 0)
        #expect(try connection.execute("DELETE FROM t WHERE id = $1", [99]).affectedRows == 0)
    }

    @Test func textHoldingNULIsRefusedBeforeItIsSent() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let error = try #require(throws: PGError.self) { try connection.execute("SELECT $1", ["a\u{0}b"]) }
        #expect(error.kind == .invalidValue)
        #expect(error.sqlState == nil)
        #expect(try connection.execute("SELECT 1")[0].int64(0) == 1)
    }

    @Test func aColumnReadAsATypeItDoesNotHoldThrows() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let row = try connection.execute("SELECT 'abc-Sekrit'::text AS word, 5::integer, 'yes'::text, 1.5::float8")[0]
        let notInteger = try #require(throws: PGError.self) { try row.int64(0) }
        #expect(notInteger.kind == .invalidValue)
        #expect(notInteger.message.contains("word"))
        #expect(!"\(notInteger)".contains("Sekrit"))
        #expect(throws: PGError.self) { try row.double(0) }
        #expect(throws: PGError.self) { try row.bool(1) }
        #expect(throws: PGError.self) { try row.bool(2) }
        #expect(throws: PGError.self) { try row.bytes(0) }
        #expect(throws: PGError.self) { try row.int64(3) }
        #expect(throws: PGError.self) { try row.string(4) }
        #expect(throws: PGError.self) { try row.isNull(-1) }
        #expect(try row.string(1) == "5")
    }

    @Test func anEmptyStatementHasNoRows() throws {
        let connection = try Self.connect()
        defer { connection.close() }
        let result = try connection.execute("")
        #expect(result.isEmpty)
        #expect(result.affectedRows == 0)
    }
}
