import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@Suite("PGConnection: opening, closing, connection strings")
struct ConnectionTests {
    /// A password made up per run, so no password-shaped literal sits in git; hex, so it needs no
    /// escaping in a URL or a conninfo.
    static let password = "pw" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()

    static func conninfo() throws -> String { try TestCluster.database("connection") }

    @Test func connectsWithAConninfoAndCloses() throws {
        let connection = try PGConnection(try Self.conninfo())
        #expect(connection.isConnected)
        let result = try connection.execute("SELECT current_database(), current_user")
        #expect(result.count == 1)
        #expect(try result[0].string(0) == "connection")
        #expect(try result[0].string(1) == "postgres")

        connection.close()
        #expect(!connection.isConnected)
        #expect(throws: PGError.self) { try connection.execute("SELECT 1") }
        do {
            try connection.execute("SELECT 1")
        } catch {
            #expect(error.kind == .connectionLost)
        }
        connection.close()  // twice: nothing happens
        #expect(throws: PGError.self) { try connection.reset() }
    }

    @Test func connectsWithAURL() throws {
        let cluster = try TestCluster.shared()
        _ = try TestCluster.database("connection")
        let url = cluster.url.replacingOccurrences(of: "/postgres?", with: "/connection?")
        #expect(url.hasPrefix("postgresql://postgres@/connection?host="))
        let connection = try PGConnection(url)
        defer { connection.close() }
        #expect(try connection.execute("SELECT current_database()")[0].string(0) == "connection")
    }

    @Test func speaksUTF8WhateverTheStringAsks() throws {
        let connection = try PGConnection(try Self.conninfo() + " client_encoding=LATIN1")
        defer { connection.close() }
        #expect(try connection.execute("SHOW client_encoding")[0].string(0) == "UTF8")
    }

    @Test func theConnectionStringsDescriptionHidesThePassword() throws {
        let url = try PGConnectionString("postgresql://app:\(Self.password)@db.example:5433/hh_auth?sslmode=require")
        #expect(url.value(of: "host") == "db.example")
        #expect(url.value(of: "port") == "5433")
        #expect(url.value(of: "dbname") == "hh_auth")
        #expect(url.value(of: "sslmode") == "require")
        #expect(url.description.contains("password=***"))
        #expect(url.description.contains("host=db.example"))
        #expect(!url.description.contains(Self.password))

        let conninfo = try PGConnectionString(
            "host=/run/postgresql dbname=hh_auth password='\(Self.password) \(Self.password)'")
        #expect(conninfo.value(of: "password") == "\(Self.password) \(Self.password)")
        #expect(!conninfo.description.contains(Self.password))

        // A bare word is a database name, as libpq takes it.
        #expect(try PGConnectionString("hh_auth").value(of: "dbname") == "hh_auth")
    }

    /// The password of a client key (`sslpassword`) is as secret as the password.
    @Test func theConnectionStringsDescriptionHidesTheKeysPassword() throws {
        let conninfo = try PGConnectionString("host=db.example dbname=hh_auth sslpassword=\(Self.password)")
        #expect(conninfo.value(of: "sslpassword") == Self.password)
        #expect(conninfo.description.contains("sslpassword=***"))
        #expect(!conninfo.description.contains(Self.password))
        let url = try PGConnectionString("postgresql://app@db.example/hh_auth?sslpassword=\(Self.password)")
        #expect(!url.description.contains(Self.password))
    }

    /// Doubles read back are the doubles written, whatever the database sets `extra_float_digits`
    /// to (below 1, or a server before 12, prints 15 digits: not every double's value).
    @Test func doublesRoundTripWhateverTheDatabaseSetsForTheirDigits() throws {
        let conninfo = try TestCluster.database("float_digits")
        let admin = try PGConnection(conninfo)
        defer { admin.close() }
        try admin.execute("ALTER DATABASE float_digits SET extra_float_digits = 0")
        let connection = try PGConnection(conninfo)
        defer { connection.close() }
        for value in [
            1_750_000_000.123_456_7, 0.1 + 0.2, Double.pi, Double.leastNonzeroMagnitude, 1.797_693_134_862_315_7e308,
        ] {
            #expect(try connection.execute("SELECT $1::float8", [.double(value)])[0].double(0) == value, "\(value)")
        }
    }

    @Test func anUnparsableStringIsRefusedWithoutQuotingIt() throws {
        for text in ["postgresql://app:\(Self.password)%zz@host/db", "host=/tmp dbname", "nonsense=\(Self.password)"] {
            let error = try #require(throws: PGError.self) { try PGConnection(text) }
            #expect(error.kind == .invalidConnectionString, "\(text)")
            #expect(!"\(error)".contains(Self.password), "\(error)")
            #expect(!String(reflecting: error).contains(Self.password))
        }
    }

    @Test func anUnreachableServerIsUnavailableAndItsMessageHasNoPassword() throws {
        let strings = [
            "postgresql://postgres:\(Self.password)@/postgres?host=/nonexistent/hh-auth-pg",
            "host=/nonexistent/hh-auth-pg user=postgres password=\(Self.password)",
        ]
        for text in strings {
            let error = try #require(throws: PGError.self) { try PGConnection(text) }
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("/nonexistent/hh-auth-pg"), "\(error)")
            #expect(!"\(error)".contains(Self.password), "\(error)")
            #expect(!String(reflecting: error).contains(Self.password))
        }
    }

    @Test func aServerMessageThatQuotesThePasswordIsScrubbed() throws {
        // Trust authentication ignores the password; the server echoes a name that happens to be it.
        let connection = try PGConnection(try Self.conninfo() + " password=\(Self.password)")
        defer { connection.close() }
        let error = try #require(throws: PGError.self) { try connection.execute("SELECT * FROM \"\(Self.password)\"") }
        #expect(error.sqlState == "42P01")
        #expect(error.message == #"relation "***" does not exist"#)
        #expect(!"\(error)".contains(Self.password))
    }

    @Test func aDatabaseThatDoesNotExistIsUnavailable() throws {
        let conninfo = try Self.conninfo().replacingOccurrences(of: "dbname=connection", with: "dbname=nosuchdb")
        let error = try #require(throws: PGError.self) { try PGConnection(conninfo) }
        #expect(error.kind == .unavailable)
        #expect(error.message.contains(#"database "nosuchdb" does not exist"#), "\(error)")
    }
}
