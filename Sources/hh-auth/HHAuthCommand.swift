import ArgumentParser
import HHAuth

/// `hh-auth`: the service and its operator commands in one binary.
@main
struct HHAuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hh-auth",
        abstract: "HeadHunter login gateway (FastCGI behind nginx).",
        version: HHAuthVersion.current,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, UsersCommand.self, SessionsCommand.self, AuditCommand.self,
            HashPasswordCommand.self, KeysCommand.self, BackupCommand.self, CleanupCommand.self,
        ]
    )
}
