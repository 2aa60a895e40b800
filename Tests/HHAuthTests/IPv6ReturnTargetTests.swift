import HTTPCore
import Testing

@testable import HHAuth

/// Issue 11: a site whose `HH_REDIRECT_URI` is an IPv6 literal (`http://[::1]:8080/…`) takes
/// absolute `rd`s on its own origin, `ALLOWED_REDIRECT_HOSTS` can name an IPv6 address exactly, and
/// every hostile form with brackets is refused.
@Suite("ReturnTargetPolicy: IPv6 literals")
struct IPv6ReturnTargetTests {
    static let policy = ReturnTargetPolicy(
        site: SiteOrigin(url: "http://[::1]:8080/auth/callback")!,
        allowedHosts: [.exact("[fd00::5]"), .subdomains(of: "example.com"), .exact("10.0.0.5")])

    @Test(arguments: [
        ("/demo/", "http://[::1]:8080/demo/"),
        ("http://[::1]:8080/x?a=1#f", "http://[::1]:8080/x?a=1#f"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("HTTP://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://[0:0:0:0:0:0:0:1]:8080/x", "http://[::1]:8080/x"),
        ("http://[0000::0001]:8080/x", "http://[::1]:8080/x"),
        ("https://[fd00::5]/a", "https://[fd00::5]/a"),
        ("http://[FD00:0:0::5]:9000/", "http://[fd00::5]:9000/"),
        ("https://app.example.com/", "https://app.example.com/"),
        ("http://10.0.0.5/", "http://10.0.0.5/"),
    ])
    func allowedTargetGetsItsLocation(target: String, location: String) throws {
        #expect(try Self.policy.location(for: target) == location)
    }

    static let refused: [RefusedTarget] = [
        RefusedTarget("userinfo naming the site's address", "http://[::1]@evil.com/", .userinfo),
        RefusedTarget("userinfo with the site's address and port", "http://[::1]:8080@evil.com/", .userinfo),
        RefusedTarget("userinfo before the site's address", "http://evil.com@[::1]:8080/", .userinfo),
        RefusedTarget("encoded @ after the brackets", "http://[::1]%40evil.com/", .badHost),
        RefusedTarget("zone id", "http://[fe80::1%25eth0]:8080/", .badHost),
        RefusedTarget("zone id on the site's address", "http://[::1%25lo]:8080/", .badHost),
        RefusedTarget("raw zone id", "http://[fe80::1%eth0]/", .badEncoding),
        RefusedTarget("IPv4-mapped loopback, not listed", "http://[::ffff:127.0.0.1]:8080/", .hostNotAllowed),
        RefusedTarget("IPv4-mapped in hex, not listed", "http://[::ffff:7f00:1]:8080/", .hostNotAllowed),
        RefusedTarget("IPv4-mapped listed IPv4 address", "http://[::ffff:10.0.0.5]/", .hostNotAllowed),
        RefusedTarget("IPv4-compatible loopback", "http://[::127.0.0.1]:8080/", .hostNotAllowed),
        RefusedTarget("site's address, other port", "http://[::1]:8443/", .hostNotAllowed),
        RefusedTarget("site's address, default port", "http://[::1]/", .hostNotAllowed),
        RefusedTarget("site's address, other scheme", "https://[::1]:8080/", .hostNotAllowed),
        RefusedTarget("a neighbour of a listed address", "https://[fd00::6]/", .hostNotAllowed),
        RefusedTarget("unspecified address", "http://[::]:8080/", .hostNotAllowed),
        RefusedTarget("unclosed bracket", "http://[::1/", .badHost),
        RefusedTarget("text after the bracket", "http://[::1]evil.com/", .badHost),
        RefusedTarget("a name after the bracket", "http://[::1].example.com/", .badHost),
        RefusedTarget("a second closing bracket", "http://[::1]]:8080/", .badHost),
        RefusedTarget("encoded colons", "http://[%3A%3A1]:8080/", .badHost),
        RefusedTarget("encoded brackets", "http://%5B::1%5D:8080/", .badHost),
        RefusedTarget("brackets around a name", "http://[app.example.com]/", .badHost),
        RefusedTarget("brackets around IPv4", "http://[10.0.0.5]/", .badHost),
        RefusedTarget("no brackets", "http://::1:8080/", .badHost),
        RefusedTarget("empty brackets", "http://[]:8080/", .badHost),
        RefusedTarget("two ::", "http://[1::2::3]/", .badHost),
        RefusedTarget("nine groups", "http://[1:2:3:4:5:6:7:8:9]/", .badHost),
        RefusedTarget("five hex digits", "http://[12345::1]/", .badHost),
        RefusedTarget("leading zero in the IPv4 part", "http://[::ffff:127.0.0.01]:8080/", .badHost),
        RefusedTarget("short IPv4 part", "http://[::ffff:127.1]:8080/", .badHost),
        RefusedTarget("empty port", "http://[::1]:/", .badPort),
        RefusedTarget("port zero", "http://[::1]:0/", .badPort),
    ]

    @Test(arguments: refused)
    func hostileTargetIsRefusedForItsReason(row: RefusedTarget) {
        #expect(Self.policy.judge(row.target) == .failure(row.reason))
        #expect(throws: LoginError.returnTargetNotAllowed) { try Self.policy.location(for: row.target) }
    }

    @Test(arguments: [
        ("[::1]", "[::1]"), ("[0:0:0:0:0:0:0:1]", "[::1]"), ("[::]", "[::]"), ("[2001:0DB8::0001]", "[2001:db8::1]"),
        ("[2001:db8:0:0:1:0:0:1]", "[2001:db8::1:0:0:1]"), ("[1:0:0:2:0:0:0:3]", "[1:0:0:2::3]"),
        ("[1:2:3:4:5:6:7:0]", "[1:2:3:4:5:6:7:0]"), ("[1:2:3:4:5:6:7::]", "[1:2:3:4:5:6:7:0]"),
        ("[::ffff:127.0.0.1]", "[::ffff:7f00:1]"), ("[0:0:0:0:0:ffff:1.2.3.4]", "[::ffff:102:304]"),
    ])
    func anAddressIsWrittenInOneForm(literal: String, text: String) throws {
        #expect(try #require(IPv6Literal(bracketed: literal)).text == text)
    }

    @Test(arguments: [
        "", "[]", "::1", "[::1", "::1]", "[ ::1]", "[::1%25eth0]", "[fe80::1%eth0]", "[:::1]", "[:1::]", "[1::2::3]",
        "[1:2:3:4:5:6:7:8:9]", "[1:2:3:4:5:6:7:8::]", "[1:2:3:4:5:6:7]", "[12345::]", "[g::]", "[1.2.3.4]",
        "[::1.2.3]", "[::01.2.3.4]", "[::256.1.1.1]", "[1.2.3.4::]", "[::1]:80",
    ])
    func whatIsNoAddressIsRefused(literal: String) {
        #expect(IPv6Literal(bracketed: literal) == nil)
    }

    @Test func theSiteOriginKeepsTheAddressInOneForm() throws {
        let site = try #require(SiteOrigin(url: "http://[0:0::1]:8080/auth/callback"))
        #expect(site.host == "[::1]" && site.port == 8080)
        #expect(site == SiteOrigin(url: "http://[::1]:8080/"))
        #expect(site.description == "http://[::1]:8080")
        #expect(SiteOrigin(url: "http://[::1]:80/")?.port == nil)
        for url in ["http://[fe80::1%25eth0]:8080/", "http://[zz]/", "http://[::1]x/", "http://[::1/", "http://[]/"] {
            #expect(SiteOrigin(url: url) == nil, "\(url)")
        }
    }

    @Test(arguments: [
        ("[::1]", RedirectHostRule.exact("[::1]")), ("[fd00::5]", .exact("[fd00::5]")),
        ("[0:0::1]", .exact("[::1]")), ("[::ffff:10.0.0.5]", .exact("[::ffff:a00:5]")),
    ])
    func anIPv6EntryIsAnExactRule(text: String, rule: RedirectHostRule) {
        #expect(RedirectHostRule.parse(text) == .success(rule))
    }

    @Test(arguments: [
        ".[::1]", "::1", "fd00::5", "[::1]:443", "[fe80::1%25eth0]", "[fe80::1%eth0]", "[::1", "[zz]", "[::1]]",
        ".0.0.5", ".0.5", ".10.0.0.5", "[FD00::5]",
    ])
    func anIPSuffixRuleOrABadLiteralIsRefused(text: String) {
        guard case .failure(let error) = RedirectHostRule.parse(text) else {
            Issue.record("'\(text)' was accepted")
            return
        }
        #expect(!error.reason.isEmpty)
    }

    /// The whole way: a gateway whose `HH_REDIRECT_URI` is an IPv6 literal starts a sign-in for an
    /// absolute `rd` on its own origin (it used to refuse every one).
    @Test func aSiteOnAnIPv6LiteralTakesAnAbsoluteReturnToItself() throws {
        let harness = try GatewayHarness { $0.headHunter.redirectURI = "http://[::1]:8080/auth/callback" }
        let own = harness.send("GET", "/auth/login?rd=" + QueryParameters.encode("http://[::1]:8080/demo/"))
        #expect(own.status == 302, "\(own.text)")
        let other = harness.send(
            "GET", "/auth/login?rd=" + QueryParameters.encode("http://[::1]@evil.com/"),
            headers: ["Accept": "application/json"])
        #expect(other.status == 400)
    }

    /// The address is read by the C library's `inet_pton`: what a C string cannot hold, or what it
    /// does not take, is no address.
    @Test func anAddressIsTheWholeTextBetweenTheBrackets() {
        #expect(IPv6Literal(bracketed: "[::1]")?.text == "[::1]")
        #expect(IPv6Literal(bracketed: "[0:0:0:0:0:0:0:1]")?.text == "[::1]")
        #expect(IPv6Literal(bracketed: "[::FFFF:127.0.0.1]")?.text == "[::ffff:7f00:1]")
        for refused in [
            "[::1\u{0}evil]", "[::1%eth0]", "[::01.2.3.4]", "[::ffff:1.2.3.04]", "[12345::]", "[1::2::3]", "[]", "::1",
        ] {
            #expect(IPv6Literal(bracketed: refused) == nil, "\(refused)")
        }
    }
}
