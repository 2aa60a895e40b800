import ArgumentParser
import Foundation
import HHAuth

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

    /// The settings a ``ConfigurationParser`` reads. `defaults`: the paths used when the options are
    /// not given and the path exists (operator commands), or `nil` for only what is named (`serve`,
    /// to which systemd hands the file itself). A named path that is missing, an unreadable file
    /// and a malformed line are ``ConfigurationError``s naming the option (never a value).
    func settings(
        environment: [String: String] = ProcessInfo.processInfo.environment, defaults: Defaults?
    ) throws(ConfigurationError) -> [String: String] {
        var settings: [String: String] = [:]
        if let envFile {
            guard FileManager.default.fileExists(atPath: envFile) else {
                throw ConfigurationError("--env-file", "no file at \(envFile)")
            }
            settings = try Self.read(envFile, isDefault: false)
        } else if let defaults, FileManager.default.fileExists(atPath: defaults.envFile) {
            settings = try Self.read(defaults.envFile, isDefault: true)
        }
        for (name, value) in environment where !value.isEmpty || settings[name] == nil { settings[name] = value }

        if let credentialsDirectory {
            guard Self.isDirectory(credentialsDirectory) else {
                throw ConfigurationError("--credentials-directory", "no directory at \(credentialsDirectory)")
            }
            settings["CREDENTIALS_DIRECTORY"] = credentialsDirectory
        } else if settings["CREDENTIALS_DIRECTORY"]?.isEmpty ?? true, let defaults,
            Self.isDirectory(defaults.credentialsDirectory)
        {
            settings["CREDENTIALS_DIRECTORY"] = defaults.credentialsDirectory
        }
        return settings
    }

    private static func read(_ path: String, isDefault: Bool) throws(ConfigurationError) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let which = isDefault ? "\(path) (read when it exists)" : path
            throw ConfigurationError(
                "--env-file",
                "cannot read \(which) as \(UnixAccount.userName(geteuid())); on the production box run commands as the service's user: sudo -u hh-auth hh-auth …"
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("--env-file", "\(path) is not UTF-8 text")
        }
        do {
            return try EnvironmentFile.parse(text)
        } catch {
            throw ConfigurationError("--env-file", "\(path) line \(error.line): \(error.reason)")
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
