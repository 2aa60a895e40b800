import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth audit …`: read, export, verify and prune the audit trail.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read, export, verify and prune the audit trail.",
        subcommands: [List.self, Export.self, Verify.self, Prune.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show recent events, newest first.")
        @Option(help: "How many (1-1000).") var limit = 50
        @Option(help: "Only this event type.") var type: String?
        @Option(help: "Only this user id (the numeric users.id).") var user: Int64?
        @Option(help: "Only events at or after this RFC 3339 time or date.") var since: String?
        @Flag(help: "JSON output.") var json = false

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            guard (1...1000).contains(limit) else { throw CLIExit.fail("--limit must be 1 to 1000", CLIExit.usage) }
            let filter = AuditFilter(eventType: type, userID: user, since: try since.map(parseDate))
            let context = try CLIContext.open(settings)
            let page = try context.services.administration().auditPage(filter, limit: limit, offset: 0)
            if json {
                print(try TableOutput.json(page.items))
                return
            }
            print(
                TableOutput.render(
                    ["ID", "TIME", "TYPE", "USER", "METADATA"],
                    page.items.map {
                        [
                            String($0.id), TableOutput.date($0.createdAt), $0.eventType,
                            $0.userID.map(String.init) ?? "-",
                            (try? TableOutput.json($0.metadata)) ?? "",
                        ]
                    }))
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stream events, oldest first, to stdout.")
        @Option(help: "jsonl or csv.") var format: String = "jsonl"
        @Option(help: "Only events at or after this RFC 3339 time or date.") var since: String?

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            guard let chosen = AuditExport.Format(rawValue: format) else {
                throw CLIExit.fail("--format must be jsonl or csv", CLIExit.usage)
            }
            let from = try since.map(parseDate)
            let context = try CLIContext.open(settings)
            let output = FileHandle.standardOutput
            try context.services.administration().exportAudit(format: chosen, since: from) { chunk in
                output.write(Data(chunk))
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the hash chain; name the first broken link.")

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            let context = try CLIContext.open(settings)
            switch try context.services.administration().verifyAudit() {
            case .intact(let count):
                print("OK: \(count) events, chain intact")
            case .broken(let id, let checked):
                print("BROKEN: event \(id) does not follow from the chain (\(checked) events before it verified)")
                throw ExitCode(3)
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete events older than a date (recorded as audit_pruned).")
        @Option(help: "RFC 3339 time or date; events before it are deleted.") var before: String

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            let date = try parseDate(before)
            let context = try CLIContext.open(settings)
            let count = try context.services.administration().pruneAudit(before: date, by: context.actor)
            print("pruned \(count) event(s)")
        }
    }
}

private func parseDate(_ text: String) throws -> Date {
    guard let date = RFC3339.parse(text) else {
        throw CLIExit.fail("'\(text)' is not an RFC 3339 time or date", CLIExit.usage)
    }
    return date
}
