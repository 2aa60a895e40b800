import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

/// Issue 14: `hh-auth migrate-data` as an operator runs it, SQLite → PostgreSQL → SQLite, through
/// the built binary: its summary and exit codes, a target that holds data, URLs it cannot use, and
/// a password it never prints.
@Suite("Operator CLI: migrate-data")
struct OperatorCLIMigrateDataTests {
    /// Per run: no password-shaped literal in git.
    private let password = "pw-" + UUID().uuidString

    private func scratchDirectory() throws -> String {
        let base = ProcessInfo.processInfo.environment["HH_AUTH_TEST_TMP"] ?? NSTemporaryDirectory()
        let path = (base as NSString).appendingPathComponent("hhmove-" + UUID().uuidString.prefix(8).lowercased())
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func hhAuth(_ arguments: [String], in directory: String, databasePath: String? = nil) throws -> CLIOutput {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "ENCRYPTION_KEY": TestStack.testKey,
        ]
        environment["DATABASE_PATH"] = databasePath
        return try OperatorCLI.run(
            executable: TestStack.binaries + "/hh-auth", arguments, environment: environment, input: nil,
            directory: directory, timeoutSeconds: 60, workingDirectory: directory)
    }

    /// A new database in the test process's cluster, as a URL carrying a password (the cluster
    /// trusts its socket, so any password does).
    private func databaseURL() throws -> String {
        let name = "move_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        _ = try TestCluster.database(name)
        let url = try TestCluster.shared().url
        let base = try #require(url.range(of: "postgres@/postgres?"), "cluster URL: \(url)")
        return url.replacingCharacters(in: base, with: "postgres:\(password)@/\(name)?")
    }

    /// The TABLE/ROWS summary as a dictionary.
    private func rows(_ output: CLIOutput) -> [String: Int] {
        var rows: [String: Int] = [:]
        for line in output.lines {
            let cells = line.split(separator: " ", omittingEmptySubsequences: true)
            if cells.count == 2, let count = Int(cells[1]) { rows[String(cells[0])] = count }
        }
        return rows
    }

    @Test func sqliteToPostgreSQLAndBackThenAuditVerifyPasses() throws {
        let directory = try scratchDirectory()
        let source = directory + "/source.sqlite3"
        #expect(try hhAuth(["migrate"], in: directory, databasePath: source).status == 0)
        for (user, group) in [("200000002", "ops"), ("200000003", "dev")] {
            let allowed = try hhAuth(["users", "allow", user, "--group", group], in: directory, databasePath: source)
            #expect(allowed.status == 0, "\(allowed)")
        }
        let url = try databaseURL()

        let there = try hhAuth(["migrate-data", "--from", source, "--to", url], in: directory)
        #expect(there.status == 0, "\(there)")
        #expect(rows(there)["allowed_users"] == 2)
        #expect(rows(there)["audit_events"] == 2)
        #expect(there.lines.contains("audit chain: intact on the target, 2 events"))
        #expect(there.lines.last == "committed")
        #expect(there.stdout.contains("password=***"))
        #expect(!there.stdout.contains(password) && !there.stderr.contains(password))

        let back = directory + "/back.sqlite3"
        let returned = try hhAuth(["migrate-data", "--from", url, "--to", back], in: directory)
        #expect(returned.status == 0, "\(returned)")
        #expect(rows(returned) == rows(there))
        let verified = try hhAuth(["audit", "verify"], in: directory, databasePath: back)
        #expect(verified.stdout == "OK: 2 events, chain intact\n", "\(verified)")
        let listed = try hhAuth(["users", "list", "--json"], in: directory, databasePath: back)
        let entries = try #require(try listed.json() as? [[String: Any]])
        #expect(entries.compactMap { $0["groups"] as? [String] } == [["ops"], ["dev"]])

        // The PostgreSQL database now holds data: a second move into it is refused, exit 1.
        let again = try hhAuth(["migrate-data", "--from", source, "--to", url], in: directory)
        #expect(again.status == 1, "\(again)")
        #expect(again.stderr.contains("already holds data"), "\(again)")
        #expect(!again.stdout.contains(password) && !again.stderr.contains(password))
    }

    @Test func unusableURLsAreRefusedWithoutTheirPassword() throws {
        let directory = try scratchDirectory()
        let source = directory + "/source.sqlite3"
        #expect(try hhAuth(["migrate"], in: directory, databasePath: source).status == 0)

        // libpq cannot parse it (an unclosed IPv6 bracket): a usage error, exit 2.
        let unparsable = "postgresql://mover:\(password)@[::1/hh_auth"
        let refused = try hhAuth(["migrate-data", "--from", source, "--to", unparsable], in: directory)
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.hasPrefix("hh-auth: --to: not a URL libpq can read"), "\(refused)")
        #expect(!refused.stdout.contains(password) && !refused.stderr.contains(password))

        // Parsed, but no such database: exit 1 with libpq's reason, still without the password.
        let cluster = try TestCluster.shared().url
        let missing = cluster.replacingOccurrences(of: "postgres@/postgres?", with: "postgres:\(password)@/nowhere?")
        let failed = try hhAuth(["migrate-data", "--from", source, "--to", missing], in: directory)
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.stderr.contains("nowhere"), "\(failed)")
        #expect(!failed.stdout.contains(password) && !failed.stderr.contains(password), "\(failed)")

        let usage = try hhAuth(["migrate-data", "--from", source], in: directory)
        #expect(usage.status == 2, "\(usage)")
    }
}
