import Foundation
import HHAuth
import Testing

@testable import hh_auth

/// Where the commands' settings come from (``SettingsOptions``): the environment over
/// `--env-file`, secrets from `--credentials-directory`, and the production paths as defaults
/// for the operator commands. The defaults are passed in here; the binary's own
/// (`/etc/hh-auth/…`) are not touched by tests.
@Suite("Settings sources")
struct SettingsOptionsTests {
    /// A fresh directory with `env` (when given) and `credentials/` (when `key` is given).
    private func scratch(env: String? = nil, key: String? = nil) throws -> String {
        let directory = NSTemporaryDirectory() + "hhsettings-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let env { try env.write(toFile: directory + "/env", atomically: false, encoding: .utf8) }
        if let key {
            try FileManager.default.createDirectory(
                atPath: directory + "/credentials", withIntermediateDirectories: false)
            try key.write(toFile: directory + "/credentials/encryption_key", atomically: false, encoding: .utf8)
        }
        return directory
    }

    private func defaults(_ directory: String) -> SettingsOptions.Defaults {
        .init(envFile: directory + "/env", credentialsDirectory: directory + "/credentials")
    }

    /// The ``ConfigurationError`` reading the settings with `arguments` ends in, or `nil`.
    private func refusal(_ arguments: [String]) -> ConfigurationError? {
        do {
            _ = try SettingsOptions.parse(arguments).settings(environment: [:], defaults: nil)
            return nil
        } catch {
            return error as? ConfigurationError
        }
    }

    @Test func aSettingOnlyInTheFileIsReadAndTheEnvironmentWinsOverIt() throws {
        let directory = try scratch(
            env: "DATABASE_PATH=/from/file.sqlite3\nHH_CLIENT_ID=file-client\nLOG_LEVEL=debug\n")
        let options = try SettingsOptions.parse(["--env-file", directory + "/env"])
        let settings = try options.settings(
            environment: ["HH_CLIENT_ID": "env-client", "LOG_LEVEL": "", "PATH": "/usr/bin"], defaults: nil,
            note: { _ in })
        #expect(settings["DATABASE_PATH"] == "/from/file.sqlite3")
        #expect(settings["HH_CLIENT_ID"] == "env-client")
        // An empty variable does not hide the file's value (the parser reads empty as unset anyway).
        #expect(settings["LOG_LEVEL"] == "debug")
        #expect(settings["PATH"] == "/usr/bin")
    }

    @Test func theDefaultFileIsReadWhenPresentAndNotGiven() throws {
        let directory = try scratch(env: "DATABASE_PATH=/default.sqlite3\n")
        let settings = try SettingsOptions.parse([]).settings(environment: [:], defaults: defaults(directory))
        #expect(settings["DATABASE_PATH"] == "/default.sqlite3")

        let named = try scratch(env: "DATABASE_PATH=/named.sqlite3\n")
        let chosen = try SettingsOptions.parse(["--env-file", named + "/env"])
            .settings(environment: [:], defaults: defaults(directory))
        #expect(chosen["DATABASE_PATH"] == "/named.sqlite3")
    }

    @Test func withoutDefaultsOrWithoutTheirFilesOnlyTheEnvironmentCounts() throws {
        // `serve`: no defaults.
        #expect(try SettingsOptions.parse([]).settings(environment: ["A": "1"], defaults: nil) == ["A": "1"])
        // Default paths that do not exist are skipped.
        let empty = try scratch()
        #expect(
            try SettingsOptions.parse([]).settings(environment: ["A": "1"], defaults: defaults(empty)) == ["A": "1"])
    }

    @Test func aNamedFileThatIsMissingOrUnreadableOrMalformedIsRefusedNamingIt() throws {
        let directory = try scratch(env: "A=1\nB='s3cret\n")
        let missing = directory + "/nothing-here"
        let cases: [(String, String)] = [
            (missing, "--env-file: no file at \(missing)"),
            // A directory: there, but nothing to read (as a root-only file is to hh-auth).
            (directory, "--env-file: cannot read \(directory) as "),
            (directory + "/env", "--env-file: \(directory)/env line 2: a ' is not closed"),
        ]
        for (path, expected) in cases {
            let error = refusal(["--env-file", path])
            #expect(error?.setting == "--env-file", "\(path)")
            #expect(error?.description.hasPrefix(expected) == true, "\(error?.description ?? "accepted")")
            #expect(error?.description.contains("s3cret") == false)
        }
    }

    @Test func secretsComeFromTheCredentialsDirectory() throws {
        let key = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()
        let directory = try scratch(key: key)
        let credentials = directory + "/credentials"
        func parsed(_ arguments: [String], _ environment: [String: String]) throws -> ConfigurationParser {
            ConfigurationParser(
                settings: try SettingsOptions.parse(arguments).settings(
                    environment: environment, defaults: defaults(directory)))
        }
        // The default directory, when it exists and nothing else names one.
        #expect(try parsed([], [:]).optional("ENCRYPTION_KEY", secret: true) == key)
        // systemd's $CREDENTIALS_DIRECTORY wins over the default; the option over both.
        let other = try scratch(key: "other")
        #expect(
            try parsed([], ["CREDENTIALS_DIRECTORY": other + "/credentials"]).optional("ENCRYPTION_KEY", secret: true)
                == "other")
        #expect(
            try parsed(["--credentials-directory", credentials], ["CREDENTIALS_DIRECTORY": other + "/credentials"])
                .optional("ENCRYPTION_KEY", secret: true) == key)
        // Not a secret: never read from there.
        #expect(try parsed([], [:]).optional("ENCRYPTION_KEY") == nil)

        let missing = directory + "/nothing-here"
        let error = refusal(["--credentials-directory", missing])
        #expect(error?.description == "--credentials-directory: no directory at \(missing)")
    }

    // MARK: - Review of issue 12

    /// M2: only a path that is not there is absent. One this process may not look up (EACCES under
    /// a 0700 directory, as hh-auth; here, as root, a path through a file: ENOTDIR) is refused
    /// naming it, not skipped as if there were no file (which left DATABASE_PATH unset).
    @Test func aDefaultPathThatCannotBeLookedUpIsRefusedNotSkipped() throws {
        let directory = try scratch()
        let file = directory + "/not-a-directory"
        try "".write(toFile: file, atomically: false, encoding: .utf8)
        let me = UnixAccount.userName(geteuid())
        let throughFile = SettingsOptions.Defaults(envFile: file + "/env", credentialsDirectory: directory + "/none")
        #expect(throws: ConfigurationError("--env-file", "cannot look up \(file)/env as \(me): Not a directory")) {
            try SettingsOptions.parse([]).settings(environment: [:], defaults: throughFile)
        }
        let credentials = SettingsOptions.Defaults(
            envFile: directory + "/none", credentialsDirectory: file + "/credentials")
        #expect(
            throws: ConfigurationError(
                "--credentials-directory", "cannot look up \(file)/credentials as \(me): Not a directory")
        ) {
            try SettingsOptions.parse([]).settings(environment: [:], defaults: credentials)
        }
    }

    /// L1: Foundation's `String(data:encoding:)` drops a byte order mark; systemd keeps it in the
    /// first name (which is then invalid, and that setting dropped), so the file is refused.
    @Test func aFileStartingWithAByteOrderMarkIsRefused() throws {
        let directory = try scratch()
        let path = directory + "/env"
        try Data([0xEF, 0xBB, 0xBF] + Array("DATABASE_PATH=/x.sqlite3\n".utf8)).write(to: URL(fileURLWithPath: path))
        #expect(
            refusal(["--env-file", path])?.description
                == "--env-file: \(path) line 1: the file starts with a byte order mark (systemd reads it as part of the first name)"
        )
    }

    /// M1: the service runs in `/`; a relative DATABASE_PATH in its file names another database
    /// for a command run elsewhere (`migrate` would make it). From the environment it is the
    /// operator's own choice (`DATABASE_PATH=copy.sqlite3 hh-auth users list`).
    @Test func aRelativeDatabasePathInTheFileIsRefused() throws {
        let directory = try scratch(env: "DATABASE_PATH=hh-auth.sqlite3\n")
        let path = directory + "/env"
        #expect(
            refusal(["--env-file", path])
                == ConfigurationError(
                    "DATABASE_PATH",
                    "\(path) gives a relative path, hh-auth.sqlite3; name the database by its absolute path"))
        let absolute = try scratch(env: "DATABASE_PATH=/var/lib/hh-auth/hh-auth.sqlite3\n")
        let settings = try SettingsOptions.parse(["--env-file", absolute + "/env"]).settings(
            environment: [:], defaults: nil)
        #expect(settings["DATABASE_PATH"] == "/var/lib/hh-auth/hh-auth.sqlite3")
    }

    /// `gather` says whether a file was read: `migrate` makes `hh-auth.sqlite3` here only when none was.
    @Test func gatheredNamesTheFileRead() throws {
        let directory = try scratch(env: "HH_CLIENT_ID=x\n")
        #expect(
            try SettingsOptions.parse([]).gather(environment: [:], defaults: defaults(directory)).file == directory
                + "/env")
        #expect(try SettingsOptions.parse([]).gather(environment: [:], defaults: nil).file == nil)
    }

    /// L4: `runuser` keeps root's environment, which wins over the file; when a file is read, the
    /// settings the environment gives instead are named in one line, names only.
    @Test func settingsTheEnvironmentGivesOverAFileAreNamedWithoutValues() throws {
        let directory = try scratch(env: "HH_CLIENT_ID=file-client\nLOG_LEVEL=debug\nADMIN_USERNAME=admin\n")
        var notes: [String] = []
        let environment = [
            "HH_CLIENT_ID": "env-client", "DATABASE_PATH": "/stale.sqlite3", "LOG_LEVEL": "", "PATH": "/usr/bin",
            "HOME": "/root", "HH_TOKEN_URL": "https://stale.example/token",
        ]
        let settings = try SettingsOptions.parse(["--env-file", directory + "/env"])
            .settings(environment: environment, defaults: nil, note: { notes.append($0) })
        #expect(settings["HH_CLIENT_ID"] == "env-client")
        #expect(
            notes == [
                "these settings come from the environment, not from \(directory)/env: DATABASE_PATH, HH_CLIENT_ID, HH_TOKEN_URL"
            ])
        // Without a file, the environment is all there is: nothing to say.
        notes = []
        _ = try SettingsOptions.parse([]).settings(environment: environment, defaults: nil, note: { notes.append($0) })
        #expect(notes.isEmpty)
    }
}
