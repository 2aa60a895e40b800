import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth migrate`: creates or upgrades the database schema and exits: the SQLite file at
/// `DATABASE_PATH`, or the PostgreSQL database `DATABASE_URL` names (which must exist already).
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or upgrade the database schema.")

    @OptionGroup var settings: SettingsOptions

    func run() throws {
        let gathered = try StartupFailure.exitOnError { try settings.gather(defaults: .production) }
        let parser = ConfigurationParser(settings: gathered.values)
        if case .postgreSQL(let url)? = try StartupFailure.exitOnError({ try parser.database() }) {
            if parser.ignoresDatabasePath { SettingsOptions.writeNote(ConfigurationParser.databasePathIgnored) }
            let leftOff = try StartupFailure.exitOnError { try PostgreSQLMigration.run(connectionString: url) }
            print("database at \(DatabaseSelection.masked(url)) is up to date")
            // The schema is current (the command's job, and what a unit's ExecStartPre waits on),
            // so the exit status stays 0; but an operator who ran it after a restore to set the
            // triggers back must not read success.
            if let leftOff { SettingsOptions.writeNote("warning: \(leftOff)") }
            return
        }
        let path = try Self.databasePath(parser, file: gathered.file)
        try DatabaseOwner.refuseRootOnAnotherUsersFile(path)
        // As `serve` (and systemd's UMask=0077): the database and SQLite's files beside it are the
        // owner's alone.
        umask(0o077)
        _ = try StartupFailure.exitOnError { try AppDatabase(path: path) }
        print("database \(path) is up to date")
    }

    /// `DATABASE_PATH`, or, as `serve` has it (``Configuration/database``), `hh-auth.sqlite3` in
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
