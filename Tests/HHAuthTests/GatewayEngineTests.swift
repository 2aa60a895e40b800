import Foundation
import PostgreSQLTestSupport
import Testing

@testable import HHAuth

/// The whole gateway on each engine (`DATABASE_URL` selects PostgreSQL): the main flows through
/// HTTP, and what a PostgreSQL outage looks like from outside.
@Suite("Gateway on each engine")
struct GatewayEngineTests {
    private let admin = ["Authorization": "Basic " + Data("admin:admin".utf8).base64EncodedString()]

    @Test(arguments: EngineKind.allCases)
    func signInTokenAdminAndAuditVerify(_ engine: EngineKind) throws {
        let harness = try GatewayHarness(engine: engine)
        #expect(harness.gateway.services.sqlite == nil ? engine == .postgresql : engine == .sqlite)
        #expect(harness.send("GET", "/health").status == 200)
        let sessionID = try harness.sessionID()
        let token = harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#)
        #expect(token.status == 200)
        #expect(token.json["access_token"] as? String == "access-1001-1")
        let me = harness.send("GET", "/users/me", headers: ["Authorization": "Bearer \(sessionID)"])
        #expect(me.json["hh_user_id"] as? String == "1001")

        let users = harness.send("GET", "/admin/users", headers: admin)
        #expect(users.status == 200)
        #expect(users.text.contains(#""hh_user_id":"1001""#))
        let sessions = harness.send("GET", "/admin/sessions", headers: admin)
        #expect(sessions.status == 200)
        #expect(sessions.text.contains(#""hh_user_id":"1001""#))
        #expect(harness.send("GET", "/admin/audit-log", headers: admin).status == 200)
        #expect(harness.send("POST", "/auth/logout", headers: ["Authorization": "Bearer \(sessionID)"]).status == 200)

        let events = try harness.auditEvents().map(\.type)
        #expect(events.contains("login"))
        #expect(events.contains("session_created"))
        #expect(events.contains("logout"))
        #expect(
            try harness.gateway.services.administration().verifyAudit() == .intact(count: events.count))
    }

    /// PostgreSQL down: `/health` says so as it does for an unreadable SQLite file, a route that
    /// needs the database answers 503 with `Retry-After`, and the failures are counted as
    /// `unavailable`, never as SQLite's `cantopen`.
    @Test func postgreSQLDownIsUnhealthyAndRoutesAnswer503() throws {
        let cluster = try TestCluster.own("gateway-down")
        let harness = try GatewayHarness { $0.database = .postgreSQL(connectionString: cluster.url) }
        let sessionID = try harness.sessionID()
        try cluster.stop()

        let health = harness.send("GET", "/health")
        #expect(health.status == 503)
        #expect(health.detail == "Database is not readable")
        #expect(health.json["status"] as? String == "unhealthy")
        let token = harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#)
        #expect(token.status == 503)
        #expect(token.header("Retry-After") != nil)
        let exchange = harness.send("POST", "/auth/exchange", json: #"{"exchange_code":"whatever"}"#)
        #expect(exchange.status == 503)

        let exposition = Exposition(harness.gateway)
        #expect((exposition[#"hh_auth_database_errors_total{kind="unavailable"}"#] ?? 0) >= 2)
        #expect(exposition[#"hh_auth_database_errors_total{kind="cantopen"}"#] == 0)
    }

    /// The same failure kind is SQLite's `cantopen` and PostgreSQL's `unavailable`; the other
    /// labels are the engine's alike.
    @Test func anOutageIsLabelledByEngine() {
        #expect(DatabaseErrorMetrics.Kind(.unavailable, engine: .sqlite) == .cantopen)
        #expect(DatabaseErrorMetrics.Kind(.unavailable, engine: .postgreSQL) == .unavailable)
        for kind in StorageFailure.Kind.allCases where kind != .unavailable {
            #expect(
                DatabaseErrorMetrics.Kind(kind, engine: .sqlite) == DatabaseErrorMetrics.Kind(kind, engine: .postgreSQL)
            )
        }
    }

    /// Polls that come while a check waits on the database get the last answer: `/health` never
    /// piles connections (or waits) behind a database that is slow to fail.
    @Test func theProbeAsksOnceAtATime() throws {
        let clock = Locked(100.0)
        let (entered, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let hold = Locked(false)
        let checks = Locked(0)
        let probe = ReadabilityProbe(intervalSeconds: 1, now: { clock.withLock { $0 } }) {
            checks.withLock { $0 += 1 }
            if hold.withLock({ $0 }) {
                entered.signal()
                release.wait()
            }
            return true
        }
        #expect(probe.isReadable() == true)
        clock.withLock { $0 += 1.5 }
        hold.withLock { $0 = true }
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = probe.isReadable()
            done.signal()
        }
        entered.wait()
        hold.withLock { $0 = false }
        // The check is still waiting: this poll gets the last answer and asks nothing.
        #expect(probe.isReadable() == true)
        #expect(checks.withLock { $0 } == 2)
        // Still waiting two intervals on: that is the answer.
        clock.withLock { $0 += 2.5 }
        #expect(probe.isReadable() == false)
        #expect(checks.withLock { $0 } == 2)
        release.signal()
        done.wait()
        #expect(probe.isReadable() == true)
    }

    /// Before the first answer there is nothing to repeat: polls arriving while the first check
    /// waits wait for its answer instead of answering "unhealthy" (a 503 at start under load,
    /// seen in the soak), and ask nothing themselves: a database silent at start holds one check,
    /// not one per poll.
    @Test func pollsBeforeTheFirstAnswerWaitForIt() throws {
        let (entered, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let checks = Locked(0)
        let probe = ReadabilityProbe(intervalSeconds: 1, firstAnswerWaitSeconds: 30, now: { 100 }) {
            let first = checks.withLock { count in
                count += 1
                return count == 1
            }
            if first {
                entered.signal()
                release.wait()
            }
            return true
        }
        let (first, second) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let answers = Locked([Bool]())
        Thread.detachNewThread {
            let answer = probe.isReadable()
            answers.withLock { $0.append(answer) }
            first.signal()
        }
        entered.wait()
        Thread.detachNewThread {
            let answer = probe.isReadable()
            answers.withLock { $0.append(answer) }
            second.signal()
        }
        // (Polled, not slept: the second poll is waiting once it counts itself; one that asked
        // the database itself is done.)
        while probe.pollsWaitingForTheFirstAnswer == 0 && answers.withLock({ $0.count }) == 0 { usleep(1_000) }
        release.signal()
        first.wait()
        second.wait()
        #expect(answers.withLock { $0 } == [true, true])
        #expect(checks.withLock { $0 } == 1)
    }

    /// A first check that does not answer: the polls meanwhile wait a bounded time, then answer
    /// false, each without asking the database again.
    @Test func pollsBeforeTheFirstAnswerWaitABoundedTime() throws {
        let (entered, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let checks = Locked(0)
        let probe = ReadabilityProbe(intervalSeconds: 1, firstAnswerWaitSeconds: 0.2, now: { 100 }) {
            let first = checks.withLock { count in
                count += 1
                return count == 1
            }
            if first {
                entered.signal()
                release.wait()
            }
            return true
        }
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = probe.isReadable()
            done.signal()
        }
        entered.wait()
        #expect(probe.isReadable() == false)
        #expect(probe.isReadable() == false)
        #expect(checks.withLock { $0 } == 1)
        release.signal()
        done.wait()
        #expect(probe.isReadable() == true)
        #expect(checks.withLock { $0 } == 1)
    }
}
