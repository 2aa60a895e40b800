import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth users …`: the whitelist.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage the whitelist of HH user ids.",
        subcommands: [Allow.self, List.self, Remove.self])

    struct Allow: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allow an HH user id (or reactivate it).")
        @Argument(help: "HH user id (digits).") var hhUserID: String
        @Option(help: "Why this user is allowed.") var comment: String?
        @Option(
            name: .customLong("group"),
            help: "A group the user is in (repeat for several); replaces the entry's groups. Without it they stay.")
        var groups: [String] = []
        @Flag(help: "Take the entry out of every group.") var noGroups = false

        /// `nil` keeps the entry's groups, as the admin API does without `groups`.
        private var requestedGroups: [String]? { noGroups ? [] : groups.isEmpty ? nil : groups }

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            let context = try CLIContext.open(settings)
            guard HHUserID.isValid(hhUserID) else {
                throw CLIExit.fail("'\(hhUserID)' is not an HH user id (1-20 digits)", CLIExit.usage)
            }
            guard (comment?.count ?? 0) <= Administration.maxCommentLength else {
                throw CLIExit.fail(
                    "comment is longer than \(Administration.maxCommentLength) characters", CLIExit.usage)
            }
            guard !(noGroups && !groups.isEmpty) else {
                throw CLIExit.fail("--group and --no-groups exclude each other", CLIExit.usage)
            }
            let requested: [String]?
            do {
                requested = try requestedGroups.map(WhitelistGroups.normalized)
            } catch AdminError.invalidGroupName {
                throw CLIExit.fail("--group takes \(WhitelistGroups.nameRule)", CLIExit.usage)
            } catch {
                throw CLIExit.fail("at most \(WhitelistGroups.maxCount) groups per user", CLIExit.usage)
            }
            let entry = try context.services.administration().allow(
                hhUserID: hhUserID, comment: comment, groups: requested, by: context.actor)
            print(
                "allowed \(entry.hhUserID)" + (entry.groups.isEmpty ? "" : " in \(entry.groups.joined(separator: ","))")
            )
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List whitelisted ids.")
        @Flag(help: "Include removed ids.") var all = false
        @Flag(help: "JSON output.") var json = false

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            let context = try CLIContext.open(settings)
            let administration = context.services.administration()
            // Both passes of the table stop at the same entry, so they list the same rows.
            let newest = try administration.newestUserEntryID()
            if json {
                try TableOutput.streamJSON { emit in
                    try administration.forEachUser(activeOnly: !all, throughID: newest, emit)
                }
                return
            }
            try TableOutput.stream(["HH_USER_ID", "ACTIVE", "CREATED", "GROUPS", "COMMENT"]) { emit in
                try administration.forEachUser(activeOnly: !all, throughID: newest) {
                    emit([
                        $0.hhUserID, $0.isActive ? "yes" : "no", TableOutput.date($0.createdAt),
                        $0.groups.isEmpty ? "-" : $0.groups.joined(separator: ","), $0.comment ?? "",
                    ])
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an id from the whitelist and end its sessions.")
        @Argument(help: "HH user id (digits).") var hhUserID: String

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            let context = try CLIContext.open(settings)
            guard HHUserID.isValid(hhUserID) else {
                throw CLIExit.fail("'\(hhUserID)' is not an HH user id (1-20 digits)", CLIExit.usage)
            }
            guard
                let ended = try context.services.administration().remove(
                    hhUserID: hhUserID, by: context.actor)
            else {
                throw CLIExit.fail("user \(hhUserID) is not on the whitelist", CLIExit.notFound)
            }
            print("removed \(hhUserID); \(ended) session(s) ended")
        }
    }
}
