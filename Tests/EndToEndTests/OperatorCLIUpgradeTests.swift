import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The review of issue 12: the CLI on a box upgraded from a release whose unit had
/// `DynamicUser=yes` (`/etc/hh-auth` root's alone, no `DATABASE_PATH` in its env file), and
/// `runuser`, which keeps root's environment. As in OperatorCLIProductionTests, `nobody` stands
/// in for hh-auth and the files are named with `--env-file` and `--credentials-directory`.
@Suite("Operator CLI on an upgraded production box")
struct OperatorCLIUpgradeTests: ProductionCLITest {
    private let wanted =
        "the service's user must read it: directories 0750, files 0640, root:hh-auth (README, Deploy step 2), "
        + "and commands run as that user (sudo -u hh-auth hh-auth …)"

    /// Settings the service's user may not read are refused naming the path, its owner and mode,
    /// and what they must be: never read as absent (which ended in "DATABASE_PATH: is not set").
    @Test func settingsLeftRootsAloneAreRefusedNamingWhatToChange() throws {
        let user = try nobody()
        let state = try scratchDirectory(owner: user)
        let database = state + "/hh-auth.sqlite3"
        #expect(try hhAuth(["migrate"], in: state, environment: ["DATABASE_PATH": database], as: user).status == 0)
        // `/etc/hh-auth` as the older release had it.
        let etc = try scratchDirectory()
        let envFile = etc + "/env"
        let credentials = etc + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: false)
        try write("DATABASE_PATH=\(database)\n", to: envFile)
        try write(TestStack.testKey + "\n", to: credentials + "/encryption_key")
        #expect(chmod(etc, 0o700) == 0 && chmod(credentials, 0o700) == 0)
        let rotate = ["keys", "rotate", "--env-file", envFile, "--credentials-directory", credentials]
        func refusal() throws -> String {
            let output = try hhAuth(rotate, in: state, as: user)
            #expect(output.status == 2, "\(output)")
            #expect(output.stdout.isEmpty)
            return output.stderr
        }

        #expect(
            try refusal()
                == "hh-auth: --env-file: cannot reach \(envFile) as nobody: \(etc) is root:root 0700, "
                + "which nobody may not enter; \(wanted)\n")
        #expect(chmod(etc, 0o755) == 0)
        #expect(
            try refusal() == "hh-auth: --env-file: cannot read \(envFile) as nobody: it is root:root 0600; \(wanted)\n")
        #expect(chmod(envFile, 0o644) == 0)
        #expect(
            try refusal()
                == "hh-auth: --credentials-directory: cannot read the secrets in \(credentials) as nobody: "
                + "it is root:root 0700; \(wanted)\n")
        #expect(chmod(credentials, 0o755) == 0)
        #expect(
            try refusal()
                == "hh-auth: ENCRYPTION_KEY: is required for this command but not set (\(credentials)/encryption_key "
                + "is root:root 0600, unreadable as nobody; \(wanted))\n")

        // The upgrade step (README, Deploy step 3): root's to write, the service's group's to read.
        for (path, mode) in [
            (etc, 0o750), (credentials, 0o750), (envFile, 0o640), (credentials + "/encryption_key", 0o640),
        ] {
            #expect(chown(path, 0, user.pw_gid) == 0 && chmod(path, mode_t(mode)) == 0)
        }
        let rotated = try hhAuth(rotate, in: state, as: user)
        #expect(rotated.status == 0, "\(rotated)")
        #expect(rotated.stderr.isEmpty, "\(rotated)")
    }

    /// With a settings file read (the production box), `migrate` makes no database in the working
    /// directory: the file must name it, by its absolute path (the service runs in `/`).
    @Test func migrateReadingASettingsFileMakesNoStrayDatabase() throws {
        let user = try nobody()
        let directory = try scratchDirectory(owner: user)
        let envFile = directory + "/env"
        // A file from the older release: its unit named the database itself.
        try write("HH_CLIENT_ID=client\n", to: envFile, mode: 0o644)
        let unset = try hhAuth(["migrate", "--env-file", envFile], in: directory, as: user)
        #expect(unset.status == 2, "\(unset)")
        #expect(
            unset.stderr
                == "hh-auth: DATABASE_PATH: is not set, nor in \(envFile); add the service's database there "
                + "(DATABASE_PATH=/var/lib/hh-auth/hh-auth.sqlite3, as the unit has it)\n")

        try write("HH_CLIENT_ID=client\nDATABASE_PATH=hh-auth.sqlite3\n", to: envFile, mode: 0o644)
        for command in [["migrate"], ["users", "list"]] {
            let relative = try hhAuth(command + ["--env-file", envFile], in: directory, as: user)
            #expect(relative.status == 2, "\(command): \(relative)")
            #expect(
                relative.stderr
                    == "hh-auth: DATABASE_PATH: \(envFile) gives a relative path, hh-auth.sqlite3; "
                    + "name the database by its absolute path\n", "\(command): \(relative)")
        }
        #expect(try owners(directory).keys.sorted() == ["env"])

        // Without a settings file (development), `migrate` makes hh-auth.sqlite3 here as before.
        let development = try hhAuth(["migrate"], in: directory, as: user)
        #expect(development.status == 0, "\(development)")
        #expect(try owners(directory).keys.sorted() == ["env", "hh-auth.sqlite3"])
    }

    /// As `serve` (and the unit's UMask=0077): the database `migrate` makes is its owner's alone,
    /// whatever the operator's umask.
    @Test func migrateMakesTheDatabaseOwnerOnlyWhateverTheUmask() throws {
        let directory = try scratchDirectory()
        let database = directory + "/hh-auth.sqlite3"
        let envFile = directory + "/env"
        try write("DATABASE_PATH=\(database)\n", to: envFile)
        let migrated = try shell(
            "umask 022 && exec \"$0\" migrate --env-file \"$1\"", [TestStack.binaries + "/hh-auth", envFile],
            in: directory)
        #expect(migrated.status == 0, "\(migrated)")
        var status = stat()
        #expect(stat(database, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600, "mode \(String(status.st_mode & 0o777, radix: 8))")
    }

    /// `runuser` keeps root's environment, which wins over the file: the settings it gave are
    /// named on stderr (names only); with only the file (sudo, `env -i`), nothing is said.
    @Test func settingsTheEnvironmentGivesOverTheFileAreNamedNeverTheirValues() throws {
        let directory = try scratchDirectory()
        let database = directory + "/live.sqlite3"
        let envFile = directory + "/env"
        try write("DATABASE_PATH=\(database)\nHH_CLIENT_ID=file-client\n", to: envFile)
        #expect(try hhAuth(["migrate", "--env-file", envFile], in: directory).status == 0)

        let stale = "stale-exported-client"
        let listed = try hhAuth(
            ["users", "list", "--env-file", envFile], in: directory,
            environment: ["HH_CLIENT_ID": stale, "HOME": "/root", "LOG_LEVEL": ""])
        #expect(listed.status == 0, "\(listed)")
        #expect(
            listed.stderr == "hh-auth: these settings come from the environment, not from \(envFile): HH_CLIENT_ID\n")
        #expect(!listed.stderr.contains(stale))

        let clean = try hhAuth(["users", "list", "--env-file", envFile], in: directory)
        #expect(clean.status == 0, "\(clean)")
        #expect(clean.stderr.isEmpty, "\(clean)")
    }
}
