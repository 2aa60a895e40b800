import ContractScenarios
import FastCGI
import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// Issue 12: the domain metrics exist from the start with every label value, and move when what
/// they count happens, through the gateway as `hh-auth serve` runs it.
@Suite("Metrics: sign-ins, HH calls, refreshes")
struct DomainMetricsTests {
    let harness: GatewayHarness

    init() throws {
        harness = try GatewayHarness()
    }

    private var metrics: Exposition { Exposition(harness.gateway) }

    private func hh(_ call: String, _ outcome: String) -> String {
        #"hh_auth_hh_requests_total{call="\#(call)",outcome="\#(outcome)"}"#
    }

    private func refreshes(_ result: String) -> String { #"hh_auth_token_refreshes_total{result="\#(result)"}"# }
    private func logins(_ result: String) -> String { #"hh_auth_logins_total{result="\#(result)"}"# }

    @Test func everySeriesExistsAtZeroFromTheStart() {
        let metrics = self.metrics
        for result in ["success", "not_whitelisted", "state_invalid", "access_denied", "hh_error"] {
            #expect(metrics[logins(result)] == 0, "\(result)")
        }
        #expect(metrics.series(of: "hh_auth_logins_total").count == 5)
        for call in HHCall.allCases {
            for outcome in HHCallOutcome.allCases { #expect(metrics[hh(call.rawValue, outcome.rawValue)] == 0) }
            #expect(metrics[#"hh_auth_hh_request_duration_seconds_count{call="\#(call.rawValue)"}"#] == 0)
        }
        #expect(metrics.series(of: "hh_auth_hh_requests_total").count == 4 * 11)
        for result in ["success", "revoked", "hh_error", "failed"] { #expect(metrics[refreshes(result)] == 0) }
        for limiter in ["client", "login", "login_concurrency", "admin_auth", "hh_concurrency"] {
            #expect(metrics[#"hh_auth_rate_limited_total{limiter="\#(limiter)"}"#] == 0, "\(limiter)")
        }
        for kind in ["busy", "locked", "full", "io", "corrupt", "readonly", "cantopen", "constraint", "other"] {
            #expect(metrics[#"hh_auth_database_errors_total{kind="\#(kind)"}"#] == 0, "\(kind)")
        }
        #expect(metrics["hh_auth_admin_auth_failures_total"] == 0)
        #expect(metrics["hh_auth_sessions_active"] == 0)
        #expect(metrics[#"hh_auth_build_info{version="\#(HHAuthVersion.current)"}"#] == 1)
        // The contract's own series stay as they were.
        #expect(metrics[#"login_failures_total{reason="browser_mismatch"}"#] == 0)
    }

    @Test func aSignInCountsOneLoginAndItsTwoHHCalls() throws {
        _ = try harness.sessionID()
        let metrics = self.metrics
        #expect(metrics[logins("success")] == 1)
        #expect(metrics[hh("token_code", "ok")] == 1)
        #expect(metrics[hh("me", "ok")] == 1)
        #expect(metrics[#"hh_auth_hh_request_duration_seconds_count{call="token_code"}"#] == 1)
        #expect(metrics[#"hh_auth_hh_request_duration_seconds_count{call="me"}"#] == 1)
        #expect(metrics[#"hh_auth_hh_request_duration_seconds_count{call="token_refresh"}"#] == 0)
        #expect(metrics.series(of: "hh_auth_logins_total").map { metrics.value($0) }.reduce(0, +) == 1)
    }

    @Test func failedSignInsAreCountedByResult() throws {
        // A forged state, and a callback from another browser (a bad state here, its own reason in
        // the contract's `login_failures_total`).
        _ = harness.callback(state: "forged", code: "code-1001")
        _ = harness.callback(state: try harness.login(), code: "code-1001", browser: CookieJar())
        // Declined at HH.
        _ = harness.send("GET", "/auth/callback?error=access_denied&state=\(try harness.login())")
        // HH refuses the code: an HH error, and an invalid_grant answer at the token endpoint.
        #expect(harness.callback(state: try harness.login(), code: "not-a-code").status == 400)
        // An HH user off the whitelist.
        #expect(harness.callback(state: try harness.login(), code: "code-2002").status == 403)
        let metrics = self.metrics
        #expect(metrics[logins("state_invalid")] == 2)
        #expect(metrics[#"login_failures_total{reason="browser_mismatch"}"#] == 1)
        #expect(metrics[#"login_failures_total{reason="state_invalid"}"#] == 1)
        #expect(metrics[logins("access_denied")] == 1)
        #expect(metrics[logins("hh_error")] == 1)
        #expect(metrics[logins("not_whitelisted")] == 1)
        #expect(metrics[logins("success")] == 0)
        #expect(metrics[hh("token_code", "invalid_grant")] == 1)
        #expect(metrics[hh("token_code", "ok")] == 1)
    }

    @Test func aRefreshOnTheWayIsCountedOnceAsSuccessAndAsAnHHCall() throws {
        let sessionID = try harness.sessionID()
        harness.clock.advance(seconds: 1_209_600 + 1)
        #expect(harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#).status == 200)
        // HH says the token is still good: a success without a new pair.
        #expect(harness.send("POST", "/auth/refresh", json: #"{"session_id":"\#(sessionID)"}"#).status == 200)
        let metrics = self.metrics
        #expect(metrics[refreshes("success")] == 2)
        #expect(metrics[hh("token_refresh", "ok")] == 1)
        #expect(metrics[hh("token_refresh", "invalid_grant")] == 1)
        #expect(metrics[#"hh_auth_hh_request_duration_seconds_count{call="token_refresh"}"#] == 2)
    }

    @Test func aDeadRefreshTokenIsCountedAsRevoked() throws {
        let sessionID = try harness.sessionID()
        harness.hh.transport.on(
            Fixtures.tokenURL, status: 400, json: #"{"error":"invalid_grant","error_description":"token deactivated"}"#)
        harness.clock.advance(seconds: 1_209_600 + 1)
        #expect(harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#).status == 401)
        #expect(metrics[refreshes("revoked")] == 1)
        #expect(metrics[refreshes("success")] == 0)
    }

    @Test(arguments: ["server_error", "rate_limited", "invalid_client"])
    func anHHFailureOfARefreshIsCountedAsAnHHError(outcome: String) throws {
        let sessionID = try harness.sessionID()
        switch outcome {
        case "server_error":
            harness.hh.transport.on(
                Fixtures.tokenURL, status: 503, json: #"{"errors":[{"type":"service_unavailable"}]}"#)
        case "rate_limited":
            harness.hh.transport.on(Fixtures.tokenURL, status: 429, json: "")
        default:
            harness.hh.transport.on(
                Fixtures.tokenURL, status: 400,
                json: #"{"error":"invalid_client","error_description":"client_id or client_secret not found"}"#)
        }
        harness.clock.advance(seconds: 1_209_600 + 1)
        #expect(harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#).status == 502)
        let metrics = self.metrics
        #expect(metrics[refreshes("hh_error")] == 1)
        #expect(metrics[hh("token_refresh", outcome)] == 1)
    }

    @Test func aRevocationIsCountedAsARevokeCall() throws {
        let sessionID = try harness.sessionID()
        #expect(harness.send("POST", "/auth/logout", json: #"{"session_id":"\#(sessionID)"}"#).status == 200)
        #expect(try harness.gateway.janitor.revokeDue() == 1)
        #expect(metrics[hh("revoke", "ok")] == 1)
        // Not one of the broker's refreshes.
        #expect(metrics.series(of: "hh_auth_token_refreshes_total").map { metrics.value($0) }.reduce(0, +) == 0)
    }

    @Test func callsWithoutAnAnswerAreTimeoutsOrNetworkFailures() throws {
        let sessionID = try harness.sessionID()
        harness.hh.transport.on(Fixtures.tokenURL) { _ in throw HHTransportError("timed out after 15 s", timedOut: true)
        }
        harness.clock.advance(seconds: 1_209_600 + 1)
        #expect(harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#).status == 502)
        harness.hh.transport.on(Fixtures.tokenURL) { _ in throw HHTransportError("Could not connect to the server.") }
        #expect(harness.send("POST", "/auth/token", json: #"{"session_id":"\#(sessionID)"}"#).status == 502)
        let metrics = self.metrics
        #expect(metrics[hh("token_refresh", "timeout")] == 1)
        #expect(metrics[hh("token_refresh", "network")] == 1)
        #expect(metrics[refreshes("hh_error")] == 2)
    }
}

/// How HH's answers map to the `outcome` label: HH's documented errors, nothing a body says beyond
/// picking one of the fixed classes.
@Suite("Metrics: HH outcome classes")
struct HHCallOutcomeTests {
    private func outcome(_ status: Int, _ body: String = "") -> HHCallOutcome {
        HHCallOutcome(status: status, body: Array(body.utf8))
    }

    @Test func answersMapToTheirClass() {
        #expect(outcome(200, "{}") == .ok)
        #expect(outcome(204) == .ok)
        #expect(outcome(400, #"{"error":"invalid_grant","error_description":"token not expired"}"#) == .invalidGrant)
        #expect(outcome(400, #"{"error":"invalid_client"}"#) == .invalidClient)
        #expect(outcome(401, #"{"error":"invalid_client"}"#) == .invalidClient)
        #expect(outcome(400, #"{"error":"invalid_request","error_description":"account not found"}"#) == .badRequest)
        #expect(outcome(400, #"{"errors":[{"type":"bad_user_agent","value":"unset"}]}"#) == .badRequest)
        #expect(outcome(401) == .unauthorized)
        #expect(
            outcome(403, #"{"errors":[{"type":"oauth","value":"token_expired"}],"oauth_error":"token-expired"}"#)
                == .forbidden)
        #expect(outcome(403, #"{"error":"forbidden","error_description":"app token refresh too early"}"#) == .forbidden)
        #expect(outcome(404, #"{"errors":[{"type":"not_found"}]}"#) == .otherStatus)
        #expect(outcome(429, "slow down") == .rateLimited)
        #expect(outcome(500, "<html>") == .serverError)
        #expect(outcome(503, #"{"errors":[{"type":"service_unavailable"}]}"#) == .serverError)
        #expect(outcome(302) == .otherStatus)
        #expect(outcome(400, "not json") == .badRequest)
        #expect(HHCallOutcome(noAnswer: HHTransportError("timed out after 15 s", timedOut: true)) == .timeout)
        #expect(HHCallOutcome(noAnswer: HHTransportError("Connection refused")) == .network)
        struct SomeOtherTransportFailure: Error {}
        #expect(HHCallOutcome(noAnswer: SomeOtherTransportFailure()) == .network)
    }

    @Test func everyLabelValueIsAPrometheusName() {
        let values = HHCall.allCases.map(\.rawValue) + HHCallOutcome.allCases.map(\.rawValue)
        for value in values { #expect(value.allSatisfy { $0.isLowercase || $0 == "_" }, "\(value)") }
    }
}
