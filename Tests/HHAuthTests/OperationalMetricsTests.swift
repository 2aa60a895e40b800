import FastCGI
import Foundation
import GRDB
import HTTPCore
import Prometheus
import Testing

@testable import HHAuth

/// Issue 12: the limits, the admin password, the database, the live sessions and the process, as
/// `/metrics` shows them, each moving when what it counts happens.
@Suite("Metrics: limits, database, sessions, process")
struct OperationalMetricsTests {
    private func limited(_ limiter: String) -> String { #"hh_auth_rate_limited_total{limiter="\#(limiter)"}"# }

    @Test func theServicesPerClientLimitIsCounted() throws {
        let harness = try GatewayHarness { $0.rateLimitPerHour = 2 }
        for _ in 0..<2 { #expect(harness.send("GET", "/auth/login").status == 302) }
        #expect(harness.send("GET", "/auth/login").status == 429)
        #expect(harness.send("GET", "/metrics", extra: ["REMOTE_ADDR": "127.0.0.1"]).status == 200)
        let metrics = Exposition(harness.gateway)
        #expect(metrics[limited("client")] == 1)
        #expect(metrics[limited("login")] == 0)
    }

    @Test func theSignInLimitsAreCounted() throws {
        let harness = try GatewayHarness {
            $0.signInsPerClientPerMinute = 1
            $0.headHunter.maxConcurrentCalls = 2  // one code exchange at a time
        }
        #expect(harness.callback(state: try harness.login(), code: "x").status == 400)
        #expect(harness.callback(state: try harness.login(), code: "x").status == 429)
        #expect(Exposition(harness.gateway)[limited("login")] == 1)

        // Another client while an exchange is under way: all of the exchanges' places are taken.
        let held = Gate()
        let arrived = Gate()
        harness.hh.transport.on(Fixtures.tokenURL) { _ in
            arrived.open()
            held.wait(timeoutSeconds: 30)
            return HHHTTPResponse(status: 503, body: [])
        }
        let state = try harness.login()
        let done = DispatchSemaphore(value: 0)
        Thread {
            _ = harness.send("GET", "/auth/callback?code=x&state=\(state)", extra: ["REMOTE_ADDR": "198.51.100.1"])
            done.signal()
        }.start()
        #expect(arrived.wait(timeoutSeconds: 10))
        let refused = harness.send(
            "GET", "/auth/callback?code=x&state=\(try harness.login())", extra: ["REMOTE_ADDR": "198.51.100.2"])
        held.open()
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(refused.status == 503)
        let metrics = Exposition(harness.gateway)
        #expect(metrics[limited("login_concurrency")] == 1)
        #expect(metrics[#"hh_auth_hh_requests_total{call="token_code",outcome="server_error"}"#] == 1)
    }

    @Test func callsPastTheHHPlacesAreCounted() throws {
        let metrics = ServiceMetrics()
        let hh = FakeHH()
        let held = Gate()
        let arrived = Gate()
        hh.on(Fixtures.apiURL + "/me") { _ in
            arrived.open()
            held.wait(timeoutSeconds: 30)
            return HHHTTPResponse(status: 200, body: Array(#"{"id":"1001"}"#.utf8))
        }
        let client = HHClient(
            settings: Fixtures.headHunter(maxConcurrentCalls: 1), transport: hh, logger: Fixtures.logger,
            metrics: metrics)
        let done = DispatchSemaphore(value: 0)
        Thread {
            _ = try? client.me(accessToken: "a")
            done.signal()
        }.start()
        #expect(arrived.wait(timeoutSeconds: 10))
        #expect(throws: HHClientError.busy) { try client.me(accessToken: "b") }
        held.open()
        #expect(done.wait(timeout: .now() + 30) == .success)
        let exposition = Exposition(metrics.exposition())
        #expect(exposition[limited("hh_concurrency")] == 1)
        #expect(exposition[#"hh_auth_hh_requests_total{call="me",outcome="ok"}"#] == 1)
    }

    @Test func wrongAdminPasswordsAndTheThrottleAreCounted() throws {
        let harness = try GatewayHarness { $0.admin.maxFailures = 2 }
        func admin(_ password: String) -> Int {
            let basic = "Basic " + Data("admin:\(password)".utf8).base64EncodedString()
            return harness.send("GET", "/admin/users", headers: ["Authorization": basic]).status
        }
        #expect(admin("admin") == 200)
        #expect(harness.send("GET", "/admin/users").status == 401)  // no credentials: not a failure
        #expect(admin("guess") == 401)
        #expect(admin("guess") == 401)
        #expect(admin("admin") == 429)
        let metrics = Exposition(harness.gateway)
        #expect(metrics["hh_auth_admin_auth_failures_total"] == 2)
        #expect(metrics[limited("admin_auth")] == 1)
    }

    @Test func sqliteErrorsAreCountedByKindAtTheDatabase() throws {
        let metrics = ServiceMetrics()
        let store = try TestDatabase()
        let database = try AppDatabase(path: store.path, busyTimeoutSeconds: 0.05, errors: metrics.databaseErrors)
        // Another connection holds the write lock past the busy timeout.
        let lock = try WriteLockHolder(path: store.path)
        try lock.take()
        #expect(throws: StorageFailure.self) {
            try database.write { db in try db.execute(sql: "DELETE FROM oauth_states") }
        }
        try lock.release()
        // A constraint, through a write; an unknown table, through a read (SQLITE_ERROR: other).
        #expect(throws: StorageFailure.self) {
            try database.write { db in
                try db.execute(sql: "INSERT INTO audit_guard (id, pruning) VALUES (1, 0)")
            }
        }
        #expect(throws: StorageFailure.self) {
            try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM no_such_table") }
        }
        // Errors that are not SQLite's are not counted.
        struct NotSQLite: Error {}
        #expect(throws: NotSQLite.self) { try database.read { _ in throw NotSQLite() } }
        let exposition = Exposition(metrics.exposition())
        #expect(exposition[#"hh_auth_database_errors_total{kind="busy"}"#] == 1)
        #expect(exposition[#"hh_auth_database_errors_total{kind="constraint"}"#] == 1)
        #expect(exposition[#"hh_auth_database_errors_total{kind="other"}"#] == 1)
        #expect(exposition.series(of: "hh_auth_database_errors_total").map { exposition.value($0) }.reduce(0, +) == 3)
    }

    @Test func sqliteResultCodesMapToKinds() {
        func kind(_ code: ResultCode) -> String {
            DatabaseErrorMetrics.Kind(StorageFailure(DatabaseError(resultCode: code)).kind).rawValue
        }
        #expect(kind(.SQLITE_BUSY) == "busy")
        #expect(kind(.SQLITE_BUSY_SNAPSHOT) == "busy")
        #expect(kind(.SQLITE_LOCKED) == "locked")
        #expect(kind(.SQLITE_FULL) == "full")
        #expect(kind(.SQLITE_IOERR_FSYNC) == "io")
        #expect(kind(.SQLITE_CORRUPT) == "corrupt")
        #expect(kind(.SQLITE_NOTADB) == "corrupt")
        #expect(kind(.SQLITE_READONLY) == "readonly")
        #expect(kind(.SQLITE_CANTOPEN) == "cantopen")
        #expect(kind(.SQLITE_CONSTRAINT_UNIQUE) == "constraint")
        #expect(kind(.SQLITE_MISUSE) == "other")
    }

    /// The gauge is what the janitor last counted: a scrape never counts. Sessions that end any
    /// way (logout, expiry, another process) are in the next count.
    @Test func liveSessionsAreWhatTheJanitorLastCounted() throws {
        let harness = try GatewayHarness()
        let gauge = { Exposition(harness.gateway)["hh_auth_sessions_active"] }
        let first = try harness.sessionID()
        _ = try harness.sessionID(for: "3003")
        _ = try harness.sessionID()
        #expect(gauge() == 0, "a scrape counted")
        try harness.gateway.janitor.countSessions()
        #expect(gauge() == 3)

        #expect(harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(first)"}"#).status == 200)
        // Another process (the CLI) ends one too.
        let other = try DatabaseQueue(path: harness.database.path)
        try other.write { db in try db.execute(sql: "DELETE FROM sessions WHERE id = (SELECT max(id) FROM sessions)") }
        try harness.gateway.janitor.countSessions()
        #expect(gauge() == 1)

        harness.clock.advance(seconds: 720 * 3600)
        try harness.gateway.janitor.countSessions()
        #expect(gauge() == 0)
    }

    @Test func theJanitorsLoopKeepsCounting() throws {
        let harness = try GatewayHarness()
        let janitor = harness.gateway.janitor
        _ = try harness.sessionID()
        janitor.start(intervalSeconds: 0.05)
        defer { janitor.stop() }
        let deadline = Date().addingTimeInterval(10)
        while Exposition(harness.gateway)["hh_auth_sessions_active"] != 1 && Date() < deadline {
            usleep(10_000)
        }
        #expect(Exposition(harness.gateway)["hh_auth_sessions_active"] == 1)
    }

    @Test func theProcessSeriesAreReadAtEachScrape() throws {
        let metrics = ServiceMetrics()
        let before = Exposition(metrics.exposition())
        let resident = try #require(before["process_resident_memory_bytes"])
        #expect(resident > 1_000_000)
        #expect(try #require(before["process_virtual_memory_bytes"]) >= resident)
        #expect(try #require(before["process_cpu_seconds_total"]) > 0)
        #expect(try #require(before["process_max_fds"]) > 0)
        let started = try #require(before["process_start_time_seconds"])
        #expect(abs(started - Date().timeIntervalSince1970) < 24 * 3600, "\(started)")
        #expect(started <= Date().timeIntervalSince1970)
        for name in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"] {
            #expect(before.text.contains("# TYPE \(name) "), "\(name)")
        }
        #expect(before.text.contains("# TYPE process_cpu_seconds_total counter"))

        // A hundred more descriptors open: the next scrape sees them. (Tests running in parallel
        // open and close a few of their own meanwhile, hence the margin.)
        let open = try #require(before["process_open_fds"])
        let files = (0..<100).map { _ in FileHandle(forReadingAtPath: "/dev/null") }
        let after = Exposition(metrics.exposition())
        #expect(try #require(after["process_open_fds"]) >= open + 50)
        withExtendedLifetime(files) {}
        #expect(after["process_start_time_seconds"] == started)
    }

    @Test func statLinesAreReadFromTheLastParenthesis() throws {
        let line =
            "4242 (hh-auth (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 40 0 123456 "
            + "987654321 4321 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n"
        let stat = try #require(ProcessMetrics.parseStat(Array(line.utf8)))
        #expect(
            stat
                == ProcessMetrics.Stat(
                    userTicks: 250, systemTicks: 75, startTicks: 123_456, virtualBytes: 987_654_321,
                    residentPages: 4321))
        #expect(ProcessMetrics.parseStat(Array("4242 (no close".utf8)) == nil)
        #expect(ProcessMetrics.parseStat(Array("4242 (short) S 1 2".utf8)) == nil)
    }
}
