import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

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

    private func hhAuth(
        _ arguments: [String], in directory: String, databasePath: String? = nil, extra: [String: String] = [:]
    ) throws -> CLIOutput {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "ENCRYPTION_KEY": TestStack.testKey,
        ]
        environment["DATABASE_PATH"] = databasePath
        environment.merge(extra) { _, new in new }
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
        // On the command line, the password is in the process list: said, without repeating it.
        #expect(there.stderr.hasPrefix("hh-auth: warning: --to's URL carries a password"), "\(there)")

        // From the environment it is not: no warning.
        let back = directory + "/back.sqlite3"
        let returned = try hhAuth(
            ["migrate-data", "--from-env", "HH_MOVE_SOURCE", "--to", back], in: directory,
            extra: ["HH_MOVE_SOURCE": url])
        #expect(returned.status == 0, "\(returned)")
        #expect(returned.stderr.isEmpty, "\(returned)")
        #expect(returned.stdout.contains("password=***") && !returned.stdout.contains(password))
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
        let unset = try hhAuth(["migrate-data", "--from", source, "--to-env", "HH_MOVE_NOWHERE"], in: directory)
        #expect(unset.status == 2, "\(unset)")
        #expect(unset.stderr == "hh-auth: --to-env: HH_MOVE_NOWHERE is not set\n", "\(unset)")
        let both = try hhAuth(
            ["migrate-data", "--from", source, "--to", missing, "--to-env", "HH_MOVE_TARGET"], in: directory,
            extra: ["HH_MOVE_TARGET": missing])
        #expect(both.status == 2, "\(both)")
        #expect(!both.stdout.contains(password) && !both.stderr.contains(password), "\(both)")
    }

    /// As root, a SQLite target in the service's user's directory is refused as `migrate` refuses
    /// it: root would make a database that user cannot open.
    @Test func asRootItMakesNoDatabaseInAnotherUsersDirectory() throws {
        let directory = try scratchDirectory()
        let source = directory + "/source.sqlite3"
        #expect(try hhAuth(["migrate"], in: directory, databasePath: source).status == 0)
        let nobody = try #require(getpwnam("nobody")?.pointee, "no user nobody on this machine")
        let serviceDirectory = directory + "/service"
        try FileManager.default.createDirectory(atPath: serviceDirectory, withIntermediateDirectories: false)
        #expect(chown(serviceDirectory, nobody.pw_uid, nobody.pw_gid) == 0 && chmod(serviceDirectory, 0o700) == 0)
        let target = serviceDirectory + "/hh-auth.sqlite3"

        let refused = try hhAuth(["migrate-data", "--from", source, "--to", target], in: directory)
        #expect(refused.status == 2, "\(refused)")
        #expect(
            refused.stderr
                == "hh-auth: --to: \(serviceDirectory) belongs to nobody; run this as nobody, not as root "
                + "(sudo -u nobody hh-auth …), so that what it writes there stays nobody's\n", "\(refused)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: serviceDirectory).isEmpty)
    }
}
