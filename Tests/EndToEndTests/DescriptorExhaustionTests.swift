import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Out of file descriptors (a connection flood against a low `LimitNOFILE`), `accept` fails with
/// EMFILE while connections wait in the backlog. The service must pause accepting instead of
/// spinning on the ever-ready listening socket, say so once, and recover when descriptors free up.
@Suite("Out of file descriptors")
struct DescriptorExhaustionTests {
    @Test func acceptBacksOffInsteadOfSpinningAndRecovers() throws {
        var options = TestStack.Options()
        options.openFileLimit = 128
        let stack = try TestStack(options)
        let service = try #require(stack.service)

        // Far more connections than descriptors left: the service fills up, the rest wait.
        var flood = try (0..<200).map { _ in try FastCGIWireClient(unixPath: stack.serviceSocket) }
        try poll("the service to run out of descriptors", seconds: 10) { openDescriptors(of: service.pid) >= 126 }

        let cpuBefore = cpuSeconds(of: service.pid)
        let window = Date().addingTimeInterval(2)
        // A measuring window, not a wait for a condition: the CPU the service burns meanwhile.
        while Date() < window { usleep(100_000) }
        let burned = cpuSeconds(of: service.pid) - cpuBefore
        #expect(burned < 0.2, "the service used \(burned) s of CPU in 2 s while out of descriptors")
        #expect(service.log.components(separatedBy: "out of file descriptors").count - 1 == 1, "\(service.log)")

        // Descriptors come back: the connections that waited are taken, new ones are served.
        flood.removeAll()
        try poll("a fresh connection to be served", seconds: 10) {
            (try? FastCGIWireClient(unixPath: stack.serviceSocket, timeoutSeconds: 2).get("/health").status) == 200
        }
        // The poller says so when it finds the backlog empty, which may come just after a worker
        // answered the fresh connection.
        try poll("the service to say it accepts again", seconds: 10) {
            service.log.contains("accepting connections again")
        }
        #expect(try stack.http.get("/health").status == 200)
    }
}

private func openDescriptors(of pid: Int32) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
}

/// User plus system CPU time of a process, from /proc/<pid>/stat (fields 14 and 15, in ticks).
private func cpuSeconds(of pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let afterName = stat.range(of: ")", options: .backwards)
    else { return 0 }
    let fields = stat[afterName.upperBound...].split(separator: " ")
    // fields[0] is the state (field 3), so utime (14) and stime (15) are at 11 and 12.
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

private func poll(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        usleep(20_000)
    }
    throw HarnessError("timed out after \(seconds) s waiting for \(what)")
}
