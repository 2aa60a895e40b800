import FastCGI
import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// The admin throttle's state shared on PostgreSQL, stuck or gone (review findings H2, M3): a
/// request that checks no password never waits for it, one that does is answered 503 with
/// `Retry-After` within a bound (not 429: the client did nothing wrong), and the failure is
/// counted each time and logged once per change (failing, then working again).
@Suite("Admin throttle state stuck or gone", .serialized)
struct AdminThrottleOutageTests {
    private static func basic(_ username: String, _ password: String) -> [String: String] {
        ["Authorization": "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()]
    }

    /// `GET /admin/users` from `address`, on a thread of its own.
    private static func admin(
        _ application: Application, _ headers: [String: String], from address: String = "203.0.113.7"
    ) -> Background<FastCGIResponse> {
        Background {
            application.respond(
                to: fastCGIRequest("GET", "/admin/users", headers: headers, extra: ["REMOTE_ADDR": address]))
        }
    }

    private static func lines(_ logs: LogCapture, _ message: String, duty: String) -> Int {
        logs.all.filter { $0.message == message && $0.metadata["duty"] == duty }.count
    }

    /// Another session holds the throttle's table (as a node cut off mid-transaction would, for
    /// as long as its server keeps the backend): anonymous admin requests, the signed-in admin's
    /// cached calls and `/auth/token` answer at once; password checks answer 503 within the
    /// deadline, however many come at once, instead of queueing every worker behind the first.
    @Test func aStuckLedgerHoldsNoWorkerAndPasswordChecksGet503() throws {
        let logs = LogCapture()
        let harness = try GatewayHarness(logger: logs.logger, engine: .postgresql)
        let application = harness.gateway.application
        let sessionID = try harness.sessionID()
        // The admin signed in before: the right credentials are cached for this address.
        #expect(harness.send("GET", "/admin/users", headers: Self.basic("admin", "admin")).status == 200)
        let blocker = try #require(harness.schema).connect()
        defer { blocker.close() }
        try blocker.execute("BEGIN")
        try blocker.execute("LOCK TABLE admin_failures IN ACCESS EXCLUSIVE MODE")

        let guesses = (1...4).map {
            Self.admin(application, Self.basic("admin", "guess-\($0)"), from: "198.51.100.\($0)")
        }
        let anonymous = (0..<16).map { _ in Self.admin(application, [:]) }
        let cached = Self.admin(application, Self.basic("admin", "admin"))
        let token = Background {
            application.respond(
                to: fastCGIRequest(
                    "POST", "/auth/token", body: #"{"session_id":"\#(sessionID)"}"#, contentType: "application/json"))
        }
        for request in anonymous {
            #expect(request.finishes(withinSeconds: 3))
            #expect(try request.result().status == 401)
        }
        #expect(cached.finishes(withinSeconds: 3))
        #expect(try cached.result().status == 200)
        #expect(token.finishes(withinSeconds: 3))
        #expect(try token.result().status == 200)
        for guess in guesses {
            #expect(guess.finishes(withinSeconds: 10))
            let answer = try guess.result()
            #expect(answer.status == 503)
            #expect(answer.header("Retry-After") == "5")
        }
        // Four failures, logged once per kind (third review, L-d): the server's lock timeouts
        // counted as database errors (at least the first guess's), the waits for this node's
        // turn not (second review, N7).
        let failing = ["the state the nodes share cannot be reached", "this node's turn at the shared state is busy"]
        let recovered = [
            "the state the nodes share is reachable again", "this node's turn at the shared state is free again",
        ]
        let failureLines = failing.map { Self.lines(logs, $0, duty: "admin throttle") }
        #expect(failureLines[0] == 1)
        #expect(failureLines[1] <= 1)
        let busy = Exposition(harness.gateway).value(#"hh_auth_database_errors_total{kind="busy"}"#)
        #expect(busy >= 1 && busy <= 4)

        try blocker.execute("ROLLBACK")
        let wrong = try Self.admin(application, Self.basic("admin", "guess-5"), from: "198.51.100.5").result()
        #expect(wrong.status == 401)
        // Each kind that was logged is logged over, once.
        #expect(recovered.map { Self.lines(logs, $0, duty: "admin throttle") } == failureLines)
        #expect(try Self.admin(application, Self.basic("admin", "admin"), from: "192.0.2.9").result().status == 200)
        #expect(failing.map { Self.lines(logs, $0, duty: "admin throttle") } == failureLines)
    }

    /// The server gone: a password check is answered 503 with `Retry-After`, never the throttle's
    /// 429 (before, a failing store looked like a throttled client); the failures are counted as
    /// `unavailable` and logged once, with the cause.
    @Test func aServerGoneAnswers503AndIsLoggedOnce() throws {
        let cluster = try TestCluster.own("admin-throttle-down")
        let logs = LogCapture()
        let harness = try GatewayHarness(logger: logs.logger) {
            $0.database = .postgreSQL(connectionString: cluster.url)
        }
        let application = harness.gateway.application
        #expect(harness.send("GET", "/admin/users", headers: Self.basic("admin", "wrong")).status == 401)
        try cluster.stop()
        let before = Exposition(harness.gateway).value(#"hh_auth_database_errors_total{kind="unavailable"}"#)

        for index in 1...3 {
            let answer = try Self.admin(application, Self.basic("admin", "guess-\(index)"), from: "198.51.100.\(index)")
                .result()
            #expect(answer.status == 503)
            #expect(answer.header("Retry-After") == "5")
        }
        #expect(try Self.admin(application, [:]).result().status == 401)
        let failing = "the state the nodes share cannot be reached"
        #expect(Self.lines(logs, failing, duty: "admin throttle") == 1)
        let entry = try #require(logs.all.first { $0.message == failing && $0.metadata["duty"] == "admin throttle" })
        #expect(entry.level == .error)
        #expect(entry.metadata["error"]?.isEmpty == false)
        #expect(Exposition(harness.gateway).value(#"hh_auth_database_errors_total{kind="unavailable"}"#) >= before + 3)
    }
}
