import Testing

@testable import HHAuth

/// One refused `rd`: the class of bypass it stands for (from the public advisories of
/// oauth2-proxy, Vouch Proxy and Authelia, and the usual parser confusions), and the reason the
/// policy must give.
struct RefusedTarget: Sendable, CustomTestStringConvertible {
    let bypassClass: String
    let target: String
    let reason: ReturnTargetPolicy.Refusal

    init(_ bypassClass: String, _ target: String, _ reason: ReturnTargetPolicy.Refusal) {
        self.bypassClass = bypassClass
        self.target = target
        self.reason = reason
    }

    var testDescription: String { "\(bypassClass): \(target.debugDescription)" }
}

@Suite("ReturnTargetPolicy")
struct ReturnTargetPolicyTests {
    static let policy = ReturnTargetPolicy(
        site: SiteOrigin(url: "https://auth.corp.test/auth/callback")!,
        allowedHosts: [.exact("app.example.com"), .subdomains(of: "example.com"), .exact("grafana.internal.test")])

    static let allowed: [(String, String)] = [
        ("/demo/", "https://auth.corp.test/demo/"),
        ("/demo/?a=1#x", "https://auth.corp.test/demo/?a=1#x"),
        ("/", "https://auth.corp.test/"),
        ("/demo/ops/?q=a%20b&x=%2F", "https://auth.corp.test/demo/ops/?q=a%20b&x=%2F"),
        ("/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82/", "https://auth.corp.test/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82/"),
        ("/a//b", "https://auth.corp.test/a//b"),
        ("https://app.example.com/x", "https://app.example.com/x"),
        ("https://a.b.example.com:8443/", "https://a.b.example.com:8443/"),
        ("http://grafana.internal.test", "http://grafana.internal.test"),
        ("https://auth.corp.test/account", "https://auth.corp.test/account"),
        ("https://AUTH.corp.test:443/account", "https://auth.corp.test/account"),
        ("HTTPS://APP.Example.com/Path?Q#F", "https://app.example.com/Path?Q#F"),
        ("https://app.example.com?x=1", "https://app.example.com?x=1"),
        ("https://app.example.com#frag", "https://app.example.com#frag"),
    ]

    @Test(arguments: allowed)
    func allowedTargetGetsItsLocation(target: String, location: String) throws {
        #expect(try Self.policy.location(for: target) == location)
    }

    static let refused: [RefusedTarget] = [
        RefusedTarget("empty value", "", .empty),
        RefusedTarget("too long", "/" + String(repeating: "a", count: ReturnTargetPolicy.maxLength), .tooLong),
        RefusedTarget("network path", "//evil.com", .networkPath),
        RefusedTarget("network path, more slashes", "///evil.com", .networkPath),
        RefusedTarget("backslash after slash", "/\\evil.com", .backslash),
        RefusedTarget("backslash before slash", "\\/evil.com", .backslash),
        RefusedTarget("double backslash", "\\\\evil.com", .backslash),
        RefusedTarget("backslash in an absolute URL", "https:\\\\evil.com", .backslash),
        RefusedTarget("backslash later in a path", "/demo\\x", .backslash),
        RefusedTarget("encoded backslash at path start", "/%5Cevil.com", .backslash),
        RefusedTarget("encoded backslash, lowercase hex", "/%5cevil.com", .backslash),
        RefusedTarget("encoded tab at path start", "/%09/evil.com", .badEncoding),
        RefusedTarget("encoded CR", "/demo/%0D%0ASet-Cookie:x=1", .badEncoding),
        RefusedTarget("encoded LF", "/%0a/evil.com", .badEncoding),
        RefusedTarget("encoded NUL", "/demo%00", .badEncoding),
        RefusedTarget("encoded DEL", "/%7F/evil.com", .badEncoding),
        RefusedTarget("malformed escape", "/demo/%zz", .badEncoding),
        RefusedTarget("truncated escape", "/demo/%2", .badEncoding),
        RefusedTarget("encoded slash at path start", "/%2F/evil.com", .encodedPathStart),
        RefusedTarget("encoded slash, lowercase hex", "/%2fevil.com", .encodedPathStart),
        RefusedTarget("double-encoded slash", "/%252F/evil.com", .encodedPathStart),
        RefusedTarget("encoded space at path start", "/%20/evil.com", .encodedPathStart),
        RefusedTarget("encoded no-break space", "/%C2%A0/evil.com", .encodedPathStart),
        RefusedTarget("encoded ideographic space", "/%E3%80%80/evil.com", .encodedPathStart),
        RefusedTarget("encoded zero-width space", "/%E2%80%8B/evil.com", .encodedPathStart),
        RefusedTarget("encoded line separator", "/%E2%80%A8/evil.com", .encodedPathStart),
        RefusedTarget("overlong UTF-8 slash", "/%C0%AF/evil.com", .encodedPathStart),
        RefusedTarget("raw tab", "/\t/evil.com", .unprintable),
        RefusedTarget("raw tab in a scheme", "ht\ttps://evil.com", .unprintable),
        RefusedTarget("raw CR LF", "/demo\r\nSet-Cookie: x=1", .unprintable),
        RefusedTarget("raw LF", "/\n/evil.com", .unprintable),
        RefusedTarget("raw space", "/ /evil.com", .unprintable),
        RefusedTarget("leading space", " /demo/", .unprintable),
        RefusedTarget("raw NUL", "/demo\u{0}", .unprintable),
        RefusedTarget("raw DEL", "/demo\u{7F}", .unprintable),
        RefusedTarget("raw no-break space", "/\u{A0}/evil.com", .unprintable),
        RefusedTarget("non-ASCII path", "/привет", .unprintable),
        RefusedTarget("IDN homograph host", "https://аpp.example.com/", .unprintable),
        RefusedTarget("full-width dot", "https://app\u{FF0E}example.com/", .unprintable),
        RefusedTarget("scheme without slashes", "https:evil.com", .scheme),
        RefusedTarget("scheme with one slash", "https:/evil.com", .scheme),
        RefusedTarget("http with one slash", "http:/evil.com", .scheme),
        RefusedTarget("javascript", "javascript:alert(1)", .scheme),
        RefusedTarget("javascript, mixed case", "JaVaScRiPt:alert(1)", .scheme),
        RefusedTarget("javascript after a comment", "javascript://%0Aalert(1)", .badEncoding),
        RefusedTarget("data", "data:text/html,<script>alert(1)</script>", .scheme),
        RefusedTarget("vbscript", "vbscript:msgbox(1)", .scheme),
        RefusedTarget("other scheme", "ftp://app.example.com/", .scheme),
        RefusedTarget("file scheme", "file:///etc/passwd", .scheme),
        RefusedTarget("relative host-like", "evil.com", .scheme),
        RefusedTarget("relative path", "demo/", .scheme),
        RefusedTarget("dot path", "./demo", .scheme),
        RefusedTarget("query only", "?a=1", .scheme),
        RefusedTarget("userinfo naming an allowed host", "https://app.example.com@evil.com/", .userinfo),
        RefusedTarget("userinfo with a password", "https://app.example.com:443@evil.com/", .userinfo),
        RefusedTarget("userinfo and backslash", "https://evil.com\\@app.example.com/", .backslash),
        RefusedTarget("fragment before @", "https://evil.com#@app.example.com", .hostNotAllowed),
        RefusedTarget("query before @", "https://evil.com?@app.example.com", .hostNotAllowed),
        RefusedTarget("encoded @", "https://evil.com%40app.example.com/", .badHost),
        RefusedTarget("suffix without a dot boundary", "https://badexample.com/", .hostNotAllowed),
        RefusedTarget("allowed name as a subdomain of evil", "https://example.com.evil.com/", .hostNotAllowed),
        RefusedTarget("exact host as a prefix", "https://app.example.com.evil.com/", .hostNotAllowed),
        RefusedTarget("bare domain of a subdomain rule", "https://example.com/", .hostNotAllowed),
        RefusedTarget("trailing-dot host", "https://app.example.com./", .badHost),
        RefusedTarget("trailing-dot own host", "https://auth.corp.test./", .badHost),
        RefusedTarget("doubled dot", "https://app..example.com/", .badHost),
        RefusedTarget("leading dot", "https://.example.com/", .badHost),
        RefusedTarget("empty host", "https:///evil.com", .badHost),
        RefusedTarget("empty host with port", "https://:443/", .badHost),
        RefusedTarget("underscore host", "https://a_b.example.com/", .badHost),
        RefusedTarget("encoded dot in host", "https://app%2Eexample.com/", .badHost),
        RefusedTarget("IPv6 literal, not this site's", "https://[::1]/", .hostNotAllowed),
        RefusedTarget("IPv4 literal", "https://127.0.0.1/", .hostNotAllowed),
        RefusedTarget("IPv4 as a number", "https://2130706433/", .hostNotAllowed),
        RefusedTarget("IPv4 in hex", "https://0x7f.0.0.1/", .hostNotAllowed),
        RefusedTarget("other host", "https://evil.com/", .hostNotAllowed),
        RefusedTarget("own host, other port", "https://auth.corp.test:8443/", .hostNotAllowed),
        RefusedTarget("own host, other scheme", "http://auth.corp.test/", .hostNotAllowed),
        RefusedTarget("empty port", "https://app.example.com:/", .badPort),
        RefusedTarget("port zero", "https://app.example.com:0/", .badPort),
        RefusedTarget("port too large", "https://app.example.com:65536/", .badPort),
        RefusedTarget("port with letters", "https://app.example.com:80x/", .badPort),
        RefusedTarget("two ports", "https://app.example.com:80:80/", .badPort),
        RefusedTarget("signed port", "https://app.example.com:+80/", .badPort),
    ]

    @Test(arguments: refused)
    func hostileTargetIsRefusedForItsReason(row: RefusedTarget) {
        #expect(Self.policy.judge(row.target) == .failure(row.reason))
        #expect(throws: LoginError.returnTargetNotAllowed) { try Self.policy.location(for: row.target) }
    }

    @Test func longestAllowedValueStillPasses() throws {
        let path = "/" + String(repeating: "a", count: ReturnTargetPolicy.maxLength - 1)
        #expect(try Self.policy.location(for: path) == "https://auth.corp.test" + path)
    }

    @Test func everyLocationIsPrintableASCII() throws {
        for (target, _) in Self.allowed {
            let location = try Self.policy.location(for: target)
            #expect(location.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "\(location)")
        }
    }

    @Test func withoutRulesOnlyThisSiteIsAllowed() throws {
        let policy = ReturnTargetPolicy(site: SiteOrigin(url: "http://127.0.0.1:8080/auth/callback")!, allowedHosts: [])
        #expect(try policy.location(for: "/demo/") == "http://127.0.0.1:8080/demo/")
        #expect(try policy.location(for: "http://127.0.0.1:8080/x") == "http://127.0.0.1:8080/x")
        #expect(policy.judge("https://app.example.com/") == .failure(.hostNotAllowed))
        #expect(policy.judge("http://127.0.0.1:8443/") == .failure(.hostNotAllowed))
    }

    // MARK: - the site's origin

    @Test(arguments: [
        ("https://auth.example.com/auth/callback", "https://auth.example.com"),
        ("https://Auth.Example.com:443/auth/callback", "https://auth.example.com"),
        ("http://127.0.0.1:8080/auth/callback", "http://127.0.0.1:8080"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ("http://[::1]:8080/cb", "http://[::1]:8080"),
        ("https://auth.example.com?x", "https://auth.example.com"),
    ])
    func siteOriginIsSchemeHostAndPort(url: String, origin: String) throws {
        #expect(try #require(SiteOrigin(url: url)).description == origin)
    }

    @Test(arguments: [
        "", "/auth/callback", "ftp://auth.example.com/", "https://", "https:///cb", "https://user@auth.example.com/",
        "https://auth.example.com:x/", "https://auth.example.com:70000/", "https://auth example.com/", "http://[zz]/",
    ])
    func siteOriginRefusesWhatIsNoOrigin(url: String) {
        #expect(SiteOrigin(url: url) == nil)
    }

    // MARK: - ALLOWED_REDIRECT_HOSTS entries

    @Test func ruleMatchesOnADotBoundaryOnly() {
        let rule = RedirectHostRule.subdomains(of: "example.com")
        #expect(rule.allows("a.example.com"))
        #expect(rule.allows("a.b.example.com"))
        #expect(!rule.allows("example.com"))
        #expect(!rule.allows("badexample.com"))
        #expect(!rule.allows("example.com.evil.com"))
        #expect(!rule.allows(".example.com"))
        #expect(RedirectHostRule.exact("app.example.com").allows("app.example.com"))
        #expect(!RedirectHostRule.exact("app.example.com").allows("x.app.example.com"))
    }

    @Test(arguments: [
        ("app.example.com", RedirectHostRule.exact("app.example.com")),
        (".example.com", .subdomains(of: "example.com")),
        ("localhost", .exact("localhost")),
        ("10.0.0.5", .exact("10.0.0.5")),
        ("xn--80ak6aa92e.com", .exact("xn--80ak6aa92e.com")),
    ])
    func ruleEntryIsParsed(text: String, rule: RedirectHostRule) {
        #expect(RedirectHostRule.parse(text) == .success(rule))
        #expect(rule.description == text)
    }

    @Test(arguments: [
        "", "*", "*.example.com", "https://x", "app.example.com/", "app.example.com:443", " app.example.com",
        "app .example.com", "App.Example.com", "app.example.com.", "..example.com", ".com", ".", "-a.example.com",
        "a_b.example.com", "[::1]:443", "пример.рф", "app.example.com\n",
    ])
    func ruleEntryIsRefused(text: String) {
        guard case .failure(let error) = RedirectHostRule.parse(text) else {
            Issue.record("'\(text)' was accepted")
            return
        }
        #expect(!error.reason.isEmpty)
    }
}
