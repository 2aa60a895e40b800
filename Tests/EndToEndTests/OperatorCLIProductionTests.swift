import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12: the CLI on the production box, where root runs `sudo -u hh-auth hh-auth …` with the
/// settings in `/etc/hh-auth/env` and the secrets in `/etc/hh-auth/credentials/`. The tests name
/// their own files with `--env-file` and `--credentials-directory` (the default paths are
/// SettingsOptionsTests' subject), and stand `nobody` in for hh-auth: they run as root.
@Suite("Operator CLI on a production box")
struct OperatorCLIProductionTests: ProductionCLITest {
    // MARK: - The settings file

    @Test func aSettingOnlyInTheEnvFileTakesEffectWhereverTheOptionStands() throws {
        let directory = try scratchDirectory()
        let database = directory + "/live.sqlite3"
        #expect(try hhAuth(["migrate"], in: directory, environment: ["DATABASE_PATH": database]).status == 0)
        let envFile = directory + "/env"
        try write("# as in /etc/hh-auth/env\nDATABASE_PATH=\"\(database)\"\n\nHH_CLIENT_ID=unused\n", to: envFile)

        // No DATABASE_PATH in the environment: only the file names the database.
        let allowed = try hhAuth(["users", "allow", "200000002", "--env-file", envFile], in: directory)
        #expect(allowed.status == 0, "\(allowed)")
        #expect(allowed.stdout == "allowed 200000002\n")
        let listed = try hhAuth(["--env-file", envFile, "users", "list", "--json"], in: directory)
        #expect(listed.status == 0, "\(listed)")
        let ids = (try listed.json() as? [[String: Any]])?.compactMap { $0["hh_user_id"] as? String }
        #expect(ids == ["200000002"])

        // The environment wins over the file: here it names a database that is not there. Which
        // settings came from there is said first (names only).
        let elsewhere = directory + "/other.sqlite3"
        let overridden = try hhAuth(
            ["users", "list", "--env-file", envFile], in: directory, environment: ["DATABASE_PATH": elsewhere])
        #expect(overridden.status == 2, "\(overridden)")
        #expect(
            overridden.stderr
                == "hh-auth: these settings come from the environment, not from \(envFile): DATABASE_PATH\n"
                + "hh-auth: DATABASE_PATH: no database at \(elsewhere) (only `serve` and `migrate` create one)\n")
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
    }

    @Test func aMissingOrMalformedEnvFileExits2NamingItAndTouchesNothing() throws {
        let directory = try scratchDirectory()
        let missing = directory + "/no-such-env"
        for command in OperatorCLIDatabaseFileTests.databaseCommands + [["migrate"]] {
            let output = try hhAuth(["--env-file", missing] + command, in: directory)
            #expect(output.status == 2, "\(command): \(output)")
            #expect(output.stderr == "hh-auth: --env-file: no file at \(missing)\n", "\(command): \(output)")
            #expect(output.stdout.isEmpty)
        }
        let secret = randomEncryptionKey()
        let malformed = directory + "/env"
        try write("DATABASE_PATH=\(directory)/x.sqlite3\nENCRYPTION_KEY='\(secret)\n", to: malformed)
        let refused = try hhAuth(["users", "list", "--env-file", malformed], in: directory)
        #expect(refused.status == 2)
        #expect(refused.stderr == "hh-auth: --env-file: \(malformed) line 2: a ' is not closed\n")
        #expect(!refused.stderr.contains(secret))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["env"])
    }

    @Test func aDatabaseTheEnvFileNamesThatIsNotThereIsRefusedAndNotCreated() throws {
        let directory = try scratchDirectory()
        let envFile = directory + "/env"
        let database = directory + "/hh-auth.sqlite3"
        try write("DATABASE_PATH=\(database)\n", to: envFile)
        for command in OperatorCLIDatabaseFileTests.databaseCommands {
            let output = try hhAuth(command + ["--env-file", envFile], in: directory)
            #expect(output.status == 2, "\(command): \(output)")
            #expect(
                output.stderr.hasPrefix("hh-auth: DATABASE_PATH: no database at \(database)"), "\(command): \(output)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["env"])
    }

    /// `keys rotate` needs ENCRYPTION_KEY; on the box it is a credential file the CLI reads as the
    /// service's LoadCredential= does.
    @Test func theKeyComesFromTheCredentialsDirectory() throws {
        let directory = try scratchDirectory()
        let envFile = directory + "/env"
        let credentials = directory + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: false)
        try write("DATABASE_PATH=\(directory)/live.sqlite3\n", to: envFile)
        #expect(try hhAuth(["migrate", "--env-file", envFile], in: directory).status == 0)

        let without = try hhAuth(
            ["keys", "rotate", "--env-file", envFile, "--credentials-directory", credentials], in: directory)
        #expect(without.status == 2, "\(without)")
        #expect(
            without.stderr
                == "hh-auth: ENCRYPTION_KEY: is required for this command but not set (nor readable as \(credentials)/encryption_key)\n"
        )

        try write(TestStack.testKey + "\n", to: credentials + "/encryption_key")
        let rotated = try hhAuth(
            ["keys", "rotate", "--env-file", envFile, "--credentials-directory", credentials], in: directory)
        #expect(rotated.status == 0, "\(rotated)")
        #expect(rotated.stdout.hasPrefix("re-encrypted 0 token pair(s) under key "))
        #expect(!rotated.stdout.contains(TestStack.testKey) && !rotated.stderr.contains(TestStack.testKey))
    }

    // MARK: - Whose files

    /// As the service's user (nobody here), the CLI's files are that user's: the database `migrate`
    /// makes, and the `-wal`/`-shm` files SQLite makes beside it. The CLI's last connection removes
    /// those as it closes, unless another holds the database open as the running service does:
    /// this test holds SQLite's shared lock meanwhile (without opening the database), so they stay.
    @Test func runAsTheServicesUserTheFilesStayThatUsers() throws {
        let user = try nobody()
        let directory = try scratchDirectory(owner: user)
        let envFile = directory + "/env"
        let database = directory + "/hh-auth.sqlite3"
        try write("DATABASE_PATH=\(database)\n", to: envFile, mode: 0o644)
        let migrated = try hhAuth(["migrate", "--env-file", envFile], in: directory, as: user)
        #expect(migrated.status == 0, "\(migrated)")
        #expect(try owners(directory).keys.sorted() == ["env", "hh-auth.sqlite3"])

        let lock = try SharedDatabaseLock(database)
        for command in [["users", "allow", "200000002"], ["users", "list"], ["sessions", "end", "--all"]] {
            let output = try hhAuth(command + ["--env-file", envFile], in: directory, as: user)
            #expect(output.status == 0, "\(command): \(output)")
        }
        let files = try owners(directory)
        lock.release()
        #expect(files.keys.sorted() == ["env", "hh-auth.sqlite3", "hh-auth.sqlite3-shm", "hh-auth.sqlite3-wal"])
        #expect(files.filter { $0.key != "env" }.allSatisfy { $0.value == user.pw_uid }, "\(files)")
        // The audit trail names who acted.
        let audit = try hhAuth(["audit", "list", "--json", "--env-file", envFile], in: directory, as: user)
        let actors = (try audit.json() as? [[String: Any]])?.compactMap {
            ($0["event_metadata"] as? [String: Any])?["admin"] as? String
        }
        #expect(actors?.contains("cli:nobody") == true, "\(audit)")
        // doctor, as the user, reads the same file and opens the database.
        let doctor = try hhAuth(["doctor", "--env-file", envFile], in: directory, as: user)
        #expect(doctor.lines.contains { $0.hasPrefix("ok   database: \(database) opens") }, "\(doctor)")
    }

    /// Root against that database: refused before SQLite opens anything, so root makes no file there.
    @Test func rootIsRefusedOnAnotherUsersDatabaseAndLeavesNoFileOfItsOwn() throws {
        let user = try nobody()
        let directory = try scratchDirectory(owner: user)
        let envFile = directory + "/env"
        let database = directory + "/hh-auth.sqlite3"
        try write("DATABASE_PATH=\(database)\n", to: envFile, mode: 0o644)
        #expect(try hhAuth(["migrate", "--env-file", envFile], in: directory, as: user).status == 0)
        // No -wal/-shm yet: a root that opened the database would make them, and with the database
        // held open (as by the service) leave them (SQLite here gives them to the owner, nobody).
        let before = try owners(directory)
        #expect(before.keys.sorted() == ["env", "hh-auth.sqlite3"])
        let lock = try SharedDatabaseLock(database)
        defer { lock.release() }

        for command in OperatorCLIDatabaseFileTests.databaseCommands + [["migrate"]] {
            let output = try hhAuth(command + ["--env-file", envFile], in: directory)
            #expect(output.status == 2, "\(command): \(output)")
            #expect(
                output.stderr
                    == "hh-auth: DATABASE_PATH: \(database) belongs to nobody; run this as nobody, not as root "
                    + "(sudo -u nobody hh-auth …), so that what it writes there stays nobody's\n",
                "\(command): \(output)")
        }
        // doctor only reads, but not even that as root: its database line says whom to run as.
        let doctor = try hhAuth(["doctor", "--env-file", envFile], in: directory)
        #expect(doctor.status == 1, "\(doctor)")
        #expect(
            doctor.lines.contains(
                "FAIL database: \(database) belongs to nobody, and doctor runs as root — "
                    + "run it as that user, as the other commands: sudo -u nobody hh-auth doctor"), "\(doctor)")
        #expect(try owners(directory) == before)

        // Before there is a database, root does not make one in the user's directory either.
        let fresh = directory + "/new.sqlite3"
        let migrate = try hhAuth(["migrate"], in: directory, environment: ["DATABASE_PATH": fresh])
        #expect(migrate.status == 2, "\(migrate)")
        #expect(migrate.stderr.hasPrefix("hh-auth: DATABASE_PATH: \(directory) belongs to nobody; "), "\(migrate)")
        #expect(!FileManager.default.fileExists(atPath: fresh))

        // Root's own database is root's business.
        let rootDirectory = try scratchDirectory()
        #expect(try hhAuth(["migrate"], in: rootDirectory, environment: ["DATABASE_PATH": "own.sqlite3"]).status == 0)
        #expect(
            try hhAuth(["users", "list"], in: rootDirectory, environment: ["DATABASE_PATH": "own.sqlite3"]).status == 0)
    }
}

/// SQLite's SHARED lock on a database file, as each open connection holds it (unix VFS: a read
/// lock on the 510 bytes from 0x40000002), taken without opening the database. While it is held
/// no other connection can get the EXCLUSIVE lock it needs to remove the `-wal` and `-shm` files
/// as it closes.
final class SharedDatabaseLock {
    private var descriptor: Int32

    init(_ path: String) throws {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw HarnessError("open \(path): errno \(errno)") }
        var lock = flock()
        lock.l_type = Int16(F_RDLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0x4000_0002
        lock.l_len = 510
        guard fcntl(descriptor, F_SETLK, &lock) == 0 else {
            close(descriptor)
            throw HarnessError("fcntl F_SETLK \(path): errno \(errno)")
        }
    }

    /// Closing the descriptor drops the lock.
    func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }
}
