import FastCGI
import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// `/auth/verify[/{group}]` as nginx's `auth_request` calls it: the verify location's parameters
/// (the original method and URI, `HTTPS`), the browser's cookie or an API client's Bearer session.
@Suite("Verify: nginx's auth_request")
struct VerifyTests {
    static let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    /// What nginx's verify location sends for a request to `originalURI` on `host`.
    static func verify(
        _ harness: GatewayHarness, group: String? = nil, method: String = "GET", originalURI: String = "/demo/",
        host: String = "auth.example.com", https: Bool = true, headers: [String: String] = [:]
    ) -> FastCGIResponse {
        var all = ["Host": host, "User-Agent": "Browser/1.0"]
        all.merge(headers) { _, new in new }
        var extra = ["HH_AUTH_ORIGINAL_METHOD": method, "HH_AUTH_ORIGINAL_URI": originalURI]
        if https { extra["HTTPS"] = "on" }
        return harness.gateway.application.respond(
            to: fastCGIRequest("GET", "/auth/verify" + (group.map { "/" + $0 } ?? ""), headers: all, extra: extra))
    }

    static func cookie(_ sessionID: String, https: Bool = true) -> [String: String] {
        ["Cookie": (https ? "__Host-hh_auth_session=" : "hh_auth_session=") + sessionID]
    }

    @Test func aBrowserWithoutASessionIsSentToSignInAndComesBackToThePage() throws {
        let harness = try GatewayHarness()
        let answer = Self.verify(harness, originalURI: "/demo/?tab=1", headers: ["Accept": Self.browserAccept])
        #expect(answer.status == 401)
        #expect(answer.header("Location") == "https://auth.example.com/auth/login?rd=%2Fdemo%2F%3Ftab%3D1")
        #expect(answer.header("Cache-Control") == "no-store")
        // A page on another host could never receive the host-only cookie: no Location, no loop.
        let other = Self.verify(harness, host: "app.example.com", headers: ["Accept": Self.browserAccept])
        #expect(other.status == 401 && other.header("Location") == nil)
        // Nor one on plain HTTP when the cookie is set over HTTPS.
        #expect(Self.verify(harness, https: false, headers: ["Accept": Self.browserAccept]).header("Location") == nil)
        // A URL past what /auth/login accepts comes back without its query.
        let long = Self.verify(
            harness, originalURI: "/demo/?q=" + String(repeating: "a", count: 3000),
            headers: ["Accept": Self.browserAccept])
        #expect(long.header("Location") == "https://auth.example.com/auth/login?rd=%2Fdemo%2F")
    }

    @Test func withACookieDomainAPageOnASubdomainComesBackByItsAbsoluteURL() throws {
        let harness = try GatewayHarness {
            $0.browserSessions.cookieDomain = ".example.com"
            $0.allowedRedirectHosts = [.subdomains(of: "example.com")]
        }
        let other = Self.verify(harness, host: "app.example.com", headers: ["Accept": Self.browserAccept])
        #expect(
            other.header("Location")
                == "https://auth.example.com/auth/login?rd=" + QueryParameters.encode("https://app.example.com/demo/"))
        #expect(
            Self.verify(harness, host: "app.example.org", headers: ["Accept": Self.browserAccept]).header("Location")
                == nil)
        #expect(
            Self.verify(harness, host: "badexample.com", headers: ["Accept": Self.browserAccept]).header("Location")
                == nil)
        // A target /auth/login would refuse (no ALLOWED_REDIRECT_HOSTS rule covers the host)
        // becomes the site's root rather than a sign-in that ends on a 400.
        let unlisted = try GatewayHarness { $0.browserSessions.cookieDomain = ".example.com" }
        #expect(
            Self.verify(unlisted, host: "app.example.com", headers: ["Accept": Self.browserAccept]).header("Location")
                == "https://auth.example.com/auth/login?rd=%2F")
        // A domain the callback's host is not under would lose every cookie: refused at start.
        #expect(throws: ConfigurationError.self) {
            _ = try GatewayHarness { $0.browserSessions.cookieDomain = ".example.org" }
        }
    }

    @Test func programsAndNonGETRequestsGetAPlain401() throws {
        let harness = try GatewayHarness()
        for (method, accept) in [("GET", "application/json"), ("POST", Self.browserAccept), ("GET", "*/*")] {
            let answer = Self.verify(harness, method: method, headers: ["Accept": accept])
            #expect(answer.status == 401, "\(method) \(accept)")
            #expect(answer.header("Location") == nil, "\(method) \(accept)")
            #expect(answer.json["detail"] as? String == "Not authenticated")
        }
        // Called directly, not by nginx's verify location, the route does not exist, signed in or
        // not (a page's script cannot read identity or token through it), and no session is looked
        // up for it: an idle session's use is not recorded.
        let direct = harness.send("GET", "/auth/verify", headers: ["Accept": Self.browserAccept])
        #expect(direct.status == 404 && direct.header("Location") == nil)
        let sessionID = try harness.sessionID(for: "1001")
        let signedIn = harness.send("GET", "/auth/verify/ops", headers: ["Authorization": "Bearer " + sessionID])
        #expect(signedIn.status == 404 && signedIn.header("X-Auth-Request-User") == nil)
    }

    @Test func aSessionPassesWithTheIdentityHeadersByBearerOrCookie() throws {
        let harness = try GatewayHarness()
        let sessionID = try harness.sessionID(for: "1001")
        for headers in [["Authorization": "Bearer " + sessionID], Self.cookie(sessionID)] {
            let answer = Self.verify(harness, headers: headers)
            #expect(answer.status == 200)
            #expect(answer.header("X-Auth-Request-User") == "1001")
            #expect(answer.header("X-Auth-Request-Email") == "ivan@example.com")
            #expect(answer.header("X-Auth-Request-Name") == "Иван Сергеевич Петров")
            #expect(answer.header("X-Auth-Request-Groups") == "")
            #expect(answer.header("X-Auth-Request-Access-Token") == nil)
            #expect(answer.header("Cache-Control") == "no-store")
            #expect(answer.body.isEmpty)
        }
        // Over HTTPS only the __Host- cookie counts: a plain-named one could have been planted over HTTP.
        #expect(Self.verify(harness, headers: Self.cookie(sessionID, https: false)).status == 401)
        #expect(Self.verify(harness, https: false, headers: Self.cookie(sessionID, https: false)).status == 200)
        // The app's own Bearer credentials do not hide the cookie.
        var both = Self.cookie(sessionID)
        both["Authorization"] = "Bearer the-apps-own-token"
        #expect(Self.verify(harness, headers: both).status == 200)
    }

    @Test func aGroupLocationAdmitsMembersAndRefusesOthersWith403() throws {
        let harness = try GatewayHarness()
        let sessionID = try harness.sessionID(for: "1001")
        let bearer = ["Authorization": "Bearer " + sessionID, "Accept": Self.browserAccept]
        let refused = Self.verify(harness, group: "ops", headers: bearer)
        #expect(refused.status == 403)
        #expect(refused.header("Location") == nil)
        try harness.database.write { db in
            try db.execute(sql: "UPDATE allowed_users SET groups = 'dev,ops' WHERE hh_user_id = '1001'")
        }
        let admitted = Self.verify(harness, group: "ops", headers: bearer)
        #expect(admitted.status == 200)
        #expect(admitted.header("X-Auth-Request-Groups") == "dev,ops")
        #expect(Self.verify(harness, group: "op", headers: bearer).status == 403)
    }

    @Test func removalFromTheWhitelistEndsAccessAtOnce() throws {
        let harness = try GatewayHarness()
        let sessionID = try harness.sessionID(for: "1001")
        #expect(Self.verify(harness, headers: Self.cookie(sessionID)).status == 200)
        try harness.database.write { db in
            try db.execute(sql: "UPDATE allowed_users SET is_active = 0 WHERE hh_user_id = '1001'")
        }
        #expect(Self.verify(harness, headers: Self.cookie(sessionID)).status == 401)
    }

    @Test func theServicesRateLimitNeverAnswersVerify() throws {
        let harness = try GatewayHarness { $0.rateLimitPerHour = 3 }
        let sessionID = try harness.sessionID(for: "1001")
        for _ in 0..<10 { #expect(Self.verify(harness, headers: Self.cookie(sessionID)).status == 200) }
        #expect(Self.verify(harness).status == 401)
    }

    @Test func theAccessTokenPassesOnlyWhenTheDeploymentAsksAndIsRefreshedOnExpiry() throws {
        let harness = try GatewayHarness { $0.browserSessions.passAccessToken = true }
        let sessionID = try harness.sessionID(for: "1001")
        let first = try #require(
            Self.verify(harness, headers: Self.cookie(sessionID)).header("X-Auth-Request-Access-Token"))
        #expect(first.hasPrefix("access-1001-"))
        harness.clock.advance(seconds: 1_209_600 + 1)
        let second = try #require(
            Self.verify(harness, headers: Self.cookie(sessionID)).header("X-Auth-Request-Access-Token"))
        #expect(second != first && second.hasPrefix("access-1001-"))
    }

    @Test func anIdleBrowserSessionEndsAndUseIsRecordedCoarsely() throws {
        let harness = try GatewayHarness { $0.browserSessions.idleTimeoutSeconds = 600 }
        _ = try harness.sessionID(for: "1001")
        let created = try harness.database.write { db in
            try harness.gateway.services.sessions.create(userID: 1, kind: .browser, in: db)
        }
        let cookie = Self.cookie(created.sessionID)
        func lastSeen() throws -> Double? {
            // Written off the request (SessionUseRecorder): what was noted, written now.
            try harness.gateway.services.sessionUses.flush()
            return try harness.database.read { db in
                try Double.fetchOne(
                    db, sql: "SELECT last_seen_at FROM sessions WHERE handle = ?", arguments: [created.session.handle])
            }
        }
        let start = try #require(try lastSeen())
        harness.clock.advance(seconds: 30)
        #expect(Self.verify(harness, headers: cookie).status == 200)
        #expect(try lastSeen() == start, "a use within a tenth of the timeout writes nothing")
        harness.clock.advance(seconds: 40)
        #expect(Self.verify(harness, headers: cookie).status == 200)
        #expect(try lastSeen() == start + 70)
        harness.clock.advance(seconds: 599)
        #expect(Self.verify(harness, headers: cookie).status == 200)
        harness.clock.advance(seconds: 600)
        #expect(Self.verify(harness, headers: cookie).status == 401)
    }

    @Test func aLastUseInTheFutureAfterTheClockSteppedBackIsRewritten() throws {
        let harness = try GatewayHarness { $0.browserSessions.idleTimeoutSeconds = 600 }
        _ = try harness.sessionID(for: "1001")
        let created = try harness.database.write { db in
            try harness.gateway.services.sessions.create(userID: 1, kind: .browser, in: db)
        }
        let now = harness.clock.now().timeIntervalSince1970
        try harness.database.write { db in
            try db.execute(sql: "UPDATE sessions SET last_seen_at = ? WHERE kind = 'browser'", arguments: [now + 3600])
        }
        #expect(Self.verify(harness, headers: Self.cookie(created.sessionID)).status == 200)
        try harness.gateway.services.sessionUses.flush()
        let lastSeen = try harness.database.read { db in
            try Double.fetchOne(db, sql: "SELECT last_seen_at FROM sessions WHERE kind = 'browser'")
        }
        #expect(lastSeen == now)
        harness.clock.advance(seconds: 601)
        #expect(Self.verify(harness, headers: Self.cookie(created.sessionID)).status == 401)
    }

    @Test func headerValuesLoseControlCharacters() {
        #expect(VerifyHandlers.headerSafe("Иван\r\nX-Evil: 1\u{0}\u{7F}\u{85}") == "ИванX-Evil: 1")
        #expect(VerifyHandlers.headerSafe(String(repeating: "я", count: 300)).utf8.count == 256)
        #expect(VerifyHandlers.headerSafe("Ann\u{202E}nimda\u{200B}\u{2028}") == "Annnimda")
        // The byte fast path answers what the scalar walk answers, on generated names mixing
        // ASCII, Cyrillic, controls, format characters and other scripts.
        let alphabet: [Character] = [
            "a", "Z", " ", "-", "Ж", "я", "ё", "\u{0}", "\r", "\u{7F}", "\u{85}", "\u{200B}",
            "\u{202E}", "é", "中", "\u{2028}", "\u{FEFF}", "😀",
        ]
        var state: UInt64 = 0x11
        for _ in 0..<5_000 {
            var name = ""
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            for step in 0..<Int(state >> 59) {
                name.append(alphabet[Int((state >> UInt64(step * 3 % 56)) & 0xFF) % alphabet.count])
            }
            var walked = String.UnicodeScalarView()
            var bytes = 0
            for scalar in name.unicodeScalars {
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
                    continue
                default:
                    bytes += scalar.utf8.count
                    if bytes <= 256 { walked.append(scalar) }
                }
            }
            #expect(VerifyHandlers.headerSafe(name) == String(walked), "\(name.debugDescription)")
        }
    }
}

extension VerifyTests {
    @Test func theJanitorEndsIdleBrowserSessionsAndLetsTheirPairGo() throws {
        let harness = try GatewayHarness { $0.browserSessions.idleTimeoutSeconds = 600 }
        let program = try harness.sessionID(for: "1001")
        let browser = try harness.database.write { db in
            try harness.gateway.services.sessions.create(userID: 1, kind: .browser, in: db)
        }
        harness.clock.advance(seconds: 601)
        let swept = try harness.gateway.janitor.sweep()
        #expect(swept.sessions == 1)
        #expect(Self.verify(harness, headers: Self.cookie(browser.sessionID)).status == 401)
        // A program session has no idle timeout.
        #expect(Self.verify(harness, headers: ["Authorization": "Bearer " + program]).status == 200)
    }
}

extension VerifyTests {
    /// A page whose URL /auth/login would refuse as rd (a backslash in the query) still gets a
    /// sign-in that works: without the query.
    @Test func aTargetTheLoginWouldRefuseLosesItsQueryInsteadOfStrandingTheUser() throws {
        let harness = try GatewayHarness()
        let answer = Self.verify(
            harness, originalURI: "/explore?q=%7Bjob%3D%5C%22x%5C%22%7D", headers: ["Accept": Self.browserAccept])
        #expect(answer.header("Location") == "https://auth.example.com/auth/login?rd=%2Fexplore")
        let ampersands = "/d/?" + String(repeating: "a=&", count: 1000)
        let long = Self.verify(harness, originalURI: ampersands, headers: ["Accept": Self.browserAccept])
        #expect(long.header("Location") == "https://auth.example.com/auth/login?rd=%2Fd%2F")
    }
}

extension VerifyTests {
    /// The page's origin is read with the same parse as HH_REDIRECT_URI's: the scheme's default
    /// port is the same origin, and a Host header that is no authority gets no sign-in Location.
    @Test func thePagesOriginIsParsedLikeTheSitesOwn() throws {
        let harness = try GatewayHarness()
        let accept = ["Accept": Self.browserAccept]
        #expect(
            Self.verify(harness, host: "AUTH.example.com:443", headers: accept).header("Location")
                == "https://auth.example.com/auth/login?rd=%2Fdemo%2F")
        for junk in ["auth.example.com@evil.com", "evil.com/x", "auth example.com", ""] {
            #expect(Self.verify(harness, host: junk, headers: accept).header("Location") == nil, "\(junk)")
        }
    }
}
