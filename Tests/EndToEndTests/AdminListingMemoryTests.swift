import Foundation
import Testing

/// Issue 9, item 11: listing 100,000 sessions costs the service no more memory than a page, and
/// the CLI streams them.
@Suite("Admin listings stay small in memory")
struct AdminListingMemoryTests {
    static let sessionCount = 100_000
    static let serviceLimitMiB = 60.0
    /// Rows held in memory would cost far more: 100,000 listings and their JSON are tens of MiB.
    static let cliGrowthLimitMiB = 10.0

    /// `VmHWM` (peak resident set) or `VmRSS` of a process, in MiB.
    private func memory(_ field: String, of pid: Int32) throws -> Double {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let kilobytes = line.split(separator: " ").compactMap({ Double($0) }).first
        else { throw HarnessError("no \(field) for \(pid)") }
        return kilobytes / 1024
    }

    @Test func fourConcurrentListingsOfAHundredThousandSessionsKeepTheServiceUnder60MiB() throws {
        try #require(SQLiteShell.isAvailable, "sqlite3 is missing (make deps)")
        let stack = try TestStack()
        try BulkSessions.insert(Self.sessionCount, into: stack.databasePath)
        let pid = try #require(stack.service?.pid)
        let before = try memory("VmRSS", of: pid)

        let targets = [
            "/admin/sessions", "/admin/sessions?limit=1000", "/admin/sessions?limit=1000&offset=99000",
            "/admin/sessions?user=\(BulkSessions.hhUserID)&limit=1000&offset=50000", "/admin/users?limit=1000",
        ]
        let failures = FailureList()
        DispatchQueue.concurrentPerform(iterations: 4) { client in
            for round in 0..<3 {
                for target in targets {
                    do {
                        let response = try AdminClient(stack: stack).get(target)
                        let body = try response.json()
                        let total = body["total"] as? Int
                        let expected = target.hasPrefix("/admin/users") ? 1 : Self.sessionCount
                        if response.status != 200 || total != expected || response.body.count > 400_000 {
                            failures.add(
                                "client \(client) round \(round) \(target): \(response.status) total \(total ?? -1), \(response.body.count) bytes"
                            )
                        }
                    } catch {
                        failures.add("client \(client) \(target): \(error)")
                    }
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        let peak = try memory("VmHWM", of: pid)
        print(
            "hh-auth with \(Self.sessionCount) sessions: RSS \(String(format: "%.1f", before)) MiB before, peak \(String(format: "%.1f", peak)) MiB after 4 × 15 concurrent listings"
        )
        #expect(peak < Self.serviceLimitMiB, "peak RSS \(peak) MiB")
    }

    @Test func theCLIStreamsAHundredThousandSessions() throws {
        try #require(SQLiteShell.isAvailable, "sqlite3 is missing (make deps)")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "GNU time is missing (make deps)")
        let stack = try TestStack()
        try BulkSessions.insert(Self.sessionCount, into: stack.databasePath)
        let cli = OperatorCLI(stack: stack)
        func peakMiB(_ arguments: [String]) throws -> (output: CLIOutput, peak: Double) {
            let output = try OperatorCLI.run(
                executable: "/usr/bin/time", ["-f", "maxrss_kb=%M", TestStack.binaries + "/hh-auth"] + arguments,
                environment: cli.environment, input: nil, directory: stack.directory, timeoutSeconds: 60)
            #expect(output.status == 0, "\(arguments): \(output.stderr)")
            let kilobytes = output.stderr.split(separator: "\n").last { $0.hasPrefix("maxrss_kb=") }.flatMap {
                Double($0.dropFirst(10))
            }
            return (output, try #require(kilobytes) / 1024)
        }
        // What the command costs with almost nothing to list: the binary, Foundation, SQLite.
        let baseline = try peakMiB(["users", "list"]).peak
        for arguments in [["sessions", "list", "--json"], ["sessions", "list"]] {
            let (output, peak) = try peakMiB(arguments)
            print(
                "hh-auth \(arguments.joined(separator: " ")) of \(Self.sessionCount) sessions: peak RSS \(String(format: "%.1f", peak)) MiB "
                    + "(listing one user: \(String(format: "%.1f", baseline)) MiB)")
            #expect(
                peak < baseline + Self.cliGrowthLimitMiB, "\(arguments): peak RSS \(peak) MiB, baseline \(baseline) MiB"
            )
            if arguments.contains("--json") {
                #expect((try output.json() as? [[String: Any]])?.count == Self.sessionCount)
            } else {
                #expect(output.lines.count == Self.sessionCount + 1)
                #expect(output.lines.first?.hasPrefix("HANDLE") == true)
            }
        }
    }
}

/// Failures collected from concurrent clients.
private final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []

    func add(_ value: String) {
        lock.lock()
        values.append(value)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
