import Foundation
import Testing

/// Issue 9 through real nginx: HEAD without side effects, bounded metrics labels and anonymous
/// writes, 5xx causes in the log, /metrics for all of loopback.
@Suite("Edges through nginx")
struct EdgeTests {
    private func sql(_ stack: TestStack, _ statement: String) throws -> Int {
        let result = try runCommand("/usr/bin/sqlite3", ["-readonly", stack.databasePath, statement])
        guard result.status == 0, let value = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("sqlite3: \(result.output)")
        }
        return value
    }

    @Test func headOnTheCallbackLeavesStateAndCodeForTheBrowser() throws {
        let stack = try TestStack()
        let login = BrowserLogin(stack: stack)
        let callback = try login.pendingCallback()
        let head = try login.browser.send(method: "HEAD", target: callback, body: nil)
        #expect(head.status == 405)
        #expect(head.headers["allow"] == "GET")
        let get = try login.browser.get(callback, headers: ["Accept": "text/html"])
        #expect(get.status == 200)
        #expect(BrowserLogin.exchangeCode(in: get.text) != nil)
        // /auth/login writes nothing, so HEAD is answered like GET (no body) and issues nothing.
        let headLogin = try stack.http.send(method: "HEAD", target: "/auth/login", body: nil)
        #expect(headLogin.status == 302)
        #expect(headLogin.body.isEmpty)
        // The one row is the state the GET used up.
        #expect(try sql(stack, "SELECT count(*) FROM oauth_states") == 1)
        #expect(try stack.http.send(method: "HEAD", target: "/health", body: nil).status == 200)
    }

    @Test func inventedMethodsDoNotGrowTheMetrics() throws {
        let stack = try TestStack()
        _ = try stack.http.send(method: "BREW", target: "/health", body: nil)
        _ = try stack.http.send(method: "BREW", target: "/nowhere", body: nil)
        let samples = { () throws -> Int in
            try stack.http.get("/metrics").text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        }
        _ = try samples()  // the scrape's own series exist from here on
        let before = try samples()
        // nginx passes any method of capital letters, `_` and `-` on to the service.
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for index in 0..<60 {
            let method = "X" + String(letters[index % 26]) + String(letters[index / 26]) + "METHOD"
            let target = index.isMultiple(of: 2) ? "/health" : "/nowhere/\(index)"
            #expect(
                try stack.http.send(method: method, target: target, body: nil).status != 400, "nginx refused \(method)")
        }
        #expect(try samples() == before)
        #expect(!(try stack.http.get("/metrics").text.contains("METHOD")))
    }

    @Test func anonymousFloodsCauseBoundedWrites() throws {
        // The service's own bounds on (the stack turns them off for every other test), nginx's off.
        let stack = try TestStack(.init(environment: ["RATE_LIMITS": "on"]))
        for index in 0..<200 {
            #expect(try stack.http.get("/auth/callback?code=c&state=forged-\(index)").status == 400)
        }
        #expect(try sql(stack, "SELECT count(*) FROM audit_events WHERE event_type = 'login_failed'") == 1)
        let metrics = try stack.http.get("/metrics").text
        #expect(metrics.contains(#"login_failures_total{reason="state_invalid"} 200"#))

        // 300 sign-in starts change not a byte of the database or its WAL, and issue every state.
        let files = [stack.databasePath, stack.databasePath + "-wal"]
        let before = files.map { FileManager.default.contents(atPath: $0) }
        var statuses: [Int] = []
        for _ in 0..<300 { statuses.append(try stack.http.get("/auth/login").status) }
        #expect(statuses.allSatisfy { $0 == 302 }, "\(Set(statuses))")
        #expect(files.map { FileManager.default.contents(atPath: $0) } == before, "/auth/login wrote to the database")
        #expect(try sql(stack, "SELECT count(*) FROM oauth_states") == 0)
        // And the next real user still signs in.
        #expect(try BrowserLogin(stack: stack).run().callback.status == 200)
    }

    @Test func callbackFailureAtHHIsLoggedWithItsCauseAndRequestID() throws {
        let stack = try TestStack()
        try stack.hh.fail("token", mode: "500")
        let outcome = try BrowserLogin(stack: stack).run()
        #expect(outcome.callback.status == 502)
        #expect(outcome.callback.headers["content-type"]?.hasPrefix("text/html") == true)
        let requestID = try #require(outcome.callback.headers["x-request-id"])
        let deadline = Date().addingTimeInterval(5)
        var line: Substring?
        while line == nil && Date() < deadline {
            line = stack.service?.log.split(separator: "\n").first {
                $0.contains("request_id=\(requestID)") && $0.contains("error=")
            }
            if line == nil { usleep(20_000) }
        }
        let logged = try #require(
            line, "no failure line for \(requestID) in:\n\(stack.service?.log.suffix(3000) ?? "")")
        #expect(logged.contains("token endpoint answered 500"))
        #expect(logged.contains("route=/auth/callback"))
    }

    @Test func metricsAnswerEveryLoopbackAddressAndNobodyElse() throws {
        let stack = try TestStack()
        for source in ["127.0.0.1", "127.0.0.2", "127.45.6.7"] {
            let response = try RawHTTPClient(port: stack.httpPort, sourceAddress: source).get("/metrics")
            #expect(response.status == 200, "\(source): \(response.status)")
            #expect(response.text.contains("requests_total"))
        }
        let outsider = RawHTTPClient(port: stack.httpPort, sourceAddress: try LocalAddresses.nonLoopbackIPv4())
        let refused = try outsider.get("/metrics")
        #expect(refused.status == 403)
        #expect(!refused.text.contains("requests_total"))
    }
}
