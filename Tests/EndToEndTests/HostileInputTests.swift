import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Hostile requests through real nginx: each one gets the contract's 4xx JSON (`{"detail": …}`,
/// from the service or from nginx's own error pages), the service stays up, the database stays
/// sound, and neither the log nor the audit trail repeats a secret or a line break a client sent.
@Suite("Hostile input through nginx", .serialized)
struct HostileInputTests {
    static let allowedRedirect = "https://app.example.com/done"
    static let adminAuthorization = "Basic " + Data("admin:admin-password".utf8).base64EncodedString()

    /// One hostile request and what it must get.
    struct Case: CustomStringConvertible {
        let name: String
        let bytes: [UInt8]
        let statuses: Set<Int>
        var detail: String? = nil
        var description: String { name }
    }

    static func makeStack() throws -> TestStack {
        try TestStack(.init(environment: ["CLIENT_REDIRECT_URIS": allowedRedirect]))
    }

    // MARK: - The table

    static func cases() -> [Case] {
        let bigState = String(repeating: "s", count: 100 * 1024)
        let bigSecret = String(repeating: "x", count: 100 * 1024)
        let sql = ["' OR 1=1 --", "\"; DROP TABLE sessions; --", "1; DELETE FROM allowed_users"]
        var cases: [Case] = [
            // Sizes: nginx refuses bodies over 64 KiB and overlong request lines itself.
            Case(
                name: "70 KB body",
                bytes: raw("POST", "/auth/exchange", json: Array(repeating: UInt8(ascii: "a"), count: 70 * 1024)),
                statuses: [413], detail: "Request body too large"),
            Case(
                name: "70 KB chunked body",
                bytes: chunked("/auth/exchange", Array(repeating: UInt8(ascii: "{"), count: 70 * 1024)), statuses: [413]
            ),
            Case(name: "100 KB state", bytes: raw("GET", "/auth/callback?code=abc&state=" + bigState), statuses: [414]),
            Case(
                name: "100 KB exchange code",
                bytes: raw("POST", "/auth/exchange", json: body(["exchange_code": bigSecret])), statuses: [413]),
            Case(
                name: "100 KB session id in the body",
                bytes: raw("POST", "/auth/token", json: body(["session_id": bigSecret])), statuses: [413]),
            Case(
                name: "60 KB session id in the body",
                bytes: raw("POST", "/auth/token", json: body(["session_id": String(bigSecret.prefix(60_000))])),
                statuses: [401], detail: "Invalid session"),
            Case(
                name: "100 KB bearer session id",
                bytes: raw("POST", "/auth/logout", headers: [("Authorization", "Bearer " + bigSecret)]),
                statuses: [400, 431]),
            Case(
                name: "10,000 query parameters",
                bytes: raw("GET", "/users/me?" + (0..<10_000).map { "p\($0)=\($0)" }.joined(separator: "&")),
                statuses: [414]),
            // Within nginx's line limit the service keeps 256 pairs and ignores the rest.
            Case(
                name: "3,000 query parameters, session id last",
                bytes: raw("GET", "/users/me?" + String(repeating: "a&", count: 3_000) + "session_id=abc"),
                statuses: [422], detail: "Field required: session_id"),
            Case(
                name: "1,500 query parameters, session id first",
                bytes: raw("GET", "/users/me?session_id=abc&" + String(repeating: "a=1&", count: 1_500)),
                statuses: [401],
                detail: "Invalid session"),

            // Content type: the contract decides by the body, not the header (a JSON body is read as
            // JSON whatever it is labelled; anything else is 400).
            Case(
                name: "text/plain with a JSON body",
                bytes: raw(
                    "POST", "/auth/exchange", headers: [("Content-Type", "text/plain")],
                    body: body(["exchange_code": "nope"])),
                statuses: [400], detail: "Invalid or expired exchange code"),
            Case(
                name: "text/plain with a text body",
                bytes: raw(
                    "POST", "/auth/exchange", headers: [("Content-Type", "text/plain")],
                    body: Array("exchange_code=abc".utf8)),
                statuses: [400], detail: "Request body must be a JSON object"),
            Case(
                name: "no body at all", bytes: raw("POST", "/auth/exchange", json: []), statuses: [400],
                detail: "Request body must be a JSON object"),

            // Bytes that are not text.
            Case(
                name: "invalid UTF-8 in a JSON string",
                bytes: raw(
                    "POST", "/auth/exchange",
                    json: Array("{\"exchange_code\":\"ab".utf8) + [0xFF, 0xFE, 0xC0, 0x80] + Array("\"}".utf8)),
                statuses: [400], detail: "Request body must be a JSON object"),
            Case(
                name: "lone surrogate escape",
                bytes: raw("POST", "/auth/exchange", json: Array(#"{"exchange_code":"\ud800"}"#.utf8)),
                statuses: [400]),
            Case(
                name: "invalid UTF-8 in a query value (escaped)",
                bytes: raw("GET", "/users/me?session_id=%FF%FE%C0%80"), statuses: [401],
                detail: "Invalid session"),
            Case(
                name: "invalid UTF-8 in a query value (raw)",
                bytes: rawBytes("GET", Array("/users/me?session_id=".utf8) + [0xFF, 0xFE, 0x80]),
                statuses: [401], detail: "Invalid session"),
            Case(
                name: "NUL inside a JSON string",
                bytes: raw(
                    "POST", "/auth/exchange", json: Array("{\"exchange_code\":\"a".utf8) + [0] + Array("b\"}".utf8)),
                statuses: [400], detail: "Request body must be a JSON object"),
            Case(
                name: "escaped NUL in a session id",
                bytes: raw("POST", "/auth/token", json: Array(#"{"session_id":"a\u0000b"}"#.utf8)),
                statuses: [401], detail: "Invalid session"),
            Case(
                name: "NUL in a query value", bytes: raw("GET", "/users/me?session_id=a%00b"), statuses: [401],
                detail: "Invalid session"),
            Case(
                name: "raw NUL in the request line",
                bytes: rawBytes("GET", Array("/users/me?session_id=a".utf8) + [0] + Array("b".utf8)), statuses: [400]),
            Case(name: "raw NUL in the body", bytes: raw("POST", "/auth/exchange", json: [0, 0, 0]), statuses: [400]),

            // JSON that parsers choke on.
            Case(
                name: "10,000 nested arrays",
                bytes: raw(
                    "POST", "/auth/exchange",
                    json: Array(("{\"exchange_code\":" + String(repeating: "[", count: 10_000)).utf8)),
                statuses: [400], detail: "Request body must be a JSON object"),
            Case(
                name: "10,000 nested objects (admin)",
                bytes: raw(
                    "POST", "/admin/users/allow", headers: [("Authorization", adminAuthorization)],
                    json: Array(
                        (String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)).utf8
                    )),
                statuses: [400, 422]),
            Case(
                name: "1e999999", bytes: raw("POST", "/auth/token", json: Array(#"{"session_id":1e999999}"#.utf8)),
                statuses: [422]),
            Case(
                name: "400-digit integer id",
                bytes: raw(
                    "POST", "/admin/users/allow", headers: [("Authorization", adminAuthorization)],
                    json: Array(("{\"hh_user_id\":" + String(repeating: "9", count: 400) + "}").utf8)),
                statuses: [422]),
            Case(
                name: "400-digit string id",
                bytes: raw(
                    "POST", "/admin/users/allow", headers: [("Authorization", adminAuthorization)],
                    json: body(["hh_user_id": String(repeating: "9", count: 400)])),
                statuses: [422]),

            // Paths: `..` in a parameter is a value, never a step up.
            Case(
                name: "encoded ../ in a user id", bytes: admin("DELETE", "/admin/users/..%2F..%2Fetc"),
                statuses: [404, 422]),
            Case(name: "%2e%2e as a user id", bytes: admin("DELETE", "/admin/users/%2e%2e"), statuses: [404, 422]),
            Case(
                name: "encoded ../ in a session handle", bytes: admin("DELETE", "/admin/sessions/..%2F..%2Fhealth"),
                statuses: [404]),
            Case(
                name: "raw ../ above the root", bytes: admin("DELETE", "/admin/users/../../../etc/passwd"),
                statuses: [400, 404]),

            // Redirects: only exact allow-list entries, never a header injection.
            Case(
                name: "CR/LF in redirect_uri",
                bytes: raw(
                    "GET", "/auth/login?redirect_uri=" + QueryText.encode(allowedRedirect) + "%0d%0aSet-Cookie:x=y"),
                statuses: [400]),
            Case(
                name: "CR/LF in redirect_uri (raw %0a only)",
                bytes: raw("GET", "/auth/login?redirect_uri=" + QueryText.encode(allowedRedirect) + "%0aX:y"),
                statuses: [400]),
        ]
        for suffix in [".evil.example", "/../admin", "?next=https://evil.example", "#x", "/", "%20", "%00"] {
            cases.append(
                Case(
                    name: "redirect_uri with suffix \(suffix)",
                    bytes: raw(
                        "GET",
                        "/auth/login?redirect_uri=" + QueryText.encode(allowedRedirect) + QueryText.encode(suffix)),
                    statuses: [400],
                    detail: "redirect_uri is not allowed"))
        }
        cases.append(
            Case(
                name: "redirect_uri with a prefix",
                bytes: raw("GET", "/auth/login?redirect_uri=" + QueryText.encode("x" + allowedRedirect)),
                statuses: [400], detail: "redirect_uri is not allowed"))

        // SQL in every string field the service reads.
        for (index, text) in sql.enumerated() {
            cases += [
                Case(
                    name: "SQL #\(index) as exchange code",
                    bytes: raw("POST", "/auth/exchange", json: body(["exchange_code": text])), statuses: [400]),
                Case(
                    name: "SQL #\(index) as session id",
                    bytes: raw("POST", "/auth/token", json: body(["session_id": text])), statuses: [401]),
                Case(
                    name: "SQL #\(index) as bearer",
                    bytes: raw("GET", "/users/me", headers: [("Authorization", "Bearer " + text)]), statuses: [401]),
                Case(
                    name: "SQL #\(index) as session_id query",
                    bytes: raw("GET", "/users/me?session_id=" + QueryText.encode(text)), statuses: [401]),
                Case(
                    name: "SQL #\(index) as state",
                    bytes: raw("GET", "/auth/callback?code=abc&state=" + QueryText.encode(text)), statuses: [400]),
                Case(
                    name: "SQL #\(index) as hh_user_id",
                    bytes: raw(
                        "POST", "/admin/users/allow", headers: [("Authorization", adminAuthorization)],
                        json: body(["hh_user_id": text])),
                    statuses: [422]),
                Case(
                    name: "SQL #\(index) as path user id",
                    bytes: admin("DELETE", "/admin/users/" + QueryText.encode(text)), statuses: [404, 422]),
                Case(
                    name: "SQL #\(index) as path session",
                    bytes: admin("DELETE", "/admin/sessions/" + QueryText.encode(text)), statuses: [404]),
                Case(
                    name: "SQL #\(index) as audit limit",
                    bytes: admin("GET", "/admin/audit-log?limit=" + QueryText.encode(text)), statuses: [422]),
                Case(
                    name: "SQL #\(index) as admin user name",
                    bytes: raw("GET", "/admin/users", headers: [("Authorization", basic(text, "x"))]), statuses: [401]),
            ]
        }
        return cases
    }

    // MARK: - Tests

    @Test func everyHostileRequestGetsAJSONClientErrorAndTheServiceStaysUp() throws {
        let stack = try Self.makeStack()
        for hostile in Self.cases() {
            let response = try stack.http.exchange(hostile.bytes)
            #expect(
                hostile.statuses.contains(response.status),
                "\(hostile): \(response.status) \(response.text.prefix(200))")
            #expect(
                response.headers["content-type"]?.hasPrefix("application/json") == true,
                "\(hostile): \(response.headers)")
            #expect(response.detail?.isEmpty == false, "\(hostile): body \(response.text.prefix(200))")
            if let detail = hostile.detail { #expect(response.detail == detail, "\(hostile)") }
            #expect(response.headers["set-cookie"] == nil, "\(hostile)")
            try expectAlive(stack, after: hostile.name)
        }
        // The control for the redirect cases: the exact allow-listed URI is accepted.
        let exact = try stack.http.get("/auth/login?redirect_uri=" + QueryText.encode(Self.allowedRedirect))
        #expect(exact.status == 302, "\(exact.text.prefix(200))")
        try expectSoundDatabase(stack)
        // Nothing was dropped or deleted by any of the SQL above.
        #expect(try sql(stack, "SELECT hh_user_id FROM allowed_users WHERE is_active = 1;") == TestStack.defaultUserID)
    }

    @Test func sqlInAStoredFieldIsStoredAsText() throws {
        let stack = try Self.makeStack()
        for (index, text) in ["' OR 1=1 --", "\"; DROP TABLE sessions; --", "Robert'); DROP TABLE allowed_users;--"]
            .enumerated()
        {
            let id = "77700\(index)"
            let allowed = try stack.http.post(
                "/admin/users/allow", json: ["hh_user_id": id, "comment": text],
                headers: ["Authorization": Self.adminAuthorization])
            #expect(allowed.status == 200, "\(allowed.text)")
            #expect(try allowed.json()["comment"] as? String == text)
            let listed = try stack.http.get("/admin/users", headers: ["Authorization": Self.adminAuthorization])
            let users = try #require(try listed.json()["users"] as? [[String: Any]])
            #expect(users.contains { $0["hh_user_id"] as? String == id && $0["comment"] as? String == text })
        }
        let filtered = try stack.http.get(
            "/admin/audit-log?event_type=" + QueryText.encode("login' OR '1'='1") + "&user_id="
                + QueryText.encode("1 OR 1=1"),
            headers: ["Authorization": Self.adminAuthorization])
        #expect([200, 422].contains(filtered.status), "\(filtered.text)")
        if filtered.status == 200 { #expect(try filtered.json()["total"] as? Int == 0) }
        try expectAlive(stack, after: "stored SQL")
        try expectSoundDatabase(stack)
        #expect(
            try sql(stack, "SELECT count(*) FROM sqlite_master WHERE name IN ('sessions', 'allowed_users');") == "2")
    }

    @Test func truncatedBodiesAndClientsThatHangUpDoNotHurtTheService() throws {
        let stack = try Self.makeStack()
        for round in 0..<20 {
            let fd = try stack.http.connectSocket()
            let head =
                "POST /auth/exchange HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
            try stack.http.writeAll(fd, Array(head.utf8) + Array(#"{"exchange_code":"ab"#.utf8))
            if round % 2 == 0 {
                // Half close: the server sees the end of the body early and may still answer.
                shutdown(fd, Int32(SHUT_WR))
                var buffer = [UInt8](repeating: 0, count: 4096)
                var received: [UInt8] = []
                while true {
                    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count <= 0 { break }
                    received += buffer[0..<count]
                }
                if !received.isEmpty, let response = try? RawHTTPClient.parse(received) {
                    #expect((400..<500).contains(response.status), "half-closed: \(response.status)")
                    #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
                }
            }
            close(fd)
        }
        try expectAlive(stack, after: "truncated bodies")
        // Every worker is free again: a burst of requests is answered at once.
        let answers = try (0..<16).map { _ in try stack.http.get("/health").status }
        #expect(answers.allSatisfy { $0 == 200 })
        try expectSoundDatabase(stack)
    }

    @Test func neitherLogNorAuditRepeatsSecretsOrInjectedLines() throws {
        let stack = try Self.makeStack()
        let marker = "SECRET" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let secrets = [
            "exchange-\(marker)", "session-\(marker)", "state-\(marker)", "password-\(marker)", "code-\(marker)",
        ]
        // Log-injection text is not secret (the audit trail keeps user agents); only its line breaks must go.
        let injected = "FORGED-" + UUID().uuidString.prefix(8)
        var requests: [[UInt8]] = [
            Self.raw("POST", "/auth/exchange", json: Self.body(["exchange_code": secrets[0]])),
            Self.raw("POST", "/auth/token", json: Self.body(["session_id": secrets[1]])),
            Self.raw("POST", "/auth/logout", headers: [("Authorization", "Bearer " + secrets[1])]),
            Self.raw("GET", "/users/me?session_id=" + secrets[1]),
            Self.raw("GET", "/auth/callback?code=\(secrets[4])&state=\(secrets[2])"),
            Self.raw("GET", "/auth/callback?error=access_denied&state=\(secrets[2])"),
            Self.raw("GET", "/admin/users", headers: [("Authorization", Self.basic("admin", secrets[3]))]),
            Self.raw("DELETE", "/admin/sessions/\(secrets[1])", headers: [("Authorization", Self.adminAuthorization)]),
            // Log injection: encoded CR/LF in the path, the query and the user agent …
            Self.raw("GET", "/health%0d%0a2025-01-01T00:00:00+0000%20info%20\(injected)"),
            Self.raw("GET", "/nowhere%0d%0a\(injected)?x=%0d%0a\(injected)"),
            Self.raw(
                "GET", "/users/me?session_id=a%0d%0a\(injected)", headers: [("User-Agent", "ua%0d%0a\(injected)")]),
        ]
        // … and raw control bytes nginx lets through in a header value: ESC, C1 NEL and CSI, U+2028.
        let escape: [UInt8] = [0x1B] + Array("[2J".utf8)
        let nel: [UInt8] = [0xC2, 0x85]
        let csi: [UInt8] = [0xC2, 0x9B]
        let lineSeparator: [UInt8] = [0xE2, 0x80, 0xA8]
        let rawAgent: [UInt8] =
            Array("agent".utf8) + escape + nel + Array(injected.utf8) + csi + lineSeparator + Array(injected.utf8)
        let json = Array("application/json".utf8)
        let wrongAdmin = Array(Self.basic("admin-probe", secrets[3]).utf8)
        requests.append(
            Self.rawBytes(
                "POST", Array("/auth/exchange".utf8), headers: [("User-Agent", rawAgent), ("Content-Type", json)],
                body: Self.body(["exchange_code": secrets[0]])))
        requests.append(
            Self.rawBytes(
                "GET", Array("/admin/users".utf8), headers: [("User-Agent", rawAgent), ("Authorization", wrongAdmin)]))
        for request in requests {
            let response = try stack.http.exchange(request)
            #expect((400..<500).contains(response.status), "\(response.status) \(response.text.prefix(120))")
            #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(!response.text.contains(marker), "an answer echoes a secret: \(response.text.prefix(200))")
        }
        try expectAlive(stack, after: "log probes")

        let log = try String(contentsOfFile: stack.directory + "/hh-auth.log", encoding: .utf8)
        let lines = log.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count >= requests.count, "the service logged \(lines.count) lines")
        for line in lines {
            #expect(
                line.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"#, options: .regularExpression) != nil,
                "forged or foreign log line: \(line.prefix(200))")
            #expect(!line.contains(marker), "the log repeats a client value: \(line.prefix(300))")
            #expect(
                !line.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{2028}" },
                "control character in \(line.prefix(200))")
        }
        #expect(!log.contains("\r"))

        let events = try sql(stack, "SELECT count(*) FROM audit_events;")
        #expect((Int(events) ?? 0) >= 3, "audit events: \(events)")
        let leaking = try sql(
            stack, "SELECT event_type || ' ' || metadata FROM audit_events WHERE instr(metadata, '\(marker)') > 0;")
        #expect(leaking.isEmpty, "audit events repeat a client secret: \(leaking.prefix(1000))")
        #expect(
            try sql(
                stack,
                "SELECT count(*) FROM audit_events WHERE instr(metadata, char(10)) + instr(metadata, char(13)) > 0;")
                == "0")
        // The stored user agent, decoded from its JSON, holds no raw CR/LF either.
        #expect(
            try sql(
                stack,
                "SELECT count(*) FROM audit_events WHERE instr(json_extract(metadata, '$.user_agent'), char(10)) + instr(json_extract(metadata, '$.user_agent'), char(13)) > 0;"
            )
                == "0")
        try expectSoundDatabase(stack)
    }

    // MARK: - Checks

    private func expectAlive(_ stack: TestStack, after name: String) throws {
        let health = try stack.http.get("/health")
        #expect(health.status == 200, "health after \(name): \(health.status)")
        #expect(
            stack.service?.isRunning == true, "hh-auth exited after \(name): \(stack.service?.log.suffix(2000) ?? "")")
    }

    private func expectSoundDatabase(_ stack: TestStack) throws {
        #expect(try sql(stack, "PRAGMA integrity_check;") == "ok")
    }

    private func sql(_ stack: TestStack, _ statement: String) throws -> String {
        let result = try runCommand("/usr/bin/sqlite3", ["-readonly", stack.databasePath, statement])
        guard result.status == 0 else { throw HarnessError("sqlite3: \(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Request bytes

    static func raw(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8]? = nil)
        -> [UInt8]
    {
        rawBytes(method, Array(target.utf8), headers: headers.map { ($0.0, Array($0.1.utf8)) }, body: body)
    }

    static func raw(_ method: String, _ target: String, headers: [(String, String)] = [], json: [UInt8]) -> [UInt8] {
        raw(method, target, headers: [("Content-Type", "application/json")] + headers, body: json)
    }

    /// The request exactly as given: target and header values are bytes, not text.
    static func rawBytes(_ method: String, _ target: [UInt8], headers: [(String, [UInt8])] = [], body: [UInt8]? = nil)
        -> [UInt8]
    {
        var bytes =
            Array("\(method) ".utf8) + target + Array(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".utf8)
        if !headers.contains(where: { $0.0 == "User-Agent" }) {
            bytes += Array("User-Agent: hh-auth-hostile-tests/1.0\r\n".utf8)
        }
        for (name, value) in headers { bytes += Array("\(name): ".utf8) + value + [13, 10] }
        if let body { bytes += Array("Content-Length: \(body.count)\r\n".utf8) }
        return bytes + [13, 10] + (body ?? [])
    }

    static func admin(_ method: String, _ target: String) -> [UInt8] {
        raw(method, target, headers: [("Authorization", adminAuthorization)])
    }

    static func chunked(_ target: String, _ body: [UInt8]) -> [UInt8] {
        var bytes = Array(
            "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                .utf8)
        for start in stride(from: 0, to: body.count, by: 8192) {
            let chunk = body[start..<min(start + 8192, body.count)]
            bytes += Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + [13, 10]
        }
        return bytes + Array("0\r\n\r\n".utf8)
    }

    static func body(_ object: [String: String]) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: object)).map(Array.init) ?? []
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
