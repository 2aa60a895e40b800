import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 9: the operator commands and the database file itself. Only `serve` and `migrate` create
/// a database (item 10), and `backup` writes a copy only its owner can read.
@Suite("Operator CLI and the database file")
struct OperatorCLIDatabaseFileTests {
    /// Every operator command that works on the database, each of which would succeed on one.
    static let databaseCommands: [[String]] = [
        ["users", "allow", "200000002"], ["users", "list"], ["users", "remove", "200000002"],
        ["sessions", "list", "--json"],
        ["sessions", "end", "--all"], ["audit", "list"], ["audit", "export"], ["audit", "verify"],
        ["audit", "prune", "--before", "2000-01-01"], ["keys", "rotate"], ["backup", "copy.sqlite3"], ["cleanup"],
    ]

    /// A fresh, empty directory to run commands in.
    private func scratchDirectory() throws -> String {
        let base = ProcessInfo.processInfo.environment["HH_AUTH_TEST_TMP"] ?? NSTemporaryDirectory()
        let path = (base as NSString).appendingPathComponent("hhcli-" + UUID().uuidString.prefix(8).lowercased())
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func hhAuth(_ arguments: [String], in directory: String, environment: [String: String]) throws -> CLIOutput
    {
        var all = environment
        all["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        all["ENCRYPTION_KEY"] = all["ENCRYPTION_KEY"] ?? TestStack.testKey
        // Output files live outside `directory`, whose listing the tests check.
        return try OperatorCLI.run(
            executable: TestStack.binaries + "/hh-auth", arguments, environment: all, input: nil,
            directory: NSTemporaryDirectory(),
            timeoutSeconds: 30, workingDirectory: directory)
    }

    /// `/bin/sh -c script args…`: for what only a shell sets up (the umask).
    private func shell(_ script: String, _ arguments: [String], in directory: String, environment: [String: String])
        throws -> CLIOutput
    {
        var all = environment
        all["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        all["ENCRYPTION_KEY"] = TestStack.testKey
        return try OperatorCLI.run(
            executable: "/bin/sh", ["-c", script] + arguments, environment: all, input: nil,
            directory: NSTemporaryDirectory(),
            timeoutSeconds: 30, workingDirectory: directory)
    }

    private func contents(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test func withoutDatabasePathEveryCommandFailsWithExit2AndCreatesNothing() throws {
        let directory = try scratchDirectory()
        for command in Self.databaseCommands {
            let output = try hhAuth(command, in: directory, environment: [:])
            #expect(output.status == 2, "\(command): \(output)")
            let lines = output.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(command): \(output)")
            #expect(lines.first?.hasPrefix("hh-auth: DATABASE_PATH: ") == true, "\(command): \(output)")
            #expect(output.stdout.isEmpty, "\(command): \(output)")
        }
        #expect(try contents(directory) == [], "a command invented a database")
    }

    @Test func aDatabasePathThatNamesNoDatabaseFailsWithExit2AndCreatesNothing() throws {
        let directory = try scratchDirectory()
        _ = FileManager.default.createFile(atPath: directory + "/empty.sqlite3", contents: Data())
        _ = FileManager.default.createFile(atPath: directory + "/notes.txt", contents: Data("not a database\n".utf8))
        let targets = ["missing.sqlite3", directory + "/missing.sqlite3", "empty.sqlite3", "notes.txt", directory]
        for target in targets {
            for command in Self.databaseCommands {
                let output = try hhAuth(command, in: directory, environment: ["DATABASE_PATH": target])
                #expect(output.status == 2, "\(target) \(command): \(output)")
                #expect(output.stderr.split(separator: "\n").count == 1, "\(target) \(command): \(output)")
                #expect(output.stderr.contains("DATABASE_PATH") && output.stderr.contains(target), "\(output)")
            }
        }
        #expect(try contents(directory) == ["empty.sqlite3", "notes.txt"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/empty.sqlite3")).isEmpty)
    }

    @Test func migrateCreatesTheDatabaseAndThenTheCommandsWork() throws {
        let directory = try scratchDirectory()
        let environment = ["DATABASE_PATH": "hh-auth.sqlite3"]
        let migrated = try hhAuth(["migrate"], in: directory, environment: environment)
        #expect(migrated.status == 0, "\(migrated)")
        #expect(FileManager.default.fileExists(atPath: directory + "/hh-auth.sqlite3"))
        let allowed = try hhAuth(["users", "allow", "200000002"], in: directory, environment: environment)
        #expect(allowed.status == 0, "\(allowed)")
        #expect(allowed.stdout == "allowed 200000002\n")
    }

    @Test func backupIsOwnerOnlyWhateverTheUmask() throws {
        let directory = try scratchDirectory()
        let environment = ["DATABASE_PATH": directory + "/live.sqlite3"]
        #expect(try hhAuth(["migrate"], in: directory, environment: environment).status == 0)
        #expect(
            try hhAuth(["users", "allow", "200000002", "--comment", "PII"], in: directory, environment: environment)
                .status == 0)

        // The operator's shell has the common umask 022, which would make a new file 0644.
        let copy = directory + "/backup.sqlite3"
        let backup = try shell(
            "umask 022 && exec \"$0\" backup \"$1\"", [TestStack.binaries + "/hh-auth", copy], in: directory,
            environment: environment)
        #expect(backup.status == 0, "\(backup)")
        var status = stat()
        #expect(stat(copy, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600, "mode \(String(status.st_mode & 0o777, radix: 8))")
        // What the umask gives any other new file: the command really ran under 022.
        #expect(
            try shell("umask 022 && : > \"$0\"", [directory + "/probe"], in: directory, environment: [:]).status == 0)
        #expect(stat(directory + "/probe", &status) == 0 && status.st_mode & 0o777 == 0o644)
        #expect(
            try shell(
                "sqlite3 \"$0\" 'SELECT comment FROM allowed_users WHERE hh_user_id = 200000002'", [copy],
                in: directory, environment: [:]
            ).stdout == "PII\n")

        let again = try hhAuth(["backup", copy], in: directory, environment: environment)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
    }
}
