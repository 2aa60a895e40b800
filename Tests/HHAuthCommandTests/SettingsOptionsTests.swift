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
            environment: ["HH_CLIENT_ID": "env-client", "LOG_LEVEL": "", "PATH": "/usr/bin"], defaults: nil)
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
        let key = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="
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
}
