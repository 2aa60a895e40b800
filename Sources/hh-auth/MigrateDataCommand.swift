import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth migrate-data --from … --to …`: moves a deployment between SQLite and PostgreSQL
/// (docs/scale-out.md, "Moving a deployment") with the service stopped, through ``DataMove``.
/// It reads no settings: both databases are named on the command line, PostgreSQL's by a URL
/// whose password is never printed.
struct MigrateDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-data",
        abstract: "Copy every table from one database to a new, empty one (SQLite or PostgreSQL), service stopped.",
        discussion: """
            The target is created or migrated and must hold no data; everything is copied in one \
            transaction, ids and the audit chain unchanged, and the chain is verified before it commits. \
            A password may come from PGPASSWORD or ~/.pgpass instead of the URL, which other users \
            can see in the process list.
            """)

    @Option(help: "The database to copy: a SQLite file, or a postgresql:// URL.") var from: String
    @Option(help: "The new database: a SQLite file, or a postgresql:// URL.") var to: String

    func run() throws {
        let source = try Self.endpoint(from, option: "--from")
        let target = try Self.endpoint(to, option: "--to")
        // As `migrate`: a SQLite file made here is the owner's alone.
        umask(0o077)
        print("from \(source)")
        print("to   \(target)")
        let report: DataMove.Report
        do {
            report = try DataMove(from: source, to: target).run()
        } catch {
            throw CLIExit.fail("migrate-data: \(error)", ExitCode.failure)
        }
        print(TableOutput.render(["TABLE", "ROWS"], report.rows.map { [$0.table, String($0.rows)] }))
        print("audit chain: intact on the target, \(report.verifiedAuditEvents) events")
        print("committed")
    }

    /// A URL libpq cannot parse is a usage error (exit 2), named without quoting it.
    private static func endpoint(_ argument: String, option: String) throws -> DataMoveEndpoint {
        guard !argument.isEmpty else { throw CLIExit.fail("\(option) is empty", CLIExit.usage) }
        do {
            return try DataMoveEndpoint(argument)
        } catch {
            throw CLIExit.fail(
                "\(option): not a URL libpq can read (postgresql://user@host:port/database?parameter=value)",
                CLIExit.usage)
        }
    }
}
