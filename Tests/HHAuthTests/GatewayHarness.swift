import ContractScenarios
import FastCGI
import Foundation
import GRDB
import HTTPCore
import Logging
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// HeadHunter as the fake plays it for the gateway: codes `code-<hh id>`, tokens bound to the
/// manual clock, single-use refresh tokens that only work after expiry, `/me` from a profile table.
final class HHLikeFake: Sendable {
    static let profiles: [String: String] = [
        "1001":
            #"{"id":"1001","first_name":"Иван","last_name":"Петров","middle_name":"Сергеевич","email":"ivan@example.com"}"#,
        "2002": #"{"id":"2002","first_name":"Пётр","last_name":"Чужой","middle_name":null,"email":"petr@example.com"}"#,
        "3003": #"{"id":"3003","first_name":"Анна","last_name":"Безпочты","middle_name":null,"email":null}"#,
    ]
    let transport = FakeHH()
    private let issued = Locked<[String: (hhID: String, expires: Date, refreshUsed: Bool)]>([:])
    private let counter = Locked(0)

    init(clock: ManualClock) {
        transport.on(Fixtures.tokenURL) { [self] request in
            let form = FakeHH.form(request)
            switch form["grant_type"] {
            case "authorization_code":
                guard let code = form["code"], code.hasPrefix("code-") else { return Self.grantError("bad code") }
                return issue(for: String(code.dropFirst(5)), clock: clock)
            case "refresh_token":
                let refresh = form["refresh_token"] ?? ""
                let access = "access" + refresh.dropFirst("refresh".count)
                let entry = issued.withLock { $0[access] }
                guard let entry, !entry.refreshUsed else { return Self.grantError("token has already been refreshed") }
                guard entry.expires <= clock.now() else { return Self.grantError("token not expired") }
                issued.withLock { $0[access]?.refreshUsed = true }
                return issue(for: entry.hhID, clock: clock)
            default:
                return Self.grantError("bad grant")
            }
        }
        transport.on(Fixtures.apiURL + "/me") { [self] request in
            let token = String((request.headers["Authorization"] ?? "").dropFirst("Bearer ".count))
            guard let entry = issued.withLock({ $0[token] }), entry.expires > clock.now(),
                let profile = Self.profiles[entry.hhID]
            else { return HHHTTPResponse(status: 403, body: Array(#"{"oauth_error":"token-expired"}"#.utf8)) }
            return HHHTTPResponse(status: 200, body: Array(profile.utf8))
        }
        transport.on(Fixtures.apiURL + "/oauth/token") { _ in HHHTTPResponse(status: 204, body: []) }
    }

    private func issue(for hhID: String, clock: ManualClock) -> HHHTTPResponse {
        let n = counter.withLock { count in
            count += 1
            return count
        }
        let access = "access-\(hhID)-\(n)"
        issued.withLock { $0[access] = (hhID, clock.now().addingTimeInterval(1_209_600), false) }
        return HHHTTPResponse(
            status: 200, body: Array(Fixtures.tokenJSON(access: access, refresh: "refresh-\(hhID)-\(n)").utf8))
    }

    private static func grantError(_ description: String) -> HHHTTPResponse {
        HHHTTPResponse(
            status: 400, body: Array(#"{"error":"invalid_grant","error_description":"\#(description)"}"#.utf8))
    }
}

/// A whole gateway in process: temp database (a SQLite file, or a schema of its own in the test
/// process's PostgreSQL cluster), manual clock, HH-like fake; no sockets.
struct GatewayHarness {
    /// The allow-listed client redirect: the one the shared contract scenarios use.
    static let clientRedirect = Contract.clientRedirect
    let clock: ManualClock
    let directory: TestDatabase
    /// The PostgreSQL schema the gateway runs on; nil on SQLite.
    let schema: TestSchema?
    let hh: HHLikeFake
    let gateway: Gateway
    /// The browser the harness's requests come from unless one is named: it keeps the cookies the
    /// gateway sets (a sign-in's callback must come from the browser that started it).
    let browser = CookieJar()

    init(
        start: Date = Date(timeIntervalSince1970: 1_750_000_000), logger: Logger = Fixtures.logger,
        engine: EngineKind = .sqlite, configure: (inout HHAuth.Configuration) -> Void = { _ in }
    ) throws {
        clock = ManualClock(start)
        directory = try TestDatabase()
        hh = HHLikeFake(clock: clock)
        var configuration = HHAuth.Configuration(
            headHunter: Fixtures.headHunter(),
            admin: .init(username: "admin", passwordHash: PasswordHashTests.sha512Admin),
            encryptionKey: Fixtures.key())
        switch engine {
        case .sqlite:
            schema = nil
            configuration.database = .sqlite(path: directory.directory.appendingPathComponent("gateway.sqlite3").path)
        case .postgresql:
            let schema = try TestSchema()
            self.schema = schema
            configuration.database = .postgreSQL(connectionString: schema.url)
        }
        configuration.initialAllowedUsers = ["1001", "3003"]
        configuration.clientRedirectURIs = [Self.clientRedirect]
        configure(&configuration)
        gateway = try Gateway(configuration: configuration, transport: hh.transport, clock: clock, logger: logger)
    }

    /// The SQLite file (a SQLite harness's only).
    var database: AppDatabase { gateway.services.database }

    /// A request from `browser` (the harness's own when nil), which sends its cookies (the
    /// `Secure` ones only when `extra` says `HTTPS=on`) and keeps the ones the answer sets.
    /// `extra`: more CGI parameters (`REMOTE_ADDR`, `HTTPS`).
    func send(
        _ method: String, _ uri: String, headers: [String: String] = [:], json: String? = nil,
        browser: CookieJar? = nil, extra: [String: String] = [:]
    ) -> FastCGIResponse {
        let jar = browser ?? self.browser
        var headers = headers
        if headers["User-Agent"] == nil { headers["User-Agent"] = "UnitTest/1.0" }
        if headers["Cookie"] == nil, let cookie = jar.header(secure: extra["HTTPS"] == "on") {
            headers["Cookie"] = cookie
        }
        let response = gateway.application.respond(
            to: fastCGIRequest(
                method, uri, headers: headers, body: json ?? "", contentType: json == nil ? nil : "application/json",
                extra: extra))
        jar.receive(response.setCookies)
        return response
    }

    /// `GET /auth/login` from `browser` (the harness's own when nil) and the `state` from its redirect.
    func login(redirect: String? = nil, browser: CookieJar? = nil) throws -> String {
        let uri = "/auth/login" + (redirect.map { "?redirect_uri=" + QueryParameters.encode($0) } ?? "")
        let response = send("GET", uri, browser: browser)
        try #require(response.status == 302)
        let location = try #require(response.header("Location"))
        return try #require(Self.query(of: location)["state"])
    }

    func callback(state: String, code: String, headers: [String: String] = [:], browser: CookieJar? = nil)
        -> FastCGIResponse
    {
        send(
            "GET", "/auth/callback?code=\(QueryParameters.encode(code))&state=\(QueryParameters.encode(state))",
            headers: headers, browser: browser)
    }

    /// A whole browser login for an HH user; returns the exchange code from the success page.
    func exchangeCode(for hhID: String = "1001") throws -> String {
        let page = callback(state: try login(), code: "code-\(hhID)")
        try #require(page.status == 200)
        return try #require(Self.exchangeCode(inPage: page.text))
    }

    /// Login plus `/auth/exchange`: a live session id.
    /// A browser session of the user `hhID` signs in as (a program session is made first, through
    /// the exchange), created in the store as a browser sign-in makes one.
    func browserSession(for hhID: String = "1001") throws -> NewSession {
        let program = try sessionID(for: hhID)
        let storage = gateway.services.storage
        let userID = try #require(try storage.read { tx in try tx.sessions.find(sessionID: program) }).userID
        return try storage.write { tx in try tx.sessions.create(userID: userID, kind: .browser, lifetimeSeconds: nil) }
    }

    func sessionID(for hhID: String = "1001") throws -> String {
        let response = send("POST", "/auth/exchange", json: #"{"exchange_code":"\#(try exchangeCode(for: hhID))"}"#)
        try #require(response.status == 200)
        return try #require(response.json["session_id"] as? String)
    }

    func auditEvents() throws -> [(type: String, metadata: String)] {
        if let schema {
            let connection = try schema.connect()
            defer { connection.close() }
            return try connection.execute("SELECT event_type, metadata FROM audit_events ORDER BY id").map {
                (try $0.string(0) ?? "", try $0.string(1) ?? "")
            }
        }
        return try database.read { db in
            try Row.fetchAll(db, sql: "SELECT event_type, metadata FROM audit_events ORDER BY id").map {
                ($0["event_type"], $0["metadata"])
            }
        }
    }

    static func query(of url: String) -> QueryParameters {
        guard let mark = url.firstIndex(of: "?") else { return QueryParameters() }
        return QueryParameters(parsing: url[url.index(after: mark)...])
    }

    static func exchangeCode(inPage html: String) -> String? {
        guard let element = html.range(of: #"id="exchange-code""#) else { return nil }
        let rest = html[element.upperBound...]
        guard let start = rest.range(of: #"value=""#), let end = rest[start.upperBound...].firstIndex(of: "\"") else {
            return nil
        }
        return String(rest[start.upperBound..<end])
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
