import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth migrate`: creates or upgrades the database schema and exits.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or upgrade the database schema.")

    @OptionGroup var settings: SettingsOptions

    func run() throws {
        let parser = ConfigurationParser(
            settings: try StartupFailure.exitOnError { try settings.settings(defaults: .production) })
        // As `serve` has it (``Configuration/databasePath``).
        let path = parser.optional("DATABASE_PATH") ?? "hh-auth.sqlite3"
        try DatabaseOwner.refuseRootOnAnotherUsersFile(path)
        _ = try StartupFailure.exitOnError { try AppDatabase(path: path) }
        print("database \(path) is up to date")
    }
}
