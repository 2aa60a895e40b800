import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth sessions …`: live sessions.
struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List and end sessions.", subcommands: [List.self, End.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List live sessions (handles, never session ids).")
        @Option(name: .customLong("user"), help: "Only this HH user id.") var hhUserID: String?
        @Flag(help: "JSON output.") var json = false

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            let context = try CLIContext.open(settings)
            let administration = context.services.administration()
            // Both passes of the table stop at the same session, so they list the same rows.
            let newest = try administration.newestSessionID()
            if json {
                try TableOutput.streamJSON { emit in
                    try administration.forEachSession(hhUserID: hhUserID, throughID: newest, emit)
                }
                return
            }
            try TableOutput.stream(["HANDLE", "HH_USER_ID", "NAME", "CREATED", "EXPIRES"]) { emit in
                try administration.forEachSession(hhUserID: hhUserID, throughID: newest) {
                    emit([
                        $0.id, $0.user.hhUserID, $0.user.fullName ?? "", TableOutput.date($0.createdAt),
                        TableOutput.date($0.expiresAt),
                    ])
                }
            }
        }
    }

    struct End: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End one session, a user's sessions, or all.")
        @Argument(help: "Session handle (or raw session id; put `--` before one that starts with `-`).") var handle:
            String?
        @Option(name: .customLong("user"), help: "End every session of this HH user id.") var hhUserID: String?
        @Flag(help: "End every session.") var all = false

        func validate() throws {
            let chosen = [handle != nil, hhUserID != nil, all].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError("give exactly one of <handle>, --user <id> or --all") }
        }

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            let context = try CLIContext.open(settings)
            let administration = context.services.administration()
            if let handle {
                guard try administration.endSession(handle, by: context.actor) else {
                    throw CLIExit.fail("no live session \(handle)", CLIExit.notFound)
                }
                print("session ended")
            } else {
                let count = try administration.endSessions(hhUserID: hhUserID, by: context.actor)
                print("\(count) session(s) ended")
            }
        }
    }
}
