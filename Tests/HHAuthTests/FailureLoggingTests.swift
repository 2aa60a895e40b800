import FastCGI
import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// Issue 9, item 12: every 5xx has its cause in the log, with the request id, also when the
/// callback shows the failure to a browser as a page.
@Suite("Failure causes in the log")
struct FailureLoggingTests {
    let capture = LogCapture()
    let harness: GatewayHarness
    static let requestID = "0123456789abcdef0123456789abcdef"

    init() throws {
        harness = try GatewayHarness(logger: capture.logger)
    }

    private func callback(state: String, accept: String) -> FastCGIResponse {
        harness.send(
            "GET", "/auth/callback?code=code-1001&state=\(state)", headers: ["Accept": accept],
            extra: ["REQUEST_ID": Self.requestID])
    }

    private func failureLine() -> LogCapture.Entry? {
        capture.all.first { $0.level >= .warning && $0.metadata["request_id"] == Self.requestID }
    }

    @Test func hhRefusingTheCodeExchangeIsLoggedWithWhatHHAnswered() throws {
        harness.hh.transport.on(
            Fixtures.tokenURL, status: 400,
            json:
                #"{"error":"invalid_client","error_description":"client_id or client_secret not found","request_id":"hh-42"}"#
        )
        let page = callback(state: try harness.login(), accept: "text/html,*/*")
        #expect(page.status == 502)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(!page.text.contains("invalid_client"))
        let line = try #require(failureLine(), "no warning with the request id: \(capture.all)")
        #expect(line.metadata["route"] == "/auth/callback")
        let cause = try #require(line.metadata["error"])
        #expect(cause.contains("token endpoint answered 400"))
        #expect(cause.contains("error=invalid_client"))
        #expect(cause.contains("request_id=hh-42"))
        #expect(!cause.contains("client-secret"))
    }

    @Test func hhUnreachableAtMeIsLoggedForJSONClientsToo() throws {
        harness.hh.transport.on(Fixtures.apiURL + "/me") { _ in throw HHTransportError("connection reset by peer") }
        let response = callback(state: try harness.login(), accept: "application/json")
        #expect(response.status == 502)
        #expect(response.detail == "HeadHunter is unavailable, try again later")
        let cause = try #require(failureLine()?.metadata["error"])
        #expect(cause.contains("connection reset by peer"))
        #expect(cause.contains("GET \(Fixtures.apiURL)/me"))
    }

    @Test func busyHHKeepsItsRetryAfterOnThePage() throws {
        let gate = Gate()
        let entered = Gate()
        let single = try GatewayHarness(logger: capture.logger) { $0.headHunter.maxConcurrentCalls = 1 }
        let sessionID = try single.sessionID()
        // A forced refresh holds the one place among the HH calls.
        single.hh.transport.on(Fixtures.tokenURL) { _ in
            entered.open()
            gate.wait()
            return HHHTTPResponse(status: 500, body: [])
        }
        let second = try single.login()
        let done = Gate()
        let thread = Thread {
            _ = single.send("POST", "/auth/refresh", json: #"{"session_id":"\#(sessionID)"}"#)
            done.open()
        }
        thread.start()
        #expect(entered.wait())
        let page = single.send(
            "GET", "/auth/callback?code=code-1001&state=\(second)", headers: ["Accept": "text/html"],
            extra: ["REQUEST_ID": Self.requestID])
        gate.open()
        #expect(done.wait())
        #expect(page.status == 503)
        #expect(page.header("Retry-After") == "5")
        #expect(failureLine()?.metadata["error"]?.contains("too many calls waiting on HH") == true)
    }

    @Test func databaseCausesNameSQLiteCodesButNeverSQL() {
        let error = DatabaseError(
            resultCode: .SQLITE_BUSY, message: "database is locked",
            sql: "INSERT INTO oauth_states (state_hash, redirect_uri, expires_at) VALUES (?, ?, ?)")
        let cause = ErrorMapping.cause(of: error)
        #expect(cause.contains("SQLite error 5"))
        #expect(cause.contains("database is locked"))
        #expect(!cause.contains("INSERT") && !cause.contains("oauth_states"))
        #expect(String(describing: error).contains("INSERT"))  // what the log used to get
    }

    @Test func databaseFailureOfARouteIsLoggedWithoutSQL() throws {
        var router = Router()
        router.get("/write", effects: .sideEffects) { _ in
            throw DatabaseError(
                resultCode: .SQLITE_FULL, message: "database or disk is full", sql: "UPDATE hh_tokens SET x = 1")
        }
        let application = Application(router: router, metrics: RequestMetrics(), logger: capture.logger)
        let response = application.respond(to: fastCGIRequest("GET", "/write", extra: ["REQUEST_ID": Self.requestID]))
        #expect(response.status == 503)
        let cause = try #require(failureLine()?.metadata["error"])
        #expect(cause.contains("SQLite error 13"))
        #expect(!cause.contains("UPDATE"))
    }
}
