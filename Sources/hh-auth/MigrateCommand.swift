import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth migrate`: creates or upgrades the database schema and exits.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or upgrade the database schema.")

    @OptionGroup var settings: SettingsOptions

    func run() throws {
        let gathered = try StartupFailure.exitOnError { try settings.gather(defaults: .production) }
        let path = try Self.databasePath(ConfigurationParser(settings: gathered.values), file: gathered.file)
        try DatabaseOwner.refuseRootOnAnotherUsersFile(path)
        // As `serve` (and systemd's UMask=0077): the database and SQLite's files beside it are the
        // owner's alone.
        umask(0o077)
        _ = try StartupFailure.exitOnError { try AppDatabase(path: path) }
        print("database \(path) is up to date")
    }

    /// `DATABASE_PATH`, or, as `serve` has it (``Configuration/databasePath``), `hh-auth.sqlite3` in
    /// the working directory; but not when a settings file was read: that is the production box,
    /// where the unit names the database itself (`Environment=`) and a file from an older release
    /// may not, and a new database here would be a stray one.
    static func databasePath(_ parser: ConfigurationParser, file: String?) throws -> String {
        if let path = parser.optional("DATABASE_PATH") { return path }
        guard let file else { return "hh-auth.sqlite3" }
        throw StartupFailure.exit(
            "DATABASE_PATH: is not set, nor in \(file); add the service's database there "
                + "(DATABASE_PATH=/var/lib/hh-auth/hh-auth.sqlite3, as the unit has it)")
    }
}
