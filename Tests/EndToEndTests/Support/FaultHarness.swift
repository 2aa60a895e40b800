import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `body(0..<count)` on `count` threads of their own, all at once, and returns the results in
/// order. (`DispatchQueue.concurrentPerform` would run only as many at a time as there are cores.)
func runOnThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = LockedBox<[Int: T]>([:])
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            let value = body(index)
            results.update { $0[index] = value }
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
    let all = results.value
    return (0..<count).map { all[$0]! }
}

/// A value shared between threads under a lock.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func update<R>(_ change: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return change(&stored)
    }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass; whether it held.
func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}

/// A response and how long the client waited for it (`nil` response: the connection failed).
struct TimedResponse: Sendable {
    var response: WireResponse?
    var seconds: Double
    var error: String?

    var status: Int? { response?.status }

    static func measure(_ call: () throws -> WireResponse) -> TimedResponse {
        let started = Date()
        do {
            let response = try call()
            return TimedResponse(response: response, seconds: Date().timeIntervalSince(started))
        } catch {
            return TimedResponse(
                response: nil, seconds: Date().timeIntervalSince(started), error: String(describing: error))
        }
    }
}

/// Polls `GET /health` through nginx on a thread of its own until stopped, timing every answer.
final class HealthWatch: @unchecked Sendable {
    private let stack: TestStack
    private let samples = LockedBox<[TimedResponse]>([])
    private let stopped = LockedBox(false)
    private let finished = DispatchSemaphore(value: 0)

    init(_ stack: TestStack) {
        self.stack = stack
        Thread { [self] in
            while !stopped.value {
                let sample = TimedResponse.measure {
                    try RawHTTPClient(port: stack.httpPort, timeoutSeconds: 10).get("/health")
                }
                samples.update { $0.append(sample) }
                usleep(25_000)
            }
            finished.signal()
        }.start()
    }

    /// Stops polling and returns every sample taken.
    func stop() -> [TimedResponse] {
        stopped.update { $0 = true }
        finished.wait()
        return samples.value
    }
}

/// A tmpfs of a few MiB mounted on a fresh directory: a disk that can be filled in a test.
final class TmpfsMount {
    let path: String
    private var mounted = false

    init(sizeKiB: Int) throws {
        let base = ProcessInfo.processInfo.environment["HH_AUTH_TEST_TMP"] ?? NSTemporaryDirectory()
        path = (base as NSString).appendingPathComponent("hhfs-" + UUID().uuidString.prefix(8).lowercased())
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try runCommand(
            "/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeKiB)k,mode=0700", "tmpfs", path])
        guard result.status == 0 else { throw HarnessError("mount tmpfs on \(path): \(result.output)") }
        mounted = true
    }

    /// Bytes still free on the mount.
    var freeBytes: UInt64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Writes zeros to `name` until the file system refuses more (ENOSPC); returns the path.
    func fill(name: String = "filler") throws -> String {
        let filler = path + "/" + name
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw HarnessError("open \(filler): errno \(errno)") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 { continue }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && errno == ENOSPC { break }
            throw HarnessError("write \(filler): errno \(errno)")
        }
        return filler
    }

    /// Unmounts (lazily if something still holds a file open) and removes the directory.
    func unmount() {
        guard mounted else { return }
        if (try? runCommand("/usr/bin/umount", [path]))?.status != 0 {
            _ = try? runCommand("/usr/bin/umount", ["-l", path])
        }
        mounted = false
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit { unmount() }
}

/// Another process holding SQLite's write lock: the `sqlite3` shell in `BEGIN IMMEDIATE` for a
/// while, as a careless operator's session or a backup tool would.
final class SQLiteLockHolder {
    let process: ManagedProcess

    /// Starts the shell and returns once it holds the lock.
    init(database: String, holdSeconds: Int, directory: String) throws {
        let script = directory + "/hold-lock.sql"
        try "BEGIN IMMEDIATE;\n.print LOCKED\n.shell sleep \(holdSeconds)\nCOMMIT;\n.print RELEASED\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        guard let input = FileHandle(forReadingAtPath: script) else { throw HarnessError("cannot read \(script)") }
        process = try ManagedProcess(
            name: "sqlite3", executable: SQLiteShell.executable, arguments: ["-batch", database], environment: [:],
            logPath: directory + "/hold-lock.log", standardInput: input)
        let deadline = Date().addingTimeInterval(10)
        while !process.log.contains("LOCKED") {
            guard process.isRunning, Date() < deadline else {
                throw HarnessError("sqlite3 did not take the lock: \(process.log)")
            }
            usleep(10_000)
        }
    }

    /// Waits for the shell to commit and exit.
    func waitUntilReleased(seconds: Double = 30) throws {
        guard process.waitForExit(seconds: seconds) == 0, process.log.contains("RELEASED") else {
            throw HarnessError("sqlite3 lock holder did not finish cleanly: \(process.log)")
        }
    }
}

/// The steps of a browser login up to, but not including, the callback: a pending login whose
/// callback the test fires when it chooses, from ``BrowserLogin/browser`` (which holds its cookie).
extension BrowserLogin {
    func pendingCallback(asUser user: String? = nil) throws -> String {
        let login = try browser.get("/auth/login")
        guard login.status == 302, let authorize = login.headers["location"] else {
            throw HarnessError("login answered \(login.status) \(login.text)")
        }
        let target =
            try Self.target(of: authorize, expectingPort: stack.standInPort) + (user.map { "&as_user=\($0)" } ?? "")
        let approval = try RawHTTPClient(port: stack.standInPort).get(target)
        guard approval.status == 302, let callback = approval.headers["location"] else {
            throw HarnessError("authorize answered \(approval.status) \(approval.text)")
        }
        return try Self.target(of: callback, expectingPort: stack.httpPort)
    }
}
