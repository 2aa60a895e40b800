import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth`: the service and its operator commands in one binary.
@main
struct HHAuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hh-auth",
        abstract: "HeadHunter login gateway (FastCGI behind nginx).",
        version: HHAuthVersion.current,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, MigrateDataCommand.self, UsersCommand.self, SessionsCommand.self,
            AuditCommand.self,
            HashPasswordCommand.self, KeysCommand.self, BackupCommand.self, CleanupCommand.self, RoutesCommand.self,
            DoctorCommand.self,
        ]
    )

    /// `--env-file` and `--credentials-directory` before the command's name (`hh-auth --env-file
    /// FILE users list`); the commands that read settings declare them too, and get this value.
    @OptionGroup var settings: SettingsOptions

    /// Like ArgumentParser's own `main`, except that usage errors exit with 2 (as documented for
    /// the operator commands) rather than sysexits' 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
