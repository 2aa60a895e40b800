import ContractScenarios
import FastCGI
import Foundation
import HTTPCore
import Prometheus
import Testing

@testable import HHAuth

/// A callback that failed keeps the browser's pre-auth cookie only while its state is unused and
/// its answer asks for the same callback again (429, 503): the flow says whether the state was
/// spent (``CallbackFailure``), the `Retry-After` alone cannot (a 503 after the state was used up
/// would keep a cookie whose retry can only be refused).
@Suite("Gateway: a failed callback's pre-auth cookie")
struct CallbackRetryTests {
    let harness: GatewayHarness
    /// The database under the callback route, made to fail the writes a test names.
    let engine: WriteFailingEngine
    let flow: LoginFlow
    let application: Application

    init() throws {
        harness = try GatewayHarness()
        let base = harness.gateway.services.loginFlow(
            client: HHClient(settings: Fixtures.headHunter(), transport: harness.hh.transport, clock: harness.clock),
            admission: CodeExchangeAdmission(perClientPerMinute: 30, maxInFlight: 4),
            metrics: LoginMetrics(registry: PrometheusCollectorRegistry()), logger: Fixtures.logger)
        engine = WriteFailingEngine(base.storage)
        flow = LoginFlow(
            storage: engine, states: base.states, client: base.client, clock: base.clock,
            failureSampler: base.failureSampler, admission: base.admission, metrics: base.metrics, rateLimits: nil,
            logger: base.logger, browserSessionLifetimeSeconds: nil)
        var router = Router()
        LoginHandlers(
            flow: flow, returnTargets: harness.gateway.returnTargets,
            sessionCookie: SessionCookie(domain: nil, lifetimeSeconds: 3600)
        ).register(in: &router)
        application = Application(router: router, metrics: RequestMetrics(), logger: Fixtures.logger)
    }

    /// The callback for `state`, from the harness's browser (which keeps what the answer sets).
    private func callback(_ state: String) -> FastCGIResponse {
        var headers = ["User-Agent": "UnitTest/1.0", "Accept": "application/json"]
        headers["Cookie"] = harness.browser.header()
        let response = application.respond(
            to: fastCGIRequest(
                "GET", "/auth/callback?code=code-1001&state=\(QueryParameters.encode(state))", headers: headers))
        harness.browser.receive(response.setCookies)
        return response
    }

    private func cookieName(for state: String) throws -> String {
        "hh_auth_login_" + (try #require(LoginStateStore.flowID(of: state)))
    }

    @Test func aDatabaseFailureAfterTheStateWasUsedUpDeletesTheCookie() throws {
        let state = try harness.login()
        let name = try cookieName(for: state)
        // The first write uses the state up; the sign-in's own transaction then fails (busy).
        engine.fail(writes: [2])
        let failed = callback(state)
        #expect(failed.status == 503)
        #expect(failed.header("Retry-After") != nil)
        #expect(failed.setCookies == ["\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"])
        #expect(harness.browser.value(name) == nil)
        // The state is spent: the same callback again could only be refused.
        engine.fail(writes: [])
        let again = callback(state)
        #expect(again.status == 400)
        #expect(again.detail == "Invalid or expired state parameter")
    }

    @Test func aDatabaseFailureBeforeTheStateWasUsedUpKeepsTheCookieForTheRetry() throws {
        let state = try harness.login()
        let name = try cookieName(for: state)
        // The write that would use the state up fails: the state stays unused.
        engine.fail(writes: [1])
        let failed = callback(state)
        #expect(failed.status == 503)
        #expect(failed.header("Retry-After") != nil)
        #expect(failed.setCookies.isEmpty)
        #expect(harness.browser.value(name) != nil)
        engine.fail(writes: [])
        let retried = callback(state)
        #expect(retried.status == 200, "\(retried.text)")
        #expect(retried.setCookies == ["\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"])
    }

    @Test func theFlowSaysWhetherTheStateWasSpent() throws {
        let origin = ClientOrigin(clientAddress: "203.0.113.7", userAgent: "UnitTest/1.0")
        func failure(of callback: LoginFlow.Callback) -> CallbackFailure? {
            do {
                _ = try flow.complete(callback, from: origin)
                return nil
            } catch {
                return error
            }
        }
        for (failing, spent) in [(Set([1]), false), (Set([2]), true)] {
            let start = try flow.authorizeURL(redirectURI: nil, returnTo: nil)
            let state = try #require(GatewayHarness.query(of: start.authorizeURL)["state"])
            let callback = LoginFlow.Callback(
                state: state, code: "code-1001", error: nil, loginCookie: start.binding.cookieValue)
            engine.fail(writes: failing)
            let first = try #require(failure(of: callback))
            #expect(first.underlying as? StorageFailure == WriteFailingEngine.failure)
            #expect(first.stateSpent == spent, "write \(failing) failing")
            engine.fail(writes: [])
            // Spent: found used. Unused: the retry signs in.
            #expect(failure(of: callback)?.stateSpent == (spent ? true : nil))
        }
        // Refused before the state could be used: a forged one, and one from another browser.
        let forged = failure(of: .init(state: "forged", code: "code-1001", error: nil, loginCookie: nil))
        #expect(forged?.underlying as? LoginError == .invalidState && forged?.stateSpent == true)
        let start = try flow.authorizeURL(redirectURI: nil, returnTo: nil)
        let state = try #require(GatewayHarness.query(of: start.authorizeURL)["state"])
        let elsewhere = failure(of: .init(state: state, code: "code-1001", error: nil, loginCookie: "other"))
        #expect(elsewhere?.underlying as? LoginError == .browserMismatch && elsewhere?.stateSpent == false)
    }
}

/// A storage engine whose numbered write transactions (counted from the last ``fail(writes:)``,
/// from 1) fail as a busy database, before they run.
final class WriteFailingEngine: StorageEngine, @unchecked Sendable {
    static let failure = StorageFailure(.busy, cause: "test: the database is busy")

    let base: any StorageEngine
    private let plan = Locked((count: 0, failing: Set<Int>()))

    init(_ base: any StorageEngine) {
        self.base = base
    }

    /// From now on, the writes numbered `writes` fail.
    func fail(writes: Set<Int>) {
        plan.withLock { $0 = (0, writes) }
    }

    var sessionReads: any SessionReadPath { base.sessionReads }

    func read<T>(_ body: (any StoreReads) throws -> T) throws -> T { try base.read(body) }

    func write<T>(_ body: (any StoreWrites) throws -> T) throws -> T {
        let fails = plan.withLock { plan in
            plan.count += 1
            return plan.failing.contains(plan.count)
        }
        if fails { throw Self.failure }
        return try base.write(body)
    }
}
