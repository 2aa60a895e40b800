import Foundation
import Testing

@testable import HHAuth

/// `DATABASE_URL` selects PostgreSQL, `DATABASE_PATH` SQLite; the URL is a secret.
@Suite("ConfigurationParser: the database")
struct ConfigurationDatabaseTests {
    /// A password made per run: no password-shaped literal in the tests.
    let password = "pw" + UUID().uuidString.replacingOccurrences(of: "-", with: "")

    private func parse(_ changes: [String: String]) throws(ConfigurationError) -> Configuration {
        try ConfigurationParser(settings: ConfigurationParserTests.minimal.merging(changes) { _, new in new }).parse()
    }

    private func failure(_ changes: [String: String]) -> ConfigurationError? {
        do {
            _ = try parse(changes)
            return nil
        } catch {
            return error
        }
    }

    @Test func neitherSetIsSQLiteInTheWorkingDirectory() throws {
        #expect(try parse([:]).database == .sqlite(path: "hh-auth.sqlite3"))
        #expect(try ConfigurationParser(settings: [:]).database() == nil)
    }

    @Test func theSessionCacheBoundIsAHundredMillisecondsUnlessSet() throws {
        #expect(try parse([:]).sessionCacheMilliseconds == 100)
        #expect(try parse(["SESSION_CACHE_MS": "0"]).sessionCacheMilliseconds == 0)
        #expect(try parse(["SESSION_CACHE_MS": "2500"]).sessionCacheMilliseconds == 2500)
        for refused in ["-1", "1", "19", "10001", "0.5", "soon"] {
            #expect(failure(["SESSION_CACHE_MS": refused])?.setting == "SESSION_CACHE_MS", "\(refused)")
        }
    }

    @Test func theAdminThrottleLetsHalfTheWorkersWaitForItsTurn() throws {
        #expect(try parse([:]).admin.concurrentChecks == 16)
        #expect(try parse(["WORKER_THREADS": "8"]).admin.concurrentChecks == 4)
        #expect(try parse(["WORKER_THREADS": "1"]).admin.concurrentChecks == 1)
    }

    @Test func databasePathSelectsSQLite() throws {
        #expect(try parse(["DATABASE_PATH": "/var/lib/x.sqlite3"]).database == .sqlite(path: "/var/lib/x.sqlite3"))
    }

    @Test(arguments: ["postgresql://", "postgres://"])
    func databaseURLSelectsPostgreSQL(_ scheme: String) throws {
        let url = "\(scheme)hh:\(password)@db.example.com:5433/hh_auth"
        let configuration = try parse(["DATABASE_URL": url])
        #expect(configuration.database == .postgreSQL(connectionString: url))
        #expect(configuration.database.sqlitePath == nil)
    }

    @Test func theURLMayComeFromAFileOrTheCredentialsDirectory() throws {
        let url = "postgresql://hh:\(password)@db.example.com/hh_auth"
        let fromFile = try ConfigurationParser(
            settings: ConfigurationParserTests.minimal.merging(["DATABASE_URL_FILE": "/run/secret"]) { _, new in new },
            readFile: { $0 == "/run/secret" ? url : nil }
        ).parse()
        #expect(fromFile.database == .postgreSQL(connectionString: url))
        let fromCredentials = try ConfigurationParser(
            settings: ConfigurationParserTests.minimal.merging(["CREDENTIALS_DIRECTORY": "/run/creds"]) { _, new in new
            },
            readFile: { $0 == "/run/creds/database_url" ? url : nil }
        ).parse()
        #expect(fromCredentials.database == .postgreSQL(connectionString: url))
        let unreadable = ConfigurationParser(
            settings: ConfigurationParserTests.minimal.merging(["DATABASE_URL_FILE": "/nowhere"]) { _, new in new },
            readFile: { _ in nil })
        #expect(throws: ConfigurationError("DATABASE_URL_FILE", "cannot read /nowhere")) { try unreadable.parse() }
    }

    /// Documented precedence: the URL wins, and the warnings at start say the path is not read.
    @Test func theURLWinsOverAPathAndAWarningSaysSo() throws {
        let url = "postgresql://hh:\(password)@db.example.com/hh_auth"
        let settings = ConfigurationParserTests.minimal.merging([
            "DATABASE_URL": url, "DATABASE_PATH": "/var/lib/hh-auth/hh-auth.sqlite3",
        ]) { _, new in new }
        let parser = ConfigurationParser(settings: settings)
        #expect(try parser.parse().database == .postgreSQL(connectionString: url))
        #expect(parser.warnings().contains(ConfigurationParser.databasePathIgnored))
        #expect(
            !ConfigurationParser(settings: ConfigurationParserTests.minimal).warnings().contains {
                $0.hasPrefix("DATABASE_PATH")
            })
    }

    @Test(arguments: [
        "mysql://hh:secret-part@db/hh", "sqlite:///var/lib/hh.sqlite3", "host=db dbname=hh", "/var/lib/hh.sqlite3",
        "POSTGRESQL://db/hh",
    ])
    func anotherSchemeIsRefusedWithoutQuotingTheURL(_ url: String) throws {
        let error = try #require(failure(["DATABASE_URL": url]))
        #expect(error.setting == "DATABASE_URL")
        #expect(error.description.contains("postgresql://"))
        #expect(!error.description.contains(url))
        #expect(!error.description.contains("secret-part"))
    }

    @Test func aURLLibpqCannotParseIsRefusedWithoutQuotingIt() throws {
        let error = try #require(failure(["DATABASE_URL": "postgresql://hh:\(password)@db/hh?nonsense_option=1"]))
        #expect(error.setting == "DATABASE_URL")
        #expect(!error.description.contains(password))
    }

    /// The description names where the database is, never the password (nor `sslpassword`).
    @Test func theDescriptionMasksEverySecret() throws {
        let url =
            "postgresql://hh:\(password)@db.example.com:5433/hh_auth?sslpassword=\(password)x&sslmode=require"
        let shown = DatabaseSelection.postgreSQL(connectionString: url).description
        #expect(shown.contains("host=db.example.com"))
        #expect(shown.contains("port=5433"))
        #expect(shown.contains("dbname=hh_auth"))
        #expect(shown.contains("user=hh"))
        #expect(!shown.contains(password))
        #expect(DatabaseSelection.sqlite(path: "/x.sqlite3").description == "SQLite database /x.sqlite3")
    }
}
