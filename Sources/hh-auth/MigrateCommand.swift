import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth migrate`: creates or upgrades the database schema and exits.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or upgrade the database schema.")

    func run() throws {
        let path = ProcessInfo.processInfo.environment["DATABASE_PATH"] ?? "hh-auth.sqlite3"
        _ = try StartupFailure.exitOnError { try AppDatabase(path: path) }
        print("database \(path) is up to date")
    }
}
