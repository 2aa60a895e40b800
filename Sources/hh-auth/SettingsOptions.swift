import ArgumentParser
import Foundation
import HHAuth
import HTTPCore

/// Where a command's settings come from; the one place they are gathered for a
/// ``ConfigurationParser`` (the library reads no environment).
///
/// The process environment, over the file the unit names in `EnvironmentFile=` (`--env-file`) and
/// with the directory its `LoadCredential=` lines read secrets from (`--credentials-directory`),
/// so that `sudo -u hh-auth hh-auth …` on the production box sees what the service sees. A
/// variable set to a non-empty value in the environment wins over the file (`DATABASE_PATH=copy.sqlite3
/// hh-auth users list` reads the copy); `--credentials-directory` wins over `$CREDENTIALS_DIRECTORY`.
///
/// Declared by the root command and by each command that reads settings: ArgumentParser parses the
/// root's copy wherever the option stands and hands that value to the command's copy.
struct SettingsOptions: ParsableArguments {
    @Option(
        name: .customLong("env-file"),
        help: ArgumentHelp(
            "Read settings from this KEY=VALUE file (systemd's EnvironmentFile= syntax); the environment wins over it. Operator commands read /etc/hh-auth/env when it exists and this is not given.",
            valueName: "path"))
    var envFile: String?

    @Option(
        name: .customLong("credentials-directory"),
        help: ArgumentHelp(
            "Read secrets from files named like them here (encryption_key, hh_client_secret, admin_password), as the service reads $CREDENTIALS_DIRECTORY. Operator commands use /etc/hh-auth/credentials when it exists and neither this nor $CREDENTIALS_DIRECTORY is given.",
            valueName: "path"))
    var credentialsDirectory: String?

    /// The paths operator commands fall back to when they exist: the production box's.
    struct Defaults {
        var envFile: String
        var credentialsDirectory: String

        static let production = Defaults(envFile: "/etc/hh-auth/env", credentialsDirectory: "/etc/hh-auth/credentials")
    }

    /// What ``gather(environment:defaults:note:)`` read, and from where.
    struct Gathered {
        /// What a ``ConfigurationParser`` reads.
        var values: [String: String]
        /// The settings file read (`--env-file`, or the default when it exists), or `nil`.
        var file: String?
    }

    /// The settings a ``ConfigurationParser`` reads: ``gather(environment:defaults:note:)``'s values.
    func settings(
        environment: [String: String] = ProcessInfo.processInfo.environment, defaults: Defaults?,
        note: (String) -> Void = Self.writeNote
    ) throws(ConfigurationError) -> [String: String] {
        try gather(environment: environment, defaults: defaults, note: note).values
    }

    /// The settings and the file they were read from. `defaults`: the paths used when the options
    /// are not given and the path exists (operator commands), or `nil` for only what is named
    /// (`serve`, to which systemd hands the file itself). A named path that is missing, a path
    /// this process may not read (``SettingsPathAccess``), a malformed line and a relative
    /// `DATABASE_PATH` in the file (the service, in `/`, would read another one) are
    /// ``ConfigurationError``s naming the option or setting (never a value). When a file was read,
    /// the settings the environment gives instead (``environmentNames(_:file:)``) are named, names
    /// only, in one line handed to `note`: `runuser` keeps root's environment, and a stale export
    /// there would otherwise silently win.
    func gather(
        environment: [String: String] = ProcessInfo.processInfo.environment, defaults: Defaults?,
        note: (String) -> Void = Self.writeNote
    ) throws(ConfigurationError) -> Gathered {
        var file: String?
        if let envFile {
            file = envFile
        } else if let defaults, try SettingsPathAccess.lookup(defaults.envFile, option: "--env-file") != nil {
            file = defaults.envFile
        }
        var settings: [String: String] = [:]
        if let file {
            settings = try Self.read(file)
            if let path = settings["DATABASE_PATH"], !path.isEmpty, !path.hasPrefix("/") {
                throw ConfigurationError(
                    "DATABASE_PATH",
                    "\(file) gives a relative path, \(LogText.safe(path)); name the database by its absolute path")
            }
            let names = Self.environmentNames(environment, file: settings)
            if !names.isEmpty {
                note("these settings come from the environment, not from \(file): \(names.joined(separator: ", "))")
            }
        }
        for (name, value) in environment where !value.isEmpty || settings[name] == nil { settings[name] = value }

        if let credentialsDirectory {
            guard let access = try SettingsPathAccess.lookup(credentialsDirectory, option: "--credentials-directory"),
                access.isDirectory
            else {
                throw ConfigurationError("--credentials-directory", "no directory at \(credentialsDirectory)")
            }
            if let refusal = SettingsPathAccess.closedSecrets(
                credentialsDirectory, access, option: "--credentials-directory")
            {
                throw refusal
            }
            settings["CREDENTIALS_DIRECTORY"] = credentialsDirectory
        } else if settings["CREDENTIALS_DIRECTORY"]?.isEmpty ?? true, let defaults,
            let access = try SettingsPathAccess.lookup(
                defaults.credentialsDirectory, option: "--credentials-directory"),
            access.isDirectory
        {
            if let refusal = SettingsPathAccess.closedSecrets(
                defaults.credentialsDirectory, access, option: "--credentials-directory")
            {
                throw refusal
            }
            settings["CREDENTIALS_DIRECTORY"] = defaults.credentialsDirectory
        }
        return Gathered(values: settings, file: file)
    }

    /// The names, sorted, of the settings `environment` gives (non-empty) that win over a file's:
    /// those the file gives as well, and those the operator commands read that a file may leave
    /// out (`DATABASE_PATH`, the secrets, HH's settings).
    static func environmentNames(_ environment: [String: String], file: [String: String]) -> [String] {
        environment.compactMap { name, value in
            guard !value.isEmpty else { return nil }
            let read =
                file[name] != nil || name.hasPrefix("HH_") || name.hasPrefix("ENCRYPTION_")
                || ["DATABASE_PATH", "CREDENTIALS_DIRECTORY"].contains(name)
            return read ? name : nil
        }.sorted()
    }

    /// One line on stderr, as the command's other messages.
    static func writeNote(_ line: String) { FileHandle.standardError.write(Data("hh-auth: \(line)\n".utf8)) }

    private static func read(_ path: String) throws(ConfigurationError) -> [String: String] {
        guard let access = try SettingsPathAccess.lookup(path, option: "--env-file") else {
            throw ConfigurationError("--env-file", "no file at \(path)")
        }
        guard !access.isDirectory, let data = FileManager.default.contents(atPath: path) else {
            throw SettingsPathAccess.unreadableFile(path, access, option: "--env-file")
        }
        // Not `String(data:encoding:)`, which drops a byte order mark that systemd would keep.
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ConfigurationError("--env-file", "\(path) is not UTF-8 text")
        }
        do {
            return try EnvironmentFile.parse(text)
        } catch {
            throw ConfigurationError("--env-file", "\(path) line \(error.line): \(error.reason)")
        }
    }
}
