import FastCGI
import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// A signed-in user's own sessions (`/auth/sessions`, the account page) and `/auth/sign_out`.
@Suite("Account: my sessions and sign-out")
struct AccountTests {
    static func browserSession(_ harness: GatewayHarness, hhID: String = "1001") throws -> NewSession {
        _ = try harness.sessionID(for: hhID)
        let userID = try #require(
            try harness.database.read { db in
                try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE hh_user_id = ?", arguments: [hhID])
            })
        return try harness.database.write { db in
            try harness.gateway.services.sessions.create(userID: userID, kind: .browser, in: db)
        }
    }

    static func send(
        _ harness: GatewayHarness, _ method: String, _ uri: String, cookie: String, origin: String? = nil
    ) -> FastCGIResponse {
        var headers = ["Cookie": "hh_auth_session=" + cookie, "Host": "auth.example.com"]
        if let origin { headers["Origin"] = origin }
        return harness.send(method, uri, headers: headers)
    }

    @Test func listsMySessionsMarkingTheCurrentOne() throws {
        let harness = try GatewayHarness()
        let browser = try Self.browserSession(harness)
        let answer = Self.send(harness, "GET", "/auth/sessions", cookie: browser.sessionID)
        #expect(answer.status == 200)
        #expect(answer.header("Cache-Control") == "no-store")
        let sessions = try #require(answer.json["sessions"] as? [[String: Any]])
        #expect(sessions.count == 2)
        #expect(sessions.first?["id"] as? String == browser.session.handle)
        #expect(sessions.first?["kind"] as? String == "browser" && sessions.first?["current"] as? Bool == true)
        #expect(sessions.last?["kind"] as? String == "program" && sessions.last?["current"] as? Bool == false)
        #expect((answer.json["user"] as? [String: Any])?["hh_user_id"] as? String == "1001")
        // Another user's sessions are not mine.
        let other = try Self.browserSession(harness, hhID: "3003")
        let theirs = Self.send(harness, "GET", "/auth/sessions", cookie: other.sessionID)
        #expect((theirs.json["sessions"] as? [[String: Any]])?.count == 2)
    }

    @Test func endingOneOfMySessionsByHandleNeedsThisSitesOrigin() throws {
        let harness = try GatewayHarness()
        let program = try harness.sessionID(for: "1001")
        let browser = try Self.browserSession(harness)
        let programHandle = try #require(
            try harness.database.read { db in try harness.gateway.services.sessions.find(sessionID: program, in: db) }
        ).handle
        let crossSite = Self.send(
            harness, "DELETE", "/auth/sessions/\(programHandle)", cookie: browser.sessionID,
            origin: "https://evil.example")
        #expect(crossSite.status == 403)
        #expect(
            Self.send(harness, "DELETE", "/auth/sessions/\(programHandle)", cookie: browser.sessionID).status == 403)
        let ended = Self.send(
            harness, "DELETE", "/auth/sessions/\(programHandle)", cookie: browser.sessionID,
            origin: "http://auth.example.com")
        #expect(ended.status == 200)
        #expect(harness.send("GET", "/users/me?session_id=" + program).status == 401)
        // Someone else's handle, or one already ended: not found, and nothing ended.
        let stranger = try Self.browserSession(harness, hhID: "3003")
        let foreign = Self.send(
            harness, "DELETE", "/auth/sessions/\(browser.session.handle)", cookie: stranger.sessionID,
            origin: "http://auth.example.com")
        #expect(foreign.status == 404)
        #expect(Self.send(harness, "GET", "/auth/sessions", cookie: browser.sessionID).status == 200)
        // A program with its Bearer session needs no Origin.
        let bearer = harness.send(
            "DELETE", "/auth/sessions/\(browser.session.handle)",
            headers: ["Authorization": "Bearer " + stranger.sessionID])
        #expect(bearer.status == 404)
    }

    @Test func signingOutEverywhereEndsEverySessionAndTheCookie() throws {
        let harness = try GatewayHarness()
        let program = try harness.sessionID(for: "1001")
        let browser = try Self.browserSession(harness)
        let answer = Self.send(
            harness, "DELETE", "/auth/sessions", cookie: browser.sessionID, origin: "http://auth.example.com")
        #expect(answer.status == 200)
        #expect(answer.header("Set-Cookie")?.hasPrefix("hh_auth_session=; Path=/; Max-Age=0") == true)
        #expect(harness.send("GET", "/users/me?session_id=" + program).status == 401)
        #expect(Self.send(harness, "GET", "/auth/sessions", cookie: browser.sessionID).status == 401)
    }

    @Test func signOutEndsTheSessionOnTheServerAndGoesToACheckedTarget() throws {
        let harness = try GatewayHarness()
        let browser = try Self.browserSession(harness)
        let out = Self.send(harness, "GET", "/auth/sign_out?rd=%2Fdemo%2F", cookie: browser.sessionID)
        #expect(out.status == 302)
        #expect(out.header("Location") == "https://auth.example.com/demo/")
        #expect(out.header("Set-Cookie")?.contains("Max-Age=0") == true)
        // Every copy of the cookie is dead, not just the browser's.
        #expect(Self.send(harness, "GET", "/auth/sessions", cookie: browser.sessionID).status == 401)
        #expect(Self.send(harness, "GET", "/auth/sign_out", cookie: browser.sessionID).header("Location") == "/")
        #expect(Self.send(harness, "GET", "/auth/sign_out?rd=%2F%2Fevil.com", cookie: "x").status == 400)
    }

    /// A refused target still signs out: the user must not stay signed in thinking they are out.
    @Test(arguments: ["%2F%09%2Fevil.com", "%2F%09%5Cevil.com", "https%3A%2F%2Fevil.com", "javascript%3Aalert(1)"])
    func aHostileSignOutTargetIsRefusedAfterTheSessionEnds(_ rd: String) throws {
        let harness = try GatewayHarness()
        let browser = try Self.browserSession(harness)
        let out = Self.send(harness, "GET", "/auth/sign_out?rd=" + rd, cookie: browser.sessionID)
        #expect(out.status == 400 && out.header("Location") == nil)
        #expect(out.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(Self.send(harness, "GET", "/auth/sessions", cookie: browser.sessionID).status == 401)
    }

    @Test func theAccountPageShowsMySessionsOrSendsMeToSignIn() throws {
        let harness = try GatewayHarness()
        let anonymous = harness.send("GET", "/auth/account")
        #expect(anonymous.status == 302)
        #expect(anonymous.header("Location") == "https://auth.example.com/auth/login?rd=%2Fauth%2Faccount")
        let browser = try Self.browserSession(harness)
        let page = Self.send(harness, "GET", "/auth/account", cookie: browser.sessionID)
        #expect(page.status == 200)
        #expect(page.text.contains(browser.session.handle) && page.text.contains("Иван"))
        #expect(page.header("Content-Security-Policy")?.contains("connect-src 'self'") == true)
    }
}

extension AccountTests {
    /// A browser that sends no Origin but says `Sec-Fetch-Site: same-origin` may end a session;
    /// an Origin naming the scheme's default port is this site; any other site's is not.
    @Test func theSameOriginCheckReadsOriginLikeTheSitesOwnAndFallsBackToSecFetchSite() throws {
        let harness = try GatewayHarness()
        let browser = try Self.browserSession(harness)
        func delete(_ headers: [String: String]) throws -> Int {
            let other = try harness.database.write { db in
                try harness.gateway.services.sessions.create(userID: browser.session.userID, in: db)
            }
            var all = ["Cookie": "hh_auth_session=" + browser.sessionID, "Host": "auth.example.com"]
            all.merge(headers) { _, new in new }
            return harness.send("DELETE", "/auth/sessions/\(other.session.handle)", headers: all).status
        }
        #expect(try delete(["Sec-Fetch-Site": "same-origin"]) == 200)
        #expect(try delete(["Sec-Fetch-Site": "cross-site"]) == 403)
        #expect(try delete(["Origin": "http://AUTH.example.com:80"]) == 200)
        #expect(try delete(["Origin": "http://auth.example.com:8080"]) == 403)
        #expect(try delete(["Origin": "null"]) == 403)
    }

    @Test func theAccountPageEscapesWhatHHSaysAboutTheUser() throws {
        let harness = try GatewayHarness()
        let browser = try Self.browserSession(harness)
        try harness.database.write { db in
            try db.execute(
                sql: "UPDATE users SET full_name = '<script>alert(1)</script>\"' WHERE id = ?",
                arguments: [browser.session.userID])
        }
        let page = Self.send(harness, "GET", "/auth/account", cookie: browser.sessionID)
        #expect(page.status == 200)
        #expect(
            !page.text.contains("<script>alert") && page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;"))
    }
}

extension AccountTests {
    /// A sign-out another site starts (a link, a redirect, a form) is asked for, not done; ours is done.
    @Test func aSignOutAnotherSiteStartsIsAskedForNotDone() throws {
        let harness = try GatewayHarness()
        let browser = try Self.browserSession(harness)
        func signOut(_ method: String, _ headers: [String: String]) -> FastCGIResponse {
            var all = ["Cookie": "hh_auth_session=" + browser.sessionID, "Host": "auth.example.com"]
            all.merge(headers) { _, new in new }
            return harness.send(method, "/auth/sign_out?rd=%2Fdemo%2F", headers: all)
        }
        for (method, headers) in [
            ("GET", ["Sec-Fetch-Site": "cross-site"]), ("GET", ["Sec-Fetch-Site": "same-site"]),
            ("POST", ["Origin": "https://evil.example"]), ("POST", ["Sec-Fetch-Site": "cross-site"]),
        ] {
            let asked = signOut(method, headers)
            #expect(asked.status == 200, "\(method) \(headers)")
            #expect(asked.text.contains(#"<form method="post" action="/auth/sign_out?rd=%2Fdemo%2F""#))
            #expect(asked.header("Set-Cookie") == nil)
            #expect(Self.send(harness, "GET", "/auth/sessions", cookie: browser.sessionID).status == 200)
        }
        let confirmed = signOut("POST", ["Origin": "http://auth.example.com"])
        #expect(confirmed.status == 302 && confirmed.header("Location") == "https://auth.example.com/demo/")
        #expect(Self.send(harness, "GET", "/auth/sessions", cookie: browser.sessionID).status == 401)
        // Typed or bookmarked (Sec-Fetch-Site: none) is the user's own doing.
        let again = try Self.browserSession(harness)
        let typed = harness.send(
            "GET", "/auth/sign_out",
            headers: ["Cookie": "hh_auth_session=" + again.sessionID, "Sec-Fetch-Site": "none"])
        #expect(typed.status == 302)
        #expect(Self.send(harness, "GET", "/auth/sessions", cookie: again.sessionID).status == 401)
    }
}
