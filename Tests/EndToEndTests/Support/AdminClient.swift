import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The admin API through nginx, with HTTP Basic credentials (the stack's `admin` / `admin-password`
/// unless told otherwise).
struct AdminClient {
    let stack: TestStack
    var username = "admin"
    var password = "admin-password"
    /// The nginx port to send to: the stack's own unless told (a node's, ``StackNode/admin``).
    var port: UInt16? = nil

    private var http: RawHTTPClient { RawHTTPClient(port: port ?? stack.httpPort) }

    static func basic(_ username: String, _ password: String) -> String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    var authorization: String { Self.basic(username, password) }

    func get(_ target: String, headers: [String: String] = [:]) throws -> WireResponse {
        try http.get(target, headers: withAuthorization(headers))
    }

    func post(_ target: String, json: [String: Any], headers: [String: String] = [:]) throws -> WireResponse {
        try http.post(target, json: json, headers: withAuthorization(headers))
    }

    /// A POST whose body is sent byte for byte (malformed JSON and the like).
    func post(_ target: String, rawBody: String) throws -> WireResponse {
        try http.send(
            method: "POST", target: target, headers: withAuthorization(["Content-Type": "application/json"]),
            body: Array(rawBody.utf8))
    }

    func delete(_ target: String) throws -> WireResponse {
        try http.send(method: "DELETE", target: target, headers: withAuthorization([:]), body: nil)
    }

    func allow(_ hhUserID: String, comment: String? = nil) throws -> WireResponse {
        var body: [String: Any] = ["hh_user_id": hhUserID]
        if let comment { body["comment"] = comment }
        return try post("/admin/users/allow", json: body)
    }

    /// `GET /admin/audit-log` with the given query (without `?`); fails unless it answers 200.
    func auditLog(_ query: String = "limit=1000") throws -> AuditPage {
        let response = try get("/admin/audit-log" + (query.isEmpty ? "" : "?" + query))
        guard response.status == 200 else {
            throw HarnessError("audit-log answered \(response.status) \(response.text)")
        }
        return try AuditPage(response)
    }

    private func withAuthorization(_ headers: [String: String]) -> [String: String] {
        var all = headers
        all["Authorization"] = all["Authorization"] ?? authorization
        return all
    }
}

/// One page of `GET /admin/audit-log`, decoded loosely so a test can look at any field.
struct AuditPage {
    let raw: String
    let events: [[String: Any]]
    let total: Int
    let limit: Int
    let offset: Int

    init(_ response: WireResponse) throws {
        let object = try response.json()
        guard let events = object["events"] as? [[String: Any]], let total = object["total"] as? Int,
            let limit = object["limit"] as? Int, let offset = object["offset"] as? Int
        else { throw HarnessError("not an audit page: \(response.text.prefix(300))") }
        self.raw = response.text
        self.events = events
        self.total = total
        self.limit = limit
        self.offset = offset
    }

    var ids: [Int] { events.compactMap { $0["id"] as? Int } }

    func events(ofType type: String) -> [[String: Any]] { events.filter { $0["event_type"] as? String == type } }
}

/// What an `hh-auth` command printed and how it ended.
struct CLIOutput: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8)) }

    var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Runs the built `hh-auth` binary as an operator would, against the stack's database (which the
/// service keeps serving from: its SQLite file, or its PostgreSQL schema) with the stack's key.
struct OperatorCLI {
    let stack: TestStack

    var environment: [String: String] {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "DATABASE_PATH": stack.databasePath,
            "ENCRYPTION_KEY": stack.serviceEnvironment["ENCRYPTION_KEY"] ?? TestStack.testKey,
        ]
        // As the service: on PostgreSQL the URL selects the database (and the path is not read).
        if let url = stack.databaseURL {
            environment["DATABASE_URL"] = url
            environment["DATABASE_PATH"] = nil
        }
        return environment
    }

    /// `extraEnvironment` values replace the defaults; a `nil` value removes the variable.
    func run(
        _ arguments: [String], extraEnvironment: [String: String?] = [:], input: String? = nil,
        timeoutSeconds: Double = 60
    ) throws -> CLIOutput {
        var environment = self.environment
        for (name, value) in extraEnvironment { environment[name] = value }
        return try Self.run(
            executable: TestStack.binaries + "/hh-auth", arguments, environment: environment, input: input,
            directory: stack.directory, timeoutSeconds: timeoutSeconds)
    }

    /// Output goes to files, so neither pipe can fill up and block the child; a command that runs
    /// past `timeoutSeconds` (a service that should have refused to start) is killed and reported.
    /// `workingDirectory` is the child's current directory (default: the test's own).
    static func run(
        executable: String, _ arguments: [String], environment: [String: String], input: String?, directory: String,
        timeoutSeconds: Double, workingDirectory: String? = nil
    ) throws -> CLIOutput {
        let stem = directory + "/cli-" + UUID().uuidString.prefix(8).lowercased()
        let outPath = stem + ".out"
        let errPath = stem + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try inputPipe.fileHandleForWriting.close()
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw HarnessError("hh-auth \(arguments.joined(separator: " ")) still running after \(timeoutSeconds) s")
        }
        process.waitUntilExit()
        return CLIOutput(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

/// The `sqlite3` shell on a database file: what an operator (or an attacker with file access) can do
/// behind the service's back.
enum SQLiteShell {
    static let executable = "/usr/bin/sqlite3"

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// Runs `sql` and returns the output lines; throws when sqlite3 fails.
    @discardableResult
    static func run(_ path: String, _ sql: String) throws -> [String] {
        let result = try runCommand(executable, ["-batch", "-bail", "-cmd", ".timeout 5000", path, sql])
        guard result.status == 0 else { throw HarnessError("sqlite3 \(sql): \(result.output)") }
        return result.output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}

/// A fresh 32-byte key, base64, as ENCRYPTION_KEY wants it.
func randomEncryptionKey() -> String {
    var generator = SystemRandomNumberGenerator()
    return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
}

/// Waits until the wall clock has passed `instant`: for tests whose subject is a point in time (a
/// lockout window, a timestamp filter), never as a way to wait for another process.
func waitUntilClockPasses(_ instant: Date) {
    while Date() <= instant { usleep(1_000) }
}

/// The next whole second after now, and its RFC 3339 text (`2025-01-10T10:00:00Z`): a boundary
/// that formats exactly, for timestamp filters and `audit prune --before`.
func nextWholeSecond() -> (date: Date, text: String) {
    let date = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 0.001).rounded(.up))
    return (date, ISO8601DateFormatter().string(from: date))
}
