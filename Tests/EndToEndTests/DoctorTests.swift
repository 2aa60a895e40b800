import Foundation
import Testing

/// Issue 12: `hh-auth doctor` run as an operator would, with the settings the stack's `serve` runs
/// with, against the live stack (nginx + hh-auth + hh-standin).
@Suite("hh-auth doctor against a serving stack")
struct DoctorTests {
    /// Every check, in the order doctor prints them.
    static let checks = [
        "settings", "database", "migrations", "integrity", "journal", "encryption-key", "old-keys", "hh-token-host",
        "hh-api-host", "user-agent", "socket", "clock",
    ]

    /// One finding line: `ok   <check>: …` or `FAIL <check>: … — …`.
    struct Line {
        var passed: Bool
        var check: String
        var text: String
    }

    /// Runs `hh-auth doctor` with the service's own environment, changed by `changes` (a `nil`
    /// value removes the setting). nginx's workers run as root here (see render-nginx.sh).
    private func doctor(
        _ stack: TestStack, _ changes: [String: String?] = [:], arguments: [String] = ["--nginx-user", "root"]
    ) throws -> CLIOutput {
        var environment = stack.serviceEnvironment
        for (name, value) in changes { environment[name] = value }
        return try OperatorCLI.run(
            executable: TestStack.binaries + "/hh-auth", ["doctor"] + arguments, environment: environment, input: nil,
            directory: stack.directory, timeoutSeconds: 60)
    }

    private func lines(_ output: CLIOutput) throws -> [Line] {
        try output.lines.map { line in
            let passed = line.hasPrefix("ok   ")
            #expect(passed || line.hasPrefix("FAIL "), "not a finding: \(line)")
            let rest = line.dropFirst(5)
            let colon = try #require(rest.firstIndex(of: ":"), "no check name: \(line)")
            if !passed { #expect(line.contains(" — "), "a FAIL line says what to do: \(line)") }
            return Line(passed: passed, check: String(rest[..<colon]), text: line)
        }
    }

    /// No secret's value in anything doctor printed.
    private func expectNoSecrets(
        _ output: CLIOutput, _ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for secret in secrets where !secret.isEmpty {
            #expect(!output.stdout.contains(secret), "a secret in stdout: \(output)", sourceLocation: sourceLocation)
            #expect(!output.stderr.contains(secret), "a secret in stderr: \(output)", sourceLocation: sourceLocation)
        }
    }

    private func secrets(_ stack: TestStack) -> [String] {
        ["HH_CLIENT_SECRET", "ENCRYPTION_KEY", "ADMIN_PASSWORD"].compactMap { stack.serviceEnvironment[$0] }
    }

    @Test func passesAgainstTheServingStack() throws {
        let stack = try TestStack()
        // A stored token pair for the key check to open.
        _ = try BrowserLogin(stack: stack).session()
        let output = try doctor(stack)
        #expect(output.status == 0, "\(output)")
        let found = try lines(output)
        #expect(found.map(\.check) == Self.checks, "\(output)")
        #expect(found.allSatisfy { $0.passed }, "\(output)")
        #expect(found.first { $0.check == "encryption-key" }?.text.contains("opens a stored token; 1 pair(s)") == true)
        #expect(found.first { $0.check == "socket" }?.text.contains("something listens on it") == true)
        #expect(found.first { $0.check == "integrity" }?.text.contains("integrity_check: ok") == true)
        #expect(output.stderr.isEmpty, "\(output)")
        expectNoSecrets(output, secrets(stack))

        // The secrets as systemd hands them over ($CREDENTIALS_DIRECTORY) read as `serve` reads them.
        let credentials = stack.directory + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        for (name, file) in [("ENCRYPTION_KEY", "encryption_key"), ("HH_CLIENT_SECRET", "hh_client_secret")] {
            try Data((stack.serviceEnvironment[name] ?? "").utf8).write(
                to: URL(fileURLWithPath: credentials + "/" + file))
        }
        let fromCredentials = try doctor(
            stack, ["ENCRYPTION_KEY": nil, "HH_CLIENT_SECRET": nil, "CREDENTIALS_DIRECTORY": credentials])
        #expect(fromCredentials.status == 0, "\(fromCredentials)")
        expectNoSecrets(fromCredentials, secrets(stack))
    }

    @Test func failsNamingHHWhenHHDoesNotAnswer() throws {
        let stack = try TestStack()
        // A loopback port nothing listens on: connections are refused at once.
        let closed = try FreePorts.take(1)[0]
        let output = try doctor(
            stack, ["HH_TOKEN_URL": "http://127.0.0.1:\(closed)/token", "HH_API_URL": "http://127.0.0.1:\(closed)"])
        #expect(output.status == 1, "\(output)")
        let found = try lines(output)
        #expect(found.map(\.check) == Self.checks, "\(output)")
        #expect(found.filter { !$0.passed }.map(\.check) == ["hh-token-host", "hh-api-host"], "\(output)")
        for check in ["hh-token-host", "hh-api-host"] {
            let line = try #require(found.first { $0.check == check }).text
            #expect(line.contains("HH did not answer") && line.contains("127.0.0.1:\(closed)"), "\(line)")
        }
        #expect(found.first { $0.check == "hh-token-host" }?.text.contains("HH_TOKEN_URL") == true)
        #expect(found.first { $0.check == "hh-api-host" }?.text.contains("HH_API_URL") == true)
        #expect(found.first { $0.check == "clock" }?.text.contains("HH's Date not compared") == true)
        expectNoSecrets(output, secrets(stack))
    }

    /// An HH that answers, but failing (5xx), throttling (429) or refusing the User-Agent (400
    /// `bad_user_agent`): the host is there, and still nothing would work.
    @Test func failsNamingHHWhenHHAnswersWithAFailure() throws {
        let stack = try TestStack()
        let failures: [(status: Int, body: String)] = [
            (502, "<html>Bad Gateway</html>"),
            (429, #"{"errors":[{"type":"too_many_requests"}],"description":"Too many requests"}"#),
        ]
        for failure in failures {
            let answer = FixedAnswerHTTPServer.Answer(status: failure.status, body: failure.body)
            let hh = try FixedAnswerHTTPServer(answers: ["/token": answer, "/me": answer])
            defer { hh.stop() }
            let output = try doctor(stack, ["HH_TOKEN_URL": hh.url + "/token", "HH_API_URL": hh.url])
            #expect(output.status == 1, "\(output)")
            let found = try lines(output)
            #expect(found.map(\.check) == Self.checks, "\(output)")
            #expect(found.filter { !$0.passed }.map(\.check) == ["hh-token-host", "hh-api-host"], "\(output)")
            for check in ["hh-token-host", "hh-api-host"] {
                let line = try #require(found.first { $0.check == check }).text
                #expect(line.contains("HH") && line.contains("answered \(failure.status)"), "\(line)")
            }
        }

        // HH refuses the User-Agent: the token endpoint's 400 is what a GET without a grant gets.
        let hh = try FixedAnswerHTTPServer(answers: [
            "/token": .init(status: 400, body: #"{"error":"invalid_request"}"#),
            "/me": .init(
                status: 400,
                body: #"{"errors":[{"type":"bad_user_agent","value":"blocked"}],"description":"Bad User-Agent"}"#),
        ])
        defer { hh.stop() }
        let refused = try doctor(stack, ["HH_TOKEN_URL": hh.url + "/token", "HH_API_URL": hh.url])
        #expect(refused.status == 1, "\(refused)")
        let found = try lines(refused)
        #expect(found.filter { !$0.passed }.map(\.check) == ["user-agent"], "\(refused)")
        let line = try #require(found.first { $0.check == "user-agent" }).text
        #expect(line.contains("HH refused HH_USER_AGENT") && line.contains("bad_user_agent"), "\(line)")
        expectNoSecrets(refused, secrets(stack))
    }

    @Test func aMissingDatabaseFailsNamingDatabasePathAndIsNotCreated() throws {
        let stack = try TestStack()
        let missing = stack.directory + "/missing.sqlite3"
        let output = try doctor(stack, ["DATABASE_PATH": missing])
        #expect(output.status == 1, "\(output)")
        let found = try lines(output)
        #expect(found.map(\.check) == Self.checks, "\(output)")
        let database = try #require(found.first { $0.check == "database" })
        #expect(!database.passed && database.text.contains("DATABASE_PATH") && database.text.contains(missing))
        // What needs the database is not checked; the rest still is.
        #expect(
            found.filter { !$0.passed }.map(\.check)
                == ["database", "migrations", "integrity", "journal", "encryption-key", "old-keys"], "\(output)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: stack.directory).filter {
            $0.hasPrefix("missing.sqlite3")
        }
        #expect(leftovers.isEmpty, "doctor created \(leftovers)")

        let unset = try doctor(stack, ["DATABASE_PATH": nil])
        #expect(unset.status == 1)
        #expect(try lines(unset).first { $0.check == "database" }?.text.contains("DATABASE_PATH: is not set") == true)
        expectNoSecrets(output, secrets(stack))
    }

    @Test func aWrongEncryptionKeyFailsNamingIt() throws {
        let stack = try TestStack()
        _ = try BrowserLogin(stack: stack).session()
        // Made here, not written down: nothing key-shaped sits in git.
        let wrongKey = randomEncryptionKey()
        let output = try doctor(stack, ["ENCRYPTION_KEY": wrongKey])
        #expect(output.status == 1, "\(output)")
        let found = try lines(output)
        #expect(found.filter { !$0.passed }.map(\.check) == ["encryption-key"], "\(output)")
        let line = try #require(found.first { $0.check == "encryption-key" }).text
        #expect(line.contains("ENCRYPTION_KEY") && line.contains("1 stored token pair(s)"), "\(line)")
        expectNoSecrets(output, secrets(stack) + [wrongKey])

        // The right key as an old one: it still opens the pair, and doctor says it is needed.
        let rotating = try doctor(
            stack, ["ENCRYPTION_KEY": wrongKey, "ENCRYPTION_OLD_KEYS": stack.serviceEnvironment["ENCRYPTION_KEY"]])
        #expect(rotating.status == 0, "\(rotating)")
        let oldKeys = try #require(try lines(rotating).first { $0.check == "old-keys" }).text
        #expect(oldKeys.contains("still opens 1 pair(s)"), "\(oldKeys)")
        expectNoSecrets(rotating, secrets(stack) + [wrongKey])

        // A malformed key is a settings failure that names the setting, not the value.
        let malformed = "not-a-key-but-a-secret-value"
        let refused = try doctor(stack, ["ENCRYPTION_KEY": malformed])
        #expect(refused.status == 1)
        let settings = try #require(try lines(refused).first { $0.check == "settings" })
        #expect(!settings.passed && settings.text.contains("ENCRYPTION_KEY: must be 32 bytes"), "\(settings.text)")
        expectNoSecrets(refused, secrets(stack) + [malformed])
    }

    @Test func theSocketCheckNamesNginxsUserAndAServiceThatIsDown() throws {
        let stack = try TestStack()
        // The test socket is root's, 0660: www-data (the default nginx user) may not connect.
        let closed = try doctor(stack, arguments: [])
        #expect(closed.status == 1, "\(closed)")
        let socket = try #require(try lines(closed).first { $0.check == "socket" })
        #expect(!socket.passed && socket.text.contains("www-data may not connect to"), "\(socket.text)")
        #expect(socket.text.contains(stack.serviceSocket) && socket.text.contains("0660"), "\(socket.text)")
        #expect(try lines(closed).filter { !$0.passed }.count == 1, "\(closed)")

        stack.service?.stop()
        let down = try doctor(stack)
        #expect(down.status == 1, "\(down)")
        let line = try #require(try lines(down).first { $0.check == "socket" })
        #expect(!line.passed && line.text.contains(stack.serviceSocket), "\(line.text)")

        let usage = try doctor(stack, arguments: ["--nginx-user", ""])
        #expect(usage.status == 2, "\(usage)")
        #expect(usage.stdout.isEmpty)
    }
}
