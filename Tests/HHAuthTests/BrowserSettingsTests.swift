import Testing

@testable import HHAuth

/// `COOKIE_DOMAIN`, `COOKIE_SESSION_HOURS`, `SESSION_IDLE_MINUTES`, `VERIFY_PASS_ACCESS_TOKEN`.
@Suite("Settings: browser sessions")
struct BrowserSettingsTests {

    private func parse(_ changes: [String: String]) throws(ConfigurationError) -> Configuration {
        try ConfigurationParser(settings: ConfigurationParserTests.minimal.merging(changes) { _, new in new }).parse()
    }

    @Test func theDefaultsAreHostOnlyCookiesForTheSessionLifetimeWithoutIdleTimeoutOrToken() throws {
        let settings = try parse([:]).browserSessions
        #expect(settings.cookieDomain == nil && settings.lifetimeSeconds == nil)
        #expect(settings.idleTimeoutSeconds == nil && !settings.passAccessToken)
    }

    @Test func explicitValuesAreRead() throws {
        let settings = try parse([
            "COOKIE_DOMAIN": ".Example.COM", "COOKIE_SESSION_HOURS": "12", "SESSION_IDLE_MINUTES": "30",
            "VERIFY_PASS_ACCESS_TOKEN": "true",
        ]).browserSessions
        #expect(settings.cookieDomain == ".example.com")
        #expect(settings.lifetimeSeconds == Double(12 * 3600))
        #expect(settings.idleTimeoutSeconds == 1800)
        #expect(settings.passAccessToken)
        #expect(try parse(["COOKIE_DOMAIN": "apps.example.com"]).browserSessions.cookieDomain == ".apps.example.com")
        #expect(try parse(["SESSION_IDLE_MINUTES": "0"]).browserSessions.idleTimeoutSeconds == nil)
    }

    @Test(arguments: [
        ["COOKIE_DOMAIN": ".com"], ["COOKIE_DOMAIN": "*.example.com"], ["COOKIE_DOMAIN": "https://example.com"],
        ["COOKIE_DOMAIN": "exa mple.com"], ["COOKIE_DOMAIN": "example..com"], ["COOKIE_DOMAIN": "-x.example.com"],
        ["COOKIE_SESSION_HOURS": "0"], ["COOKIE_SESSION_HOURS": "soon"], ["SESSION_IDLE_MINUTES": "-1"],
        ["VERIFY_PASS_ACCESS_TOKEN": "maybe"],
    ])
    func junkIsRefusedNamingTheSetting(_ change: [String: String]) {
        #expect(throws: ConfigurationError.self) { try parse(change) }
        do {
            _ = try parse(change)
        } catch {
            #expect(error.description.contains(change.keys.first ?? "?"))
        }
    }
}
