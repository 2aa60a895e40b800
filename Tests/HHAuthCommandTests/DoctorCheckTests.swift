import FastCGI
import Foundation
import HHAuth
import Testing

@testable import hh_auth

/// `hh-auth doctor`'s checks in process, where they need no stack: the line format, the settings
/// and HH checks over a fake transport, the clock's rules, a database path that names nothing.
@Suite("Doctor checks")
struct DoctorCheckTests {
    /// Made per run: no key-shaped literal in git.
    static let key = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()
    static let settings: [String: String] = [
        "HH_CLIENT_ID": "client", "HH_CLIENT_SECRET": "the-client-secret",
        "HH_REDIRECT_URI": "https://auth.example.com/auth/callback", "ENCRYPTION_KEY": key,
        "ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": "$6$hhauthtests$0123456789abcdef",
        "HH_USER_AGENT": "MyApp/1.0 (ops@example.com)",
        "HH_TOKEN_URL": "https://api.hh.test/token", "HH_API_URL": "https://api.hh.test",
    ]

    private func configuration(_ changes: [String: String] = [:]) throws -> Configuration {
        try ConfigurationParser(settings: Self.settings.merging(changes) { $1 }).parse()
    }

    @Test func linesSayOkOrFailWithWhatToDoOnOneLine() {
        #expect(DoctorFinding.ok("database", "/x opens").line == "ok   database: /x opens")
        #expect(DoctorFinding.fail("socket", "no socket", "start it").line == "FAIL socket: no socket — start it")
        #expect(DoctorFinding.fail("hh-api-host", "a\nb\r\u{1B}[2J", "c\nd").line == "FAIL hh-api-host: a?b??[2J — c?d")
        let skipped = DoctorFinding.notChecked("old-keys", needs: "settings")
        #expect(!skipped.passed)
        #expect(skipped.line.hasPrefix("FAIL old-keys: not checked: needs settings"))
    }

    @Test func theReportCountsFailuresAndPrintsEachLine() {
        let printed = Printed()
        let report = DoctorReport(write: printed.append)
        report.add([.ok("a", "fine"), .fail("b", "broken", "fix"), .ok("c", "fine")])
        #expect(report.failures == 1)
        #expect(printed.lines == ["ok   a: fine", "FAIL b: broken — fix", "ok   c: fine"])
    }

    @Test func settingsFailNamingTheSettingNeverItsValue() {
        let secret = "not-a-key-but-a-secret"
        let settings = Self.settings.merging(["ENCRYPTION_KEY": secret, "FCGI_SOCKET": "/run/x.sock"]) { $1 }
        let outcome = SettingsCheck(parser: ConfigurationParser(settings: settings)).run()
        #expect(!outcome.finding.passed)
        #expect(outcome.finding.line.hasPrefix("FAIL settings: ENCRYPTION_KEY: must be 32 bytes"))
        #expect(!outcome.finding.line.contains(secret))
        #expect(outcome.configuration == nil)
        // The socket's own setting still parsed: the socket check runs regardless.
        #expect(outcome.listener?.address == .unixSocket(path: "/run/x.sock"))
    }

    /// The unit hides /etc/hh-auth from the service: a secret's `_FILE` there would stop `serve`.
    @Test func aSecretFileTheServiceCannotOpenInItsSandboxFails() {
        let hidden = Self.settings.merging(["ADMIN_PASSWORD_FILE": "/etc/hh-auth/admin_password"]) { $1 }
        let outcome = SettingsCheck(parser: ConfigurationParser(settings: hidden), settings: hidden).run()
        #expect(outcome.finding.line.hasPrefix("FAIL settings: ADMIN_PASSWORD_FILE: names a file under /etc/hh-auth/"))
        let elsewhere = Self.settings.merging(["ADMIN_PASSWORD_FILE": "/run/secrets/admin_password"]) { $1 }
        #expect(SettingsCheck.filesHiddenFromTheService(elsewhere).isEmpty)
    }

    @Test func settingsServeWouldRefuseAtStartAreRefusedHere() {
        let settings = Self.settings.merging(["COOKIE_DOMAIN": ".other.example"]) { $1 }
        let outcome = SettingsCheck(parser: ConfigurationParser(settings: settings)).run()
        #expect(outcome.finding.line.hasPrefix("FAIL settings: COOKIE_DOMAIN: must be a parent domain"))
        let fine = SettingsCheck(parser: ConfigurationParser(settings: Self.settings)).run()
        #expect(fine.finding.line == "ok   settings: parsed as `serve` reads them")
        #expect(fine.configuration != nil && fine.listener != nil)
    }

    /// What HH answers these requests: the token endpoint a 4xx to a GET without a grant, `/me` 403
    /// without a token.
    static let hhAnswers = FixedHH(token: .init(status: 405), me: .init(status: 403))

    @Test func headHunterAnsweringAsHHDoesPasses() throws {
        var hh = Self.hhAnswers
        hh.date = "Tue, 01 Dec 2026 16:58:07 GMT"
        let outcome = HeadHunterCheck(configuration: try configuration(), transport: hh).run()
        #expect(outcome.findings.map(\.check) == ["hh-token-host", "hh-api-host", "user-agent"])
        #expect(outcome.findings.allSatisfy { $0.passed }, "\(outcome.findings)")
        #expect(outcome.findings[0].detail.hasPrefix("GET https://api.hh.test/token answered 405 in "))
        #expect(outcome.findings[0].detail.hasSuffix("(over TLS)"))
        #expect(outcome.findings[1].detail.hasPrefix("GET https://api.hh.test/me answered 403"))
        #expect(outcome.date == Date(timeIntervalSince1970: 1_796_144_287))
        let unauthorized = FixedHH(
            token: .init(status: 400, body: #"{"error":"invalid_request"}"#), me: .init(status: 401))
        let alsoFine = HeadHunterCheck(configuration: try configuration(), transport: unauthorized).run()
        #expect(alsoFine.findings.allSatisfy { $0.passed }, "\(alsoFine.findings)")
    }

    @Test(arguments: [500, 502, 503, 429])
    func headHunterFailingOrThrottlingFailsNamingHH(status: Int) throws {
        let hh = FixedHH(status: status, date: "Tue, 01 Dec 2026 16:58:07 GMT")
        let outcome = HeadHunterCheck(configuration: try configuration(), transport: hh).run()
        #expect(outcome.findings.map(\.passed) == [false, false, true], "\(outcome.findings)")
        for (finding, url) in zip(outcome.findings, ["https://api.hh.test/token", "https://api.hh.test/me"]) {
            #expect(finding.line.hasPrefix("FAIL \(finding.check): HH "), "\(finding.line)")
            #expect(finding.line.contains("GET \(url) answered \(status)"), "\(finding.line)")
        }
        #expect(outcome.date != nil, "HH's clock is still HH's clock")
    }

    @Test func headHunterRefusingTheUserAgentFailsNamingHHUserAgent() throws {
        let refusal = #"{"errors":[{"type":"bad_user_agent","value":"blocked"}],"description":"Bad User-Agent"}"#
        let hh = FixedHH(token: .init(status: 400, body: refusal), me: .init(status: 400, body: refusal))
        let outcome = HeadHunterCheck(configuration: try configuration(), transport: hh).run()
        #expect(outcome.findings.map(\.passed) == [true, true, false], "\(outcome.findings)")
        let line = outcome.findings[2].line
        #expect(line.hasPrefix("FAIL user-agent: HH refused HH_USER_AGENT \"MyApp/1.0 (ops@example.com)\""), "\(line)")
        #expect(line.contains("GET https://api.hh.test/token answered 400 bad_user_agent"), "\(line)")
        // Unset as well as refused: both said.
        let unset = try configuration(["HH_USER_AGENT": ""])
        let placeholder = HeadHunterCheck(configuration: unset, transport: hh).run().findings[2].line
        #expect(placeholder.hasPrefix("FAIL user-agent: HH_USER_AGENT is not set"), "\(placeholder)")
        #expect(placeholder.contains("HH refused it"), "\(placeholder)")
    }

    @Test func answersHHWouldNotGiveFailNamingTheSetting() throws {
        let cases: [(FixedHH, check: Int, setting: String)] = [
            (FixedHH(token: .init(status: 200), me: .init(status: 403)), 0, "HH_TOKEN_URL"),
            (FixedHH(token: .init(status: 302), me: .init(status: 403)), 0, "HH_TOKEN_URL"),
            (FixedHH(token: .init(status: 405), me: .init(status: 404)), 1, "HH_API_URL"),
            (FixedHH(token: .init(status: 405), me: .init(status: 200)), 1, "HH_API_URL"),
            (
                FixedHH(
                    token: .init(status: 405), me: .init(status: 400, body: #"{"errors":[{"type":"bad_argument"}]}"#)),
                1, "HH_API_URL"
            ),
        ]
        for (hh, check, setting) in cases {
            let findings = HeadHunterCheck(configuration: try configuration(), transport: hh).run().findings
            #expect(findings.filter { !$0.passed }.map(\.check) == [findings[check].check], "\(findings)")
            #expect(findings[check].remedy.contains(setting), "\(findings[check].line)")
        }
    }

    @Test func headHunterNotAnsweringFailsNamingHH() throws {
        let outcome = HeadHunterCheck(configuration: try configuration(), transport: FixedHH(status: nil)).run()
        #expect(outcome.findings.map(\.passed) == [false, false, true])
        #expect(
            outcome.findings[0].line.hasPrefix("FAIL hh-token-host: HH did not answer GET https://api.hh.test/token"))
        #expect(outcome.findings[0].line.contains("HH_TOKEN_URL"))
        #expect(outcome.findings[1].line.contains("HH_API_URL"))
        #expect(outcome.date == nil)
    }

    @Test func plainHTTPIsForAStandInOnLoopbackOnly() throws {
        let hh = Self.hhAnswers
        let remote = try configuration(["HH_TOKEN_URL": "http://api.hh.test/token", "HH_API_URL": "http://[::1]:8090"])
        let outcome = HeadHunterCheck(configuration: remote, transport: hh).run()
        #expect(outcome.findings[0].line.hasPrefix("FAIL hh-token-host: HH_TOKEN_URL is plain http to api.hh.test"))
        #expect(outcome.findings[1].passed)
        #expect(outcome.findings[1].detail.hasSuffix("(plain http on loopback)"))
        #expect(HeadHunterCheck.plainHTTPHost("http://localhost:8090/token") == nil)
        #expect(HeadHunterCheck.plainHTTPHost("http://127.0.0.2/token") == nil)
        #expect(HeadHunterCheck.plainHTTPHost("https://api.hh.ru/token") == nil)
        #expect(HeadHunterCheck.plainHTTPHost("http://10.0.0.1/token") == "10.0.0.1")
    }

    @Test func theUserAgentMustBeSetAndNameAContact() throws {
        #expect(HeadHunterCheck.userAgent("MyApp/1.0 (ops@example.com)").passed)
        let unset = HeadHunterCheck.userAgent(Configuration.HeadHunter.defaultUserAgent)
        #expect(unset.line.hasPrefix("FAIL user-agent: HH_USER_AGENT is not set"))
        let noContact = HeadHunterCheck.userAgent("MyApp/1.0")
        #expect(noContact.line.hasPrefix("FAIL user-agent: HH_USER_AGENT \"MyApp/1.0\" names no contact"))
        let withoutIt = try configuration(["HH_USER_AGENT": ""])
        #expect(withoutIt.headHunter.userAgent == Configuration.HeadHunter.defaultUserAgent)
    }

    @Test func theClockRules() {
        let now = Date(timeIntervalSince1970: 1_796_144_287)
        #expect(ClockCheck(now: now, newestAuditEvent: now.addingTimeInterval(-5), hhDate: now).run().passed)
        #expect(ClockCheck(now: now, newestAuditEvent: nil, hhDate: nil).run().passed)
        let epoch = ClockCheck(now: Date(timeIntervalSince1970: 0), newestAuditEvent: nil, hhDate: nil).run()
        #expect(epoch.line.hasPrefix("FAIL clock: the system clock says 1970-01-01T00:00:00Z, before this hh-auth"))
        let wentBack = ClockCheck(now: now, newestAuditEvent: now.addingTimeInterval(3600), hhDate: nil).run()
        #expect(wentBack.line.contains("3600 s behind the newest audit event"))
        let skewed = ClockCheck(now: now, newestAuditEvent: nil, hhDate: now.addingTimeInterval(-600)).run()
        #expect(skewed.line.contains("600 s off HH's"))
        #expect(ClockCheck(now: now, newestAuditEvent: nil, hhDate: now.addingTimeInterval(90)).run().passed)
    }

    @Test func aDatabasePathThatNamesNothingFailsAndCreatesNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hh-doctor-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let missing = directory + "/hh-auth.sqlite3"
        let outcome = DatabaseCheck(path: missing, fullIntegrityCheck: false).run()
        #expect(outcome.findings.map(\.check) == ["database", "migrations", "integrity", "journal"])
        #expect(outcome.findings.allSatisfy { !$0.passed })
        #expect(outcome.findings[0].line.hasPrefix("FAIL database: DATABASE_PATH: no database at \(missing)"))
        #expect(outcome.current == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [])
        let unset = DatabaseCheck(path: nil, fullIntegrityCheck: false).run()
        #expect(unset.findings[0].line.hasPrefix("FAIL database: DATABASE_PATH: is not set"))
    }

    @Test func aServedDatabasePassesAndTheKeyCheckReadsIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hh-doctor-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/hh-auth.sqlite3"
        do { _ = try AppDatabase(path: path) }
        let outcome = DatabaseCheck(path: path, fullIntegrityCheck: false).run()
        #expect(outcome.findings.allSatisfy { $0.passed }, "\(outcome.findings)")
        #expect(outcome.findings.map(\.line).contains("ok   integrity: integrity_check: ok"))
        #expect(outcome.findings.map(\.line).contains("ok   journal: WAL"))
        let keys = EncryptionKeyCheck(configuration: try configuration(), database: outcome.current).run()
        #expect(keys.map(\.passed) == [true, true])
        #expect(keys[0].detail.hasSuffix("no stored tokens to open yet"))
        #expect(keys[1].detail == "none set, none needed")
    }
}

/// Collects what the report prints.
private final class Printed: @unchecked Sendable {
    private(set) var lines: [String] = []
    func append(_ line: String) { lines.append(line) }
}

/// An HH that answers the token endpoint and `/me` each with one status and body (and `Date`), or
/// never answers (`nil`).
struct FixedHH: HHTransport {
    struct Answer: Sendable {
        var status: Int
        var body = ""
    }

    var token: Answer?
    var me: Answer?
    var date: String? = nil

    init(token: Answer?, me: Answer?) {
        self.token = token
        self.me = me
    }

    /// Both answer `status` with no body.
    init(status: Int?, date: String? = nil) {
        token = status.map { Answer(status: $0) }
        me = token
        self.date = date
    }

    func send(_ request: HHHTTPRequest) throws -> HHHTTPResponse {
        guard let answer = request.url.hasSuffix("/me") ? me : token else {
            throw HHTransportError("Could not connect to the server.")
        }
        return HHHTTPResponse(
            status: answer.status, body: Array(answer.body.utf8), headers: date.map { ["date": $0] } ?? [:])
    }
}
