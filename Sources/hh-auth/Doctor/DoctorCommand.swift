import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth doctor`: checks a deployment with the settings `serve` reads, one line per check
/// (`ok   <check>: <detail>` or `FAIL <check>: <what is wrong> — <what to do>`); exit 0 only when
/// every check passes, 1 when one fails. It changes nothing: the database is opened read-only,
/// never created or migrated, and HH is asked only what changes nothing.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract:
            "Check this deployment (settings, database, encryption key, HH, socket, clock); exit 0 only when all pass.")

    @Option(help: "The user nginx's workers run as (nginx.conf's `user`): it must be able to connect to the socket.")
    var nginxUser = "www-data"

    @Option(
        help: ArgumentHelp(
            "The unix socket systemd listens on, checked when FCGI_SOCKET is not set (socket activation).",
            valueName: "path"))
    var socket = SocketCheck.systemdSocketPath

    @Flag(help: "Run integrity_check whatever the database's size (over 512 MiB quick_check runs by default).")
    var fullIntegrityCheck = false

    @OptionGroup var settings: SettingsOptions

    func validate() throws {
        guard !nginxUser.isEmpty else { throw ValidationError("--nginx-user must name a user") }
        guard socket.hasPrefix("/") else { throw ValidationError("--socket must be an absolute path") }
    }

    func run() throws {
        // As every operator command reads them: on the box, /etc/hh-auth/env and its credentials.
        let gathered = try StartupFailure.exitOnError { try self.settings.settings(defaults: .production) }
        let parser = ConfigurationParser(settings: gathered)
        let report = DoctorReport()
        let settings = SettingsCheck(parser: parser, settings: gathered).run()
        report.add(settings.finding)
        let database = databaseCheck(parser)
        report.add(database.findings)
        report.add(EncryptionKeyCheck(configuration: settings.configuration, database: database.current).run())
        let headHunter = HeadHunterCheck(configuration: settings.configuration).run()
        report.add(headHunter.findings)
        report.add(SocketCheck(listener: settings.listener, systemdSocket: socket, nginxUser: nginxUser).run())
        report.add(ClockCheck(now: Date(), newestAuditEvent: database.newestAuditEvent, hhDate: headHunter.date).run())
        if report.failures > 0 { throw ExitCode(1) }
    }

    /// The database check of the engine the settings select (`DATABASE_URL` wins over `DATABASE_PATH`).
    private func databaseCheck(_ parser: ConfigurationParser) -> DatabaseCheck.Outcome {
        do {
            if case .postgreSQL(let url)? = try parser.database() {
                return PostgreSQLDatabaseCheck(connectionString: url).run()
            }
        } catch {
            return DatabaseCheck.notOpened(
                error.description,
                remedy: "give DATABASE_URL as postgresql://user@host/database, or unset it for SQLite")
        }
        return DatabaseCheck(path: parser.optional("DATABASE_PATH"), fullIntegrityCheck: fullIntegrityCheck).run()
    }
}
