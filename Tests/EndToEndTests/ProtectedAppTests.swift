import Foundation
import Testing

/// Issue 11: apps behind nginx's auth_request (nginx/hh-auth-verify.conf, hh-auth-identity.conf)
/// through the development stack's demo pages `/demo/` and `/demo/ops/` (group ops), the real
/// nginx, hh-auth and the HH stand-in; the browser is curl with a cookie file.
@Suite("Protecting an app through nginx (auth_request)")
struct ProtectedAppTests {
    static let userID = "777"
    /// The name HH gives user 777: markup in it must reach the page as text, never as markup.
    static let escapedLastName = "Щукина &lt;i&gt;&amp;&lt;/i&gt;"

    /// A stack whose stand-in signs in as user 777 ("Алёна Щукина <i>&</i>"), whitelisted with
    /// `groups` (none: no groups).
    static func demoStack(groups: [String] = [], _ options: TestStack.Options = .init()) throws -> TestStack {
        let stack = try TestStack(options)
        try stack.hh.addUser(id: userID, firstName: "Алёна", lastName: "Щукина <i>&</i>", email: "alena@example.com")
        try stack.hh.configure(["default_user_id": userID])
        try allow(stack, groups: groups)
        return stack
    }

    static func allow(_ stack: TestStack, groups: [String]) throws {
        var body: [String: Any] = ["hh_user_id": userID]
        if !groups.isEmpty { body["groups"] = groups }
        let answer = try AdminClient(stack: stack).post("/admin/users/allow", json: body)
        guard (200..<300).contains(answer.status) else {
            throw HarnessError("allow answered \(answer.status) \(answer.text)")
        }
    }

    private func base(_ stack: TestStack) -> String { "http://127.0.0.1:\(stack.httpPort)" }

    @Test func anAnonymousBrowserIsSentToSignInAndComesBackToTheDemoWithItsName() throws {
        let stack = try Self.demoStack()
        let browser = try CurlBrowser(directory: stack.directory)

        let first = try browser.open(base(stack) + "/demo/?from=test", followRedirects: false)
        #expect(first.status == 302)
        let location = try #require(first.header("location").first)
        let signIn = try #require(URLComponents(string: location))
        #expect(location.hasPrefix(base(stack) + "/auth/login?"), "\(location)")
        let rd = try #require(signIn.queryItems?.first { $0.name == "rd" }?.value, "\(location)")
        #expect(rd == "/demo/?from=test" || rd == base(stack) + "/demo/?from=test", "rd: \(rd)")

        // The whole way: sign-in, the stand-in approves, the callback sets the cookie, back here.
        let visit = try browser.open(base(stack) + "/demo/?from=test")
        #expect(visit.status == 200)
        #expect(visit.url == base(stack) + "/demo/?from=test")
        #expect(visit.body.contains("Алёна"), "\(visit.body)")
        #expect(visit.body.contains(Self.escapedLastName), "\(visit.body)")
        #expect(!visit.body.contains("<i>&</i>"))
        #expect(visit.body.contains("id=\"demo-user\">HH id \(Self.userID)<"))
        #expect(visit.header("cache-control") == ["no-store"])
        #expect(visit.body.contains("id=\"demo-groups\">—<"))
        #expect(browser.cookies()["hh_auth_session"] != nil)

        // Signed in now: the page at once, no redirect, and the same name from the cookie alone.
        let again = try browser.open(base(stack) + "/demo/")
        #expect(again.status == 200 && again.answers.count == 1)
        #expect(again.body.contains("id=\"demo-user\">HH id \(Self.userID)<"))
    }

    @Test func apiRequestsGet401JSONAndNoRedirectAndABearerSessionIsLetIn() throws {
        let stack = try Self.demoStack()
        for (method, accept) in [("GET", "application/json"), ("GET", "*/*"), ("POST", "text/html")] {
            let answer = try stack.http.send(method: method, target: "/demo/", headers: ["Accept": accept], body: [])
            #expect(answer.status == 401, "\(method) \(accept)")
            #expect(answer.headers["location"] == nil, "\(method) \(accept): \(answer.headers)")
            #expect(answer.detail == "Not authenticated")
            #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true)
        }
        // A browser's form POST after expiry is not turned into a GET of the sign-in page.
        let post = try CurlBrowser(directory: stack.directory).open(
            base(stack) + "/demo/", method: "POST", headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(post.status == 401 && post.header("location").isEmpty)

        let session = try BrowserLogin(stack: stack).session()
        let bearer = try stack.http.get(
            "/demo/", headers: ["Authorization": "Bearer \(session)", "Accept": "application/json"])
        #expect(bearer.status == 200)
        #expect(bearer.text.contains("id=\"demo-user\">HH id \(Self.userID)<"))
        let wrong = try stack.http.get("/demo/", headers: ["Authorization": "Bearer \(session)x"])
        #expect(wrong.status == 401)
    }

    @Test func aGroupLocationIsForbiddenWithoutTheGroupAndOpenWithIt() throws {
        let stack = try Self.demoStack()
        let session = try BrowserLogin(stack: stack).session()
        let browser = try CurlBrowser(directory: stack.directory)
        let bearer = ["Authorization": "Bearer \(session)"]
        #expect(try browser.open(base(stack) + "/demo/", headers: bearer).status == 200)

        // Signed in, not in ops: nginx's 403 page (JSON for an API client), never a sign-in loop.
        let page = try browser.open(base(stack) + "/demo/ops/", headers: bearer)
        #expect(page.status == 403 && page.answers.count == 1)
        #expect(page.body.contains("<h1>Доступ запрещён</h1>"))
        #expect(page.header("content-type").first?.hasPrefix("text/html") == true)
        let api = try browser.open(base(stack) + "/demo/ops/", accept: "application/json", headers: bearer)
        #expect(api.status == 403)
        #expect(api.body == "{\"detail\":\"Forbidden\"}\n")

        // In the group: the same session opens it at once; out of it again, closed at once.
        try Self.allow(stack, groups: ["ops"])
        let open = try browser.open(base(stack) + "/demo/ops/", headers: bearer)
        #expect(open.status == 200 && open.answers.count == 1)
        #expect(open.body.contains("id=\"demo-area\">/demo/ops/"))
        #expect(open.body.contains("id=\"demo-groups\">ops<"))
        let others = try AdminClient(stack: stack).post(
            "/admin/users/allow", json: ["hh_user_id": Self.userID, "groups": ["dev"]])
        #expect(others.status == 200 || others.status == 201)
        #expect(try browser.open(base(stack) + "/demo/ops/", headers: bearer).status == 403)
    }

    @Test func aUserOffTheWhitelistIsRefusedAtSignInAndGetsNoCookie() throws {
        let stack = try Self.demoStack()
        try stack.hh.configure(["default_user_id": "100000002"])
        let browser = try CurlBrowser(directory: stack.directory)
        let visit = try browser.open(base(stack) + "/demo/")
        #expect(visit.status == 403)
        #expect(visit.url.contains("/auth/callback"), "\(visit.url)")
        #expect(visit.header("content-type").first?.hasPrefix("text/html") == true)
        #expect(browser.cookies().keys.filter { $0.hasSuffix("hh_auth_session") }.isEmpty)
    }

    @Test func removalFromTheWhitelistAndSignOutEndAccessAtOnce() throws {
        let stack = try Self.demoStack()
        let admin = AdminClient(stack: stack)

        let removed = try CurlBrowser(directory: stack.directory)
        #expect(try removed.open(base(stack) + "/demo/").status == 200)
        #expect(try admin.delete("/admin/users/\(Self.userID)").status == 200)
        let after = try removed.open(base(stack) + "/demo/", accept: "application/json")
        #expect(after.status == 401)
        let navigation = try removed.open(base(stack) + "/demo/", followRedirects: false)
        #expect(navigation.status == 302)

        try Self.allow(stack, groups: [])
        let browser = try CurlBrowser(directory: stack.directory)
        #expect(try browser.open(base(stack) + "/demo/").status == 200)
        let copied = try #require(browser.cookies()["hh_auth_session"])
        // As the demo page's button posts it.
        let signOut = try browser.open(
            base(stack) + "/auth/sign_out?rd=/", method: "POST", headers: ["Origin": base(stack)])
        #expect(signOut.status == 302, "\(signOut.status) \(signOut.body)")
        #expect(signOut.header("location") == [base(stack) + "/"])
        #expect(browser.cookies()["hh_auth_session"] == nil)
        // Ended on the server: a copy of the cookie kept elsewhere opens nothing either.
        let replay = try stack.http.get(
            "/demo/", headers: ["Cookie": "hh_auth_session=\(copied)", "Accept": "application/json"])
        #expect(replay.status == 401)
    }

    @Test func identityHeadersAComeFromHHAuthOnlyNeverFromTheClient() throws {
        // An app behind the README's snippet that echoes the identity headers it receives.
        let stack = try AppCookieTests.echoAppStack()
        let forged = [
            "X-Auth-Request-User": "1", "x-auth-request-email": "evil@example.com", "X-Auth-Request-Groups": "ops",
            "X-Auth-Request-Access-Token": "forged", "Accept": "application/json",
        ]
        #expect(try stack.http.get("/app/", headers: forged).status == 401)

        let session = try BrowserLogin(stack: stack).session()
        let echoed = try stack.http.get("/app/", headers: forged.merging(["Authorization": "Bearer \(session)"]) { $1 })
        #expect(echoed.status == 200)
        #expect(
            echoed.text
                == "user=[\(Self.userID)] email=[alena@example.com] groups=[] token=[] cookie=[] authorization=[] via=[]",
            "\(echoed.text)")
        // hh-auth's session cookie is cut out of what the app gets; the app's own cookies and
        // Authorization pass.
        let withCookie = try stack.http.get(
            "/app/",
            headers: [
                "Cookie": "a=1; hh_auth_session=\(session); b=2", "Authorization": "Basic YXBwOmFwcA==",
                "Accept": "application/json",
            ])
        #expect(withCookie.status == 200)
        #expect(withCookie.text.contains("cookie=[a=1; b=2] authorization=[Basic YXBwOmFwcA==]"), "\(withCookie.text)")
        let onlyCookie = try stack.http.get(
            "/app/", headers: ["Cookie": "hh_auth_session=\(session)", "Accept": "application/json"])
        #expect(onlyCookie.text.contains("cookie=[] authorization=[]"), "\(onlyCookie.text)")
        // A second copy planted beside the real one (sent after it: the service reads the first) is cut too.
        for planted in [
            "hh_auth_session=\(session); hh_auth_session=planted; a=1",
            "hh_auth_session=\(session); x=2; __Secure-hh_auth_session=planted",
        ] {
            let twice = try stack.http.get("/app/", headers: ["Cookie": planted, "Accept": "application/json"])
            #expect(twice.status == 200)
            #expect(!twice.text.contains("hh_auth_session"), "\(twice.text)")
        }
    }

    @Test func aProtectedPageFailsClosedWhileHHAuthIsDown() throws {
        let stack = try Self.demoStack()
        let session = try BrowserLogin(stack: stack).session()
        let headers = ["Authorization": "Bearer \(session)", "Accept": "application/json"]
        #expect(try stack.http.get("/demo/", headers: headers).status == 200)
        stack.service?.stop()
        let down = try stack.http.get("/demo/", headers: headers)
        #expect(down.status == 500)
        #expect(down.detail == "An internal error occurred. Please try again later.")
        #expect(!down.text.contains("demo-user"))
    }

    @Test func verifyAnswersAreNeverStored() throws {
        let stack = try Self.demoStack()
        let session = try BrowserLogin(stack: stack).session()
        let client = try FastCGIWireClient(unixPath: stack.serviceSocket)
        let original = [("HH_AUTH_ORIGINAL_METHOD", "GET"), ("HH_AUTH_ORIGINAL_URI", "/demo/")]
        let bearer = original + [("HTTP_AUTHORIZATION", "Bearer \(session)")]
        let answers = [
            (try client.get("/auth/verify", parameters: bearer), 200),
            (try client.get("/auth/verify/ops", parameters: bearer), 403),
            (try client.get("/auth/verify", parameters: original + [("HTTP_ACCEPT", "text/html")]), 401),
            (try client.get("/auth/verify", parameters: original), 401),
        ]
        for (answer, status) in answers {
            #expect(answer.status == status, "\(answer.output)")
            #expect(answer.output.lowercased().contains("cache-control: no-store\r\n"), "\(answer.output)")
        }
        #expect(answers[0].0.output.lowercased().contains("x-auth-request-user: \(Self.userID)\r\n"))
    }

    /// `name=value; Path=/; …` → the lowercased attributes after the value.
    private func attributes(of setCookie: String) -> Set<String> {
        Set(setCookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }

    @Test func theSessionCookieIsHostOnlyHttpOnlyLaxAndSecureWithThePrefixOverHTTPS() throws {
        // Plain HTTP (the development stack's port): no Secure, no prefix, so it works there.
        let plain = try Self.demoStack()
        let overHTTP = try CurlBrowser(directory: plain.directory).open(base(plain) + "/demo/")
        #expect(overHTTP.status == 200)
        let plainCookies = overHTTP.setCookies.filter { $0.hasPrefix("hh_auth_session=") }
        #expect(plainCookies.count == 1, "\(overHTTP.setCookies)")
        let plainAttributes = attributes(of: plainCookies.first ?? "")
        #expect(plainAttributes.isSuperset(of: ["path=/", "httponly", "samesite=lax"]), "\(plainAttributes)")
        #expect(!plainAttributes.contains("secure"))
        #expect(!plainAttributes.contains { $0.hasPrefix("domain=") })
        #expect(!overHTTP.setCookies.contains { $0.hasPrefix("__Host-") || $0.hasPrefix("__Secure-") })

        // HTTPS: Secure and __Host- (host-only, Path=/), and only the prefixed name is read there.
        let tls = try Self.demoStack(.init(callbackOverHTTPS: true))
        let tlsBase = "https://127.0.0.1:\(tls.httpsPort)"
        let browser = try CurlBrowser(directory: tls.directory)
        let overHTTPS = try browser.open(tlsBase + "/demo/")
        #expect(overHTTPS.status == 200 && overHTTPS.url == tlsBase + "/demo/", "\(overHTTPS.url)")
        let hostCookies = overHTTPS.setCookies.filter { $0.hasPrefix("__Host-hh_auth_session=") }
        #expect(hostCookies.count == 1, "\(overHTTPS.setCookies)")
        let hostAttributes = attributes(of: hostCookies.first ?? "")
        #expect(hostAttributes.isSuperset(of: ["path=/", "httponly", "samesite=lax", "secure"]), "\(hostAttributes)")
        #expect(!hostAttributes.contains { $0.hasPrefix("domain=") })
        #expect(!overHTTPS.setCookies.contains { $0.hasPrefix("hh_auth_session=") })

        let value = try #require(browser.cookies()["__Host-hh_auth_session"])
        let planted = try CurlBrowser(directory: tls.directory).open(
            tlsBase + "/demo/", accept: "application/json", headers: ["Cookie": "hh_auth_session=\(value)"])
        #expect(planted.status == 401)
        let prefixed = try CurlBrowser(directory: tls.directory).open(
            tlsBase + "/demo/", accept: "application/json", headers: ["Cookie": "__Host-hh_auth_session=\(value)"])
        #expect(prefixed.status == 200)
    }

    /// The hostile `rd` table through nginx: each class of the public open-redirect advisories
    /// (oauth2-proxy, Vouch, Authelia) is refused with 400 at `/auth/login` and at `/auth/sign_out`,
    /// with no `Location` anywhere; the allowed forms go on to HH.
    @Test func hostileReturnTargetsAreRefusedThroughNginx() throws {
        let stack = try Self.demoStack()
        let hostile = [
            "//evil.com", "/\\evil.com", "\\/evil.com", "/%09/evil.com", "/%2F/evil.com", "/%5Cevil.com",
            "%2F%2Fevil.com", "https:evil.com", "https:/evil.com", "http://evil.com/", "javascript:alert(1)",
            "JaVaScRiPt:alert(1)", "data:text/html,x", "https://127.0.0.1@evil.com/", "https://evil.com\\@127.0.0.1/",
            "https://evil.com#@127.0.0.1/", "/\tevil", "/demo/\r\nX: y", "https://127.0.0.1.evil.com/", "",
        ]
        for rd in hostile {
            let encoded = QueryText.encode(rd)
            for path in ["/auth/login?rd=", "/auth/sign_out?rd="] {
                let answer = try stack.http.get(path + encoded, headers: ["Accept": "application/json"])
                #expect(answer.status == 400, "\(path)\(rd.debugDescription): \(answer.status)")
                #expect(answer.headers["location"] == nil, "\(path)\(rd.debugDescription)")
            }
        }
        for rd in ["/demo/", "/demo/?a=1#x", "http://127.0.0.1:\(stack.httpPort)/demo/"] {
            let answer = try stack.http.get("/auth/login?rd=" + QueryText.encode(rd))
            #expect(answer.status == 302, "\(rd): \(answer.status) \(answer.text)")
        }
    }

    /// The account page through nginx: an anonymous browser signs in and lands on it; it lists the
    /// sessions, loads its script under its own CSP (nginx adds none over it), and the session API
    /// behind its buttons ends sessions only for a request from this site.
    @Test func theAccountPageListsMySessionsAndEndsThemOnlyFromThisSite() throws {
        let stack = try Self.demoStack()
        let program = try BrowserLogin(stack: stack).session()
        let browser = try CurlBrowser(directory: stack.directory)
        let page = try browser.open(base(stack) + "/auth/account")
        #expect(page.status == 200 && page.url == base(stack) + "/auth/account", "\(page.status) \(page.url)")
        #expect(page.body.contains("Алёна") && page.body.contains("/static/account.js"))
        let policy = page.header("content-security-policy")
        #expect(policy.count == 1 && policy.first?.contains("connect-src 'self'") == true, "\(policy)")
        #expect(try stack.http.get("/static/account.js").status == 200)

        let listed = try browser.open(base(stack) + "/auth/sessions", accept: "application/json")
        #expect(listed.status == 200)
        #expect(listed.body.contains("\"kind\":\"browser\"") && listed.body.contains("\"kind\":\"program\""))
        let crossSite = try browser.open(
            base(stack) + "/auth/sessions", method: "DELETE", accept: "application/json",
            headers: ["Origin": "https://evil.example"])
        #expect(crossSite.status == 403)
        #expect(try stack.http.get("/users/me", headers: ["Authorization": "Bearer \(program)"]).status == 200)
        let everywhere = try browser.open(
            base(stack) + "/auth/sessions", method: "DELETE", accept: "application/json",
            headers: ["Origin": base(stack)])
        #expect(everywhere.status == 200, "\(everywhere.body)")
        #expect(try stack.http.get("/users/me", headers: ["Authorization": "Bearer \(program)"]).status == 401)
        #expect(try browser.open(base(stack) + "/demo/", accept: "application/json").status == 401)
    }
}
