import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM while the service is busy: in-flight requests finish, requests already sent on kept
/// connections are answered, new ones get nginx's JSON 502/503 at once, and the process exits 0;
/// past `SHUTDOWN_TIMEOUT_SECONDS` (40 by default; the unit's `TimeoutStopSec` is 45, then SIGKILL)
/// what is still running is cut.
@Suite("Graceful shutdown under load")
struct ShutdownTests {
    /// 32 workers: eight logins park a worker each at HH, and HH calls are capped at half the workers.
    private static let options = TestStack.Options(workerThreads: 32)

    @Test func sigtermLetsInFlightLoginsFinishAndRefusesNewRequests() throws {
        let stack = try TestStack(Self.options)
        try stack.hh.delay("token", seconds: 2)
        let logins = ConcurrentLogins(stack: stack, count: 8)
        try waitUntil("8 token calls parked at HH", seconds: 20) { try stack.hh.inFlight() == 8 }
        #expect(!logins.anyFinished)

        let service = try #require(stack.service)
        service.signal(SIGTERM)
        // Shutdown has begun once the service refuses new connections on its socket.
        try waitUntil("the service to refuse connections", seconds: 5) { !acceptsConnections(stack.serviceSocket) }

        // Sent after shutdown began, while the eight are still parked: nginx answers, quickly.
        for _ in 0..<3 {
            let started = Date()
            let late = try stack.http.get("/health")
            let elapsed = Date().timeIntervalSince(started)
            #expect([502, 503].contains(late.status), "late request: \(late.status) \(late.text)")
            #expect(late.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(late.detail == "Service temporarily unavailable")
            #expect(elapsed < 1, "late request took \(elapsed) s")
        }
        #expect(try stack.hh.inFlight() > 0, "the late requests must have been sent while logins were in flight")

        let outcomes = try #require(logins.wait(seconds: 20), "logins did not finish")
        let codes = outcomes.compactMap { outcome -> String? in
            guard case .success(let login) = outcome else { return nil }
            return login.callback.status == 200 ? login.exchangeCode : nil
        }
        #expect(codes.count == 8, "\(outcomes.map(Self.describe))")

        let status = service.waitForExit(seconds: 10)
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: running after 10 s")\n\(service.log)")

        // What the drained requests wrote was committed: the codes buy sessions from a new process.
        try stack.restartService()
        for code in codes {
            #expect(try stack.http.post("/auth/exchange", json: ["exchange_code": code]).status == 200)
        }
    }

    @Test func sigtermWithManyIdleKeptConnectionsExitsInTime() throws {
        var options = Self.options
        // Code exchanges may hold half of the HH places: room for the twelve.
        options.environment = ["HH_MAX_CONCURRENT_CALLS": "24"]
        let stack = try TestStack(options)
        // Twelve logins parked at HH at once hold twelve upstream connections; then 200 quick
        // requests, 16 at a time. nginx's two workers each keep up to 8 upstream connections, and
        // a worker thread of the service sits in read() on every one of them.
        try stack.hh.delay("token", seconds: 3, count: 12)
        let logins = ConcurrentLogins(stack: stack, count: 12)
        try waitUntil("12 token calls parked at HH", seconds: 20) { try stack.hh.inFlight() == 12 }
        let outcomes = try #require(logins.wait(seconds: 20), "logins did not finish")
        #expect(outcomes.allSatisfy { (try? $0.get().callback.status) == 200 })
        let failures = FailureList()
        DispatchQueue.concurrentPerform(iterations: 16) { lane in
            for index in stride(from: lane, to: 200, by: 16) {
                do {
                    let response = try stack.http.get("/health")
                    if response.status != 200 { failures.add("request \(index): \(response.status)") }
                } catch {
                    failures.add("request \(index): \(error)")
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(5))")
        #expect(keptConnections(to: stack.serviceSocket) >= 8, "nginx should keep upstream connections open")

        let service = try #require(stack.service)
        let started = Date()
        service.signal(SIGTERM)
        let status = service.waitForExit(seconds: 10)
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: running after 10 s")\n\(service.log)")
        #expect(Date().timeIntervalSince(started) < 10)
        let late = try stack.http.get("/health")
        #expect([502, 503].contains(late.status))
        #expect(late.detail == "Service temporarily unavailable")
    }

    /// A request nginx already sent on a kept connection, still unclaimed because every worker was
    /// busy, is answered after SIGTERM rather than dropped with its connection (nginx: 502).
    @Test func requestWaitingOnAKeptConnectionAtSigtermIsAnswered() throws {
        var options = TestStack.Options()
        options.workerThreads = 2
        // Code exchanges may hold half of the HH places: both workers can be parked at HH.
        options.environment = ["HH_MAX_CONCURRENT_CALLS": "4"]
        let stack = try TestStack(options)
        let kept = try FastCGIWireClient(unixPath: stack.serviceSocket)
        #expect(try kept.get("/health").status == 200)

        // Both workers wait on HH: nobody takes what arrives next.
        try stack.hh.delay("token", seconds: 3, count: 2)
        let logins = ConcurrentLogins(stack: stack, count: 2)
        try waitUntil("both workers parked at HH", seconds: 20) { try stack.hh.inFlight() == 2 }
        try kept.send(path: "/health")

        let service = try #require(stack.service)
        service.signal(SIGTERM)
        try waitUntil("the service to refuse connections", seconds: 5) { !acceptsConnections(stack.serviceSocket) }
        #expect(try stack.hh.inFlight() == 2, "shutdown must begin while both workers are still busy")

        let answer = try kept.receive()
        #expect(answer.status == 200, "the queued request was dropped: \(answer.output.prefix(200))")
        let outcomes = try #require(logins.wait(seconds: 20), "logins did not finish")
        #expect(outcomes.allSatisfy { (try? $0.get().callback.status) == 200 }, "\(outcomes.map(Self.describe))")
        #expect(service.waitForExit(seconds: 10) == 0, "\(service.log)")
    }

    /// The stop bound is real: a request hanging at HH (longer than anything legitimate) is cut
    /// when `SHUTDOWN_TIMEOUT_SECONDS` has passed, the cut is logged, and the process exits.
    @Test func aHangingRequestDoesNotKeepTheProcessPastTheStopBound() throws {
        var options = Self.options
        options.environment = ["HH_TIMEOUT_SECONDS": "120", "SHUTDOWN_TIMEOUT_SECONDS": "2"]
        let stack = try TestStack(options)
        try stack.hh.fail("token", mode: "hang", hangSeconds: 100)
        let logins = ConcurrentLogins(stack: stack, count: 1)
        try waitUntil("the token call to hang at HH", seconds: 20) { try stack.hh.inFlight() == 1 }

        let service = try #require(stack.service)
        let started = Date()
        service.signal(SIGTERM)
        let status = service.waitForExit(seconds: 20)
        let elapsed = Date().timeIntervalSince(started)
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: running after 20 s")\n\(service.log)")
        #expect(elapsed < 6, "stopped after \(elapsed) s with a 2-s bound")
        #expect(service.log.contains("requests_cut=1"), "\(service.log)")
        // The cut request is answered by nginx at once, not left waiting for HH.
        let outcomes = try #require(logins.wait(seconds: 10), "the cut login got no answer")
        #expect(outcomes.allSatisfy { (try? $0.get().callback.status) == 502 }, "\(outcomes.map(Self.describe))")
    }

    private static func describe(_ outcome: Result<BrowserLogin.Outcome, any Error>) -> String {
        switch outcome {
        case .success(let login):
            "\(login.callback.status) \(login.exchangeCode == nil ? login.callback.text.prefix(120) : "code")"
        case .failure(let error): "error: \(error)"
        }
    }
}

/// Browser logins (`Accept: application/json`) running on their own threads.
private final class ConcurrentLogins: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [Result<BrowserLogin.Outcome, any Error>] = []
    private let done = DispatchSemaphore(value: 0)
    private let count: Int

    init(stack: TestStack, count: Int) {
        self.count = count
        for _ in 0..<count {
            Thread { [self] in
                let outcome = Result { try BrowserLogin(stack: stack).run(accept: "application/json") }
                lock.withLock { outcomes.append(outcome) }
                done.signal()
            }.start()
        }
    }

    var anyFinished: Bool { lock.withLock { !outcomes.isEmpty } }

    /// Every outcome, or nil when they did not all arrive in time.
    func wait(seconds: Double) -> [Result<BrowserLogin.Outcome, any Error>]? {
        for _ in 0..<count where done.wait(timeout: .now() + seconds) == .timedOut { return nil }
        return lock.withLock { outcomes }
    }
}

/// What went wrong in concurrent requests, collected under a lock.
private final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []

    func add(_ entry: String) { lock.withLock { entries.append(entry) } }
    var all: [String] { lock.withLock { entries } }
}

/// Whether a unix socket takes a connection (one that is then closed at once).
private func acceptsConnections(_ path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: path.utf8)
        raw[path.utf8.count] = 0
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    } == 0
}

/// Connected sockets on the service's side of `path` (accepted connections carry the bound path in
/// /proc/net/unix, state 03): with nothing in flight, these are nginx's idle kept connections.
private func keptConnections(to path: String) -> Int {
    // Read to the end: `String(contentsOfFile:)` stops after the first page of a /proc file.
    guard let file = FileHandle(forReadingAtPath: "/proc/net/unix") else { return 0 }
    defer { try? file.close() }
    let table = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
    return table.split(separator: "\n").count { line in
        let fields = line.split(separator: " ")
        return fields.count >= 8 && fields[5] == "03" && fields[7] == path
    }
}

/// Polls `condition` every 10 ms until it holds; throws after `seconds`.
private func waitUntil(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        usleep(10_000)
    }
    throw HarnessError("timed out after \(seconds) s waiting for \(what)")
}
