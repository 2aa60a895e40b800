import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth migrate-data --from … --to …`: moves a deployment between SQLite and PostgreSQL
/// (docs/scale-out.md, "Moving a deployment") with the service stopped, through ``DataMove``.
/// It reads no settings: both databases are named on the command line, or by the name of an
/// environment variable that holds one (`--from-env`, `--to-env`), so that a URL's password stays
/// out of the process list; PostgreSQL's URL is never printed with its password.
struct MigrateDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-data",
        abstract: "Copy every table from one database to a new, empty one (SQLite or PostgreSQL), service stopped.",
        discussion: """
            The target is created or migrated and must hold no data; everything is copied in one \
            transaction, ids and the audit chain unchanged, and the chain is verified before it commits. \
            A PostgreSQL source that hh-auth is connected to is refused; a SQLite source is locked \
            against writers while it is copied (refused while another connection writes to it; read \
            without the lock, with a note, where it cannot be opened for writing). A URL on the command line is seen by other users in \
            the process list: keep the password in ~/.pgpass, PGPASSWORD or a PGSERVICE entry, or \
            pass the whole URL in an environment variable (--from-env DATABASE_URL).
            """)

    @Option(help: "The database to copy: a SQLite file, or a postgresql:// URL.") var from: String?
    @Option(help: "The new database: a SQLite file, or a postgresql:// URL.") var to: String?
    @Option(help: ArgumentHelp("The name of an environment variable that holds --from's value.", valueName: "variable"))
    var fromEnv: String?
    @Option(help: ArgumentHelp("The name of an environment variable that holds --to's value.", valueName: "variable"))
    var toEnv: String?

    func run() throws {
        let source = try Self.endpoint(given: from, inVariable: fromEnv, option: "--from")
        let target = try Self.endpoint(given: to, inVariable: toEnv, option: "--to")
        // As `migrate`: root writes no database its service's user would have to open, and
        // holds none of that user's files (the source is locked, so opened for writing).
        for (endpoint, option) in [(source, "--from"), (target, "--to")] {
            if case .sqlite(let path) = endpoint {
                try DatabaseOwner.refuseRootOnAnotherUsersFile(path, naming: option)
            }
        }
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
        for note in report.notes { FileHandle.standardError.write(Data("hh-auth: note: \(note)\n".utf8)) }
        print(TableOutput.render(["TABLE", "ROWS"], report.rows.map { [$0.table, String($0.rows)] }))
        print("audit chain: intact on the target, \(report.verifiedAuditEvents) events")
        print("committed")
    }

    /// The option's value, or the environment variable's it names (exactly one of them). A URL
    /// libpq cannot parse is a usage error (exit 2), named without quoting it; one with a password
    /// given on the command line is used, with a warning that does not quote it either.
    private static func endpoint(given argument: String?, inVariable variable: String?, option: String) throws
        -> DataMoveEndpoint
    {
        let value: String
        let name: String
        switch (argument, variable) {
        case (let argument?, nil):
            (value, name) = (argument, option)
        case (nil, let variable?):
            guard let text = ProcessInfo.processInfo.environment[variable] else {
                throw CLIExit.fail("\(option)-env: \(variable) is not set", CLIExit.usage)
            }
            (value, name) = (text, "\(option)-env \(variable)")
        case (_?, _?): throw CLIExit.fail("give \(option) or \(option)-env, not both", CLIExit.usage)
        case (nil, nil): throw CLIExit.fail("give \(option) (or \(option)-env)", CLIExit.usage)
        }
        guard !value.isEmpty else { throw CLIExit.fail("\(name) is empty", CLIExit.usage) }
        let endpoint: DataMoveEndpoint
        do {
            endpoint = try DataMoveEndpoint(value)
        } catch {
            throw CLIExit.fail(
                "\(name): not a URL libpq can read (postgresql://user@host:port/database?parameter=value)",
                CLIExit.usage)
        }
        if variable == nil && endpoint.carriesPassword {
            FileHandle.standardError.write(
                Data(
                    ("hh-auth: warning: \(option)'s URL carries a password, which other users of this machine can "
                        + "see in the process list; keep it in ~/.pgpass, PGPASSWORD or a PGSERVICE entry, or pass "
                        + "the URL in an environment variable (\(option)-env VARIABLE)\n").utf8))
        }
        return endpoint
    }
}
