import Foundation
import Testing

/// Issue 4: the admin API through nginx — Basic auth and its throttle, ids and comments, and the
/// audit log, with every error the contract names. (Allow, list, remove, the allow body's errors and
/// the sessions API are ContractScenarios' admin scenarios, run here by ContractThroughNginxTests.)
@Suite("Admin API through nginx")
struct AdminAPITests {
    static let challenge = "Basic realm=\"hh-auth\""

    typealias Route = (method: String, target: String, body: String?)

    /// `hh-auth routes` of the built binary: method, pattern, effects, authentication (or `public`).
    static func routeTable(_ stack: TestStack) throws -> [[String]] {
        let output = try OperatorCLI.run(
            executable: TestStack.binaries + "/hh-auth", ["routes"], environment: [:], input: nil,
            directory: stack.directory, timeoutSeconds: 60)
        try #require(output.status == 0, "hh-auth routes: \(output)")
        let table = output.lines.map { $0.split(separator: " ").map(String.init) }
        try #require(table.allSatisfy { $0.count == 4 }, "hh-auth routes: \(output)")
        return table
    }

    /// A value for each `{parameter}` of an admin pattern, and a body for routes that read one.
    static let sampleParameters = ["{hh_user_id}": "100000001", "{id}": "s_unknownhandle"]
    static let sampleBodies = ["POST /admin/users/allow": #"{"hh_user_id":"200000002"}"#]

    /// Every route of the built binary behind the admin's Basic authentication (so a route added later is covered without an edit
    /// here), with a target that would succeed (or 404) for a signed-in admin, and the user list
    /// once more with its filter.
    static func routes(_ stack: TestStack) throws -> [Route] {
        var routes: [Route] = []
        for route in try routeTable(stack) where route[3] == "basic-admin" {
            let target = try route[1].split(separator: "/", omittingEmptySubsequences: false).map { segment in
                guard segment.hasPrefix("{") else { return String(segment) }
                return try #require(sampleParameters[String(segment)], "no sample value for \(segment): add one")
            }.joined(separator: "/")
            routes.append((route[0], target, sampleBodies[route[0] + " " + route[1]]))
        }
        try #require(routes.count >= 6)
        return routes + [("GET", "/admin/users?active_only=true", nil)]
    }

    private func send(
        _ stack: TestStack, _ route: Route, authorization: String?
    )
        throws -> WireResponse
    {
        var headers: [String: String] = [:]
        if let authorization { headers["Authorization"] = authorization }
        if route.body != nil { headers["Content-Type"] = "application/json" }
        return try stack.http.send(
            method: route.method, target: route.target, headers: headers, body: route.body.map { Array($0.utf8) })
    }

    private func token(_ stack: TestStack, _ session: String) throws -> WireResponse {
        try stack.http.post("/auth/token", json: ["session_id": session])
    }

    private func hhUserIDs(_ response: WireResponse) throws -> [String] {
        try (response.json()["users"] as? [[String: Any]] ?? []).compactMap { $0["hh_user_id"] as? String }
    }

    // MARK: - Authentication

    /// `hh-auth routes` needs no setting and no database, and puts every admin route behind the
    /// admin's HTTP Basic authentication: the group the service registers them in.
    @Test func theBinarysRouteTablePutsEveryAdminRouteBehindBasicAuthentication() throws {
        let stack = try TestStack()
        let table = try Self.routeTable(stack)
        let admin = table.filter { $0[1] == "/admin" || $0[1].hasPrefix("/admin/") }
        #expect(admin.count >= 6)
        #expect(admin.allSatisfy { $0[3] == "basic-admin" }, "\(admin)")
        #expect(table.filter { $0[3] == "basic-admin" }.count == admin.count)
        for route in Self.sampleBodies.keys {
            #expect(admin.contains { $0[0] + " " + $0[1] == route }, "\(route) is not in the table")
        }
        #expect(table.contains(["GET", "/health", "read-only", "public"]))
    }

    @Test func everyRouteWithoutOrWithBrokenCredentialsGets401WithABasicChallenge() throws {
        let stack = try TestStack()
        let broken = [
            nil, "Basic", "Basic !!!not-base64!!!", "Basic " + Data("no-colon".utf8).base64EncodedString(),
            "Bearer admin-password",
        ]
        for route in try Self.routes(stack) {
            for authorization in broken {
                let response = try send(stack, route, authorization: authorization)
                #expect(response.status == 401, "\(route.method) \(route.target) with \(authorization ?? "nothing")")
                #expect(response.headers["www-authenticate"] == Self.challenge)
                #expect(response.detail == "Invalid credentials")
            }
        }
        // Nothing happened: the POST did not allow anyone and the DELETE removed no one.
        let users = try AdminClient(stack: stack).get("/admin/users")
        #expect(try hhUserIDs(users) == [TestStack.defaultUserID])
        #expect(try (users.json()["users"] as? [[String: Any]])?.first?["is_active"] as? Bool == true)
    }

    @Test func wrongPasswordOrUsernameGets401AndAnAdminAuthFailedEvent() throws {
        let stack = try TestStack()
        let admin = AdminClient(stack: stack)
        let routes = try Self.routes(stack)
        for route in routes {
            let response = try send(
                stack, route, authorization: AdminClient.basic("admin", "wrong-password-\(route.method)"))
            #expect(response.status == 401, "\(route.method) \(route.target)")
            #expect(response.headers["www-authenticate"] == Self.challenge)
            #expect(response.detail == "Invalid credentials")
        }
        let wrongUser = try AdminClient(stack: stack, username: "root").get("/admin/users")
        #expect(wrongUser.status == 401)
        #expect(wrongUser.detail == "Invalid credentials")

        let page = try admin.auditLog("event_type=admin_auth_failed")
        #expect(page.total == routes.count + 1)
        let newest = try #require(page.events.first)
        // No user is involved, and the key is still there.
        #expect(newest.keys.contains("user_id") && newest["user_id"] is NSNull)
        let metadata = try #require(newest["event_metadata"] as? [String: Any])
        #expect(metadata["username"] as? String == "root")
        #expect(metadata["ip"] as? String == "127.0.0.1")
        #expect(metadata["user_agent"] as? String == "hh-auth-tests/1.0")
        #expect(
            page.events.dropFirst().allSatisfy {
                ($0["event_metadata"] as? [String: Any])?["username"] as? String == "admin"
            })
        #expect(!page.raw.contains("wrong-password"))
    }

    @Test func theClientAddressInAuditEventsIsNginxsNotXForwardedFor() throws {
        let stack = try TestStack()
        let spoofed = try stack.http.get(
            "/admin/users",
            headers: ["Authorization": AdminClient.basic("admin", "nope"), "X-Forwarded-For": "203.0.113.9"])
        #expect(spoofed.status == 401)
        let event = try #require(try AdminClient(stack: stack).auditLog("event_type=admin_auth_failed").events.first)
        #expect((event["event_metadata"] as? [String: Any])?["ip"] as? String == "127.0.0.1")
    }

    @Test func bruteForceLocksOutEvenTheRightPasswordUntilTheWindowPasses() throws {
        let stack = try TestStack(.init(environment: ["ADMIN_MAX_FAILURES": "3", "ADMIN_FAILURE_WINDOW_SECONDS": "2"]))
        let right = AdminClient(stack: stack)
        let wrong = AdminClient(stack: stack, password: "guess")
        // The lock lifts when the first failure leaves the window; it was recorded before its answer came back.
        var firstFailureAnswered: Date?
        for attempt in 1...3 {
            let response = try wrong.get("/admin/users")
            firstFailureAnswered = firstFailureAnswered ?? Date()
            #expect(response.status == 401, "attempt \(attempt)")
        }
        let lockedAt = Date()
        let locked = try right.get("/admin/users")
        #expect(locked.status == 429)
        #expect(locked.detail == "Too many failed login attempts, try again later")
        let retryAfter = try #require(locked.headers["retry-after"].flatMap(Int.init))
        #expect((1...2).contains(retryAfter))
        // The lock is per address too: another username from the same client is refused as well.
        #expect(try AdminClient(stack: stack, username: "someone-else").get("/admin/sessions").status == 429)
        #expect(try right.allow("200000002").status == 429)

        // Waiting for the window to pass is the behaviour under test.
        waitUntilClockPasses(try #require(firstFailureAnswered).addingTimeInterval(2.01))
        #expect(Date().timeIntervalSince(lockedAt) <= Double(retryAfter) + 1)
        let again = try right.get("/admin/users")
        #expect(again.status == 200)
        #expect(try hhUserIDs(again) == [TestStack.defaultUserID])
        // Only the three wrong passwords were audited (a refused-while-locked request is not a guess).
        #expect(try right.auditLog("event_type=admin_auth_failed").total == 3)
    }

    // MARK: - Request bodies

    @Test func invalidHHUserIDsGet422InTheBodyAndInThePath() throws {
        let stack = try TestStack()
        let admin = AdminClient(stack: stack)
        let invalid = [
            "abc", "12a45", String(repeating: "9", count: 21), "../x", "%2e%2e", "..", "", " 123", "123 ", "-1", "１２３",
            "1e5",
        ]
        for id in invalid {
            let response = try admin.allow(id)
            #expect(response.status == 422, "allow \(id.debugDescription)")
            #expect(response.detail == "hh_user_id must be 1 to 20 digits", "allow \(id.debugDescription)")
        }
        // Percent-encoded so each stays one path segment: the service decodes them to the value.
        for segment in ["abc", String(repeating: "9", count: 21), "%20123", "1%202"] {
            let response = try admin.delete("/admin/users/" + segment)
            #expect(response.status == 422, "delete \(segment)")
            #expect(response.detail == "hh_user_id must be 1 to 20 digits", "delete \(segment)")
        }
        // Paths nginx itself normalises or refuses never reach a user: an error, nothing removed.
        // Dot-segments and encoded slashes are path steps to nginx, so they match no route (404).
        for target in [
            "/admin/users/../x", "/admin/users/%2E%2E%2F%2E%2E", "/admin/users/12%00", "/admin/users/100000001/..",
            "/admin/users/..%2Fx", "/admin/users/%2e%2e", "/admin/users/1%2F2",
        ] {
            let response = try admin.delete(target)
            #expect((400..<500).contains(response.status), "delete \(target): \(response.status)")
        }
        #expect(try admin.get("/admin/users?active_only=true").json()["total"] as? Int == 1)
        // Twenty digits is the longest id, and it is fine.
        let longest = String(repeating: "9", count: 20)
        #expect(try admin.allow(longest).status == 200)
        #expect(try hhUserIDs(admin.get("/admin/users")) == [TestStack.defaultUserID, longest])
        #expect(try admin.get("/admin/users?active_only=maybe").status == 422)
    }

    @Test func commentsAreLimitedTo500CharactersAndComeBackExactly() throws {
        let stack = try TestStack()
        let admin = AdminClient(stack: stack)
        let tooLong = try admin.allow("200000002", comment: String(repeating: "a", count: 501))
        #expect(tooLong.status == 422)
        #expect(tooLong.detail == "comment must be at most 500 characters")
        #expect(try admin.allow("200000002", comment: String(repeating: "я", count: 501)).status == 422)
        #expect(try hhUserIDs(admin.get("/admin/users")) == [TestStack.defaultUserID])

        let exactly500 = String(repeating: "ж", count: 500)
        let fits = try admin.allow("200000003", comment: exactly500)
        #expect(fits.status == 200)
        #expect(try fits.json()["comment"] as? String == exactly500)

        let unicode = "Доступ для Ивана 👩🏽‍💻🇷🇺 — «тест» \"quoted\" \\ / <b>&amp;</b> \u{00E9}\u{0301}"
        let allowed = try admin.allow("200000002", comment: unicode)
        #expect(allowed.status == 200)
        #expect(try allowed.json()["comment"] as? String == unicode)
        let listed = try (admin.get("/admin/users").json()["users"] as? [[String: Any]] ?? [])
        #expect(listed.first { $0["hh_user_id"] as? String == "200000002" }?["comment"] as? String == unicode)
        #expect(listed.first { $0["hh_user_id"] as? String == "200000003" }?["comment"] as? String == exactly500)
    }

    // MARK: - Audit log

    @Test func auditLogPagingHasEdgesAndIsNewestFirst() throws {
        let stack = try TestStack()
        let admin = AdminClient(stack: stack)
        for index in 2...6 { #expect(try admin.allow("20000000\(index)").status == 200) }
        _ = try BrowserLogin(stack: stack).session()
        let all = try admin.auditLog("")
        #expect(all.limit == 100 && all.offset == 0)
        let total = all.total
        #expect(total >= 7)
        #expect(all.events.count == total)
        #expect(all.ids == all.ids.sorted(by: >))
        #expect(Set(all.ids).count == total)
        for event in all.events {
            #expect(Set(event.keys) == ["id", "event_type", "user_id", "event_metadata", "created_at"])
            #expect((event["created_at"] as? String)?.hasSuffix("Z") == true)
        }

        for query in ["limit=0", "limit=1001", "limit=-1", "limit=abc", "offset=-1", "offset=x", "limit=1.5"] {
            let response = try admin.get("/admin/audit-log?" + query)
            #expect(response.status == 422, "\(query)")
            #expect(response.detail?.contains(query.split(separator: "=")[0]) == true, "\(query): \(response.text)")
        }

        let one = try admin.auditLog("limit=1")
        #expect(one.events.count == 1)
        #expect(one.total == total && one.limit == 1 && one.offset == 0)
        #expect(one.ids == [all.ids[0]])
        let second = try admin.auditLog("limit=1&offset=1")
        #expect(second.ids == [all.ids[1]])
        let last = try admin.auditLog("limit=1000&offset=\(total - 1)")
        #expect(last.ids == [try #require(all.ids.last)])
        let beyond = try admin.auditLog("limit=10&offset=\(total + 5)")
        #expect(beyond.events.isEmpty)
        #expect(beyond.total == total && beyond.offset == total + 5 && beyond.limit == 10)
        #expect(try admin.auditLog("limit=1000").events.count == total)
    }

    @Test func auditLogFiltersByTypeUserAndTime() throws {
        let stack = try TestStack()
        let admin = AdminClient(stack: stack)
        #expect(try admin.allow("200000002").status == 200)
        let session = try BrowserLogin(stack: stack).session()
        let userID = try #require(
            try stack.http.get("/users/me", headers: ["Authorization": "Bearer \(session)"]).json()["id"] as? Int)
        let boundary = nextWholeSecond()
        waitUntilClockPasses(boundary.date)
        #expect(try admin.allow("200000003").status == 200)
        #expect(try stack.http.post("/auth/logout", json: ["session_id": session]).status == 200)

        let everything = try admin.auditLog()
        let allowed = try admin.auditLog("event_type=user_allowed")
        #expect(allowed.total == 2)
        #expect(allowed.events.allSatisfy { $0["event_type"] as? String == "user_allowed" })
        #expect(allowed.total == everything.events(ofType: "user_allowed").count)

        let mine = try admin.auditLog("user_id=\(userID)")
        #expect(mine.total > 0)
        #expect(mine.events.allSatisfy { $0["user_id"] as? Int == userID })
        #expect(mine.total == everything.events.filter { $0["user_id"] as? Int == userID }.count)
        #expect(Set(mine.events.compactMap { $0["event_type"] as? String }).isSuperset(of: ["login", "logout"]))
        #expect(try admin.auditLog("user_id=987654").total == 0)

        let before = everything.events.filter {
            (($0["created_at"] as? String).flatMap(ISO8601DateFormatter().date(from:)) ?? .distantFuture)
                < boundary.date
        }
        let since = try admin.auditLog("since=\(boundary.text)")
        #expect(since.total == everything.total - before.count)
        #expect(
            Set(
                since.events(ofType: "user_allowed").compactMap {
                    ($0["event_metadata"] as? [String: Any])?["hh_user_id"] as? String
                }) == [
                    "200000003"
                ])
        #expect(!since.events(ofType: "logout").isEmpty)
        let until = try admin.auditLog("until=\(boundary.text)")
        #expect(until.total == before.count)
        #expect(Set(until.ids).isDisjoint(with: since.ids))
        #expect(until.total + since.total == everything.total)
        let window = try admin.auditLog("event_type=user_allowed&since=\(boundary.text)&until=2999-01-01T00:00:00Z")
        #expect(window.total == 1)
        #expect(try admin.auditLog("since=2999-01-01T00:00:00Z").total == 0)
        #expect(try admin.auditLog("until=2000-01-01T00:00:00Z").total == 0)
        #expect(try admin.auditLog("since=2000-01-01").total == everything.total)

        for query in [
            "since=yesterday", "until=2025-13-45T00:00:00Z", "since=1736503200", "until=", "event_type=Login-Failed",
            "user_id=me",
        ] {
            let response = try admin.get("/admin/audit-log?" + query)
            #expect(response.status == 422, "\(query): \(response.text)")
        }
    }

    @Test func auditMetadataNeverHoldsThePasswordSessionIDsOrTokens() throws {
        let stack = try TestStack()
        let admin = AdminClient(stack: stack)
        let wrongPassword = "Sup3r-Secret-Guess"
        #expect(try AdminClient(stack: stack, password: wrongPassword).get("/admin/users").status == 401)
        #expect(try admin.allow("200000002", comment: "ok").status == 200)

        let login = BrowserLogin(stack: stack)
        let outcome = try login.run()
        let code = try #require(outcome.exchangeCode)
        let session = try #require(
            try stack.http.post("/auth/exchange", json: ["exchange_code": code]).json()["session_id"] as? String)
        let accessToken = try #require(try token(stack, session).json()["access_token"] as? String)
        let other = try login.session()
        let third = try login.session(asUser: "200000002")
        #expect(try stack.http.post("/auth/refresh", json: ["session_id": other]).status == 200)
        #expect(try stack.http.post("/auth/logout", json: ["session_id": other]).status == 200)
        #expect(try admin.delete("/admin/sessions/\(session)").status == 200)
        #expect(try admin.delete("/admin/users/200000002").status == 200)
        #expect(try token(stack, third).status == 401)

        let page = try admin.auditLog()
        #expect(page.total >= 10)
        let secrets = [
            "admin-password", wrongPassword, session, other, third, code, accessToken, TestStack.adminHash,
            TestStack.clientSecret,
        ]
        for secret in secrets { #expect(!page.raw.contains(secret), "audit log holds \(secret.prefix(6))…") }
        // The JSON escaping of `/` or `+` must not hide a match either.
        let unescaped = page.raw.replacingOccurrences(of: "\\/", with: "/")
        for secret in secrets { #expect(!unescaped.contains(secret)) }
        #expect(
            page.events.allSatisfy { ($0["event_metadata"] as? [String: Any])?.keys.contains("session_id") == false })
    }
}
