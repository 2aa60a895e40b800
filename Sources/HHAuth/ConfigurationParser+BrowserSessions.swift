extension ConfigurationParser {
    /// `SESSION_EXPIRE_HOURS` in seconds, `nil` when unset: how long a session lasts. Public, with
    /// ``browserSessions()``, for the operator commands, which read the sessions as `serve` does.
    public func sessionLifetimeSeconds() throws(ConfigurationError) -> Double? {
        try number("SESSION_EXPIRE_HOURS", 0.001...(24 * 3650)).map { $0 * 3600 }
    }

    /// `COOKIE_DOMAIN`, `COOKIE_SESSION_HOURS`, `SESSION_IDLE_MINUTES`, `VERIFY_PASS_ACCESS_TOKEN`.
    public func browserSessions() throws(ConfigurationError) -> Configuration.BrowserSessions {
        var settings = Configuration.BrowserSessions()
        if let text = optional("COOKIE_DOMAIN") {
            guard let domain = Self.cookieDomain(text) else {
                throw ConfigurationError(
                    "COOKIE_DOMAIN", "must be a parent domain such as .example.com (letters, digits, '-' and dots)")
            }
            settings.cookieDomain = domain
        }
        if let hours = try number("COOKIE_SESSION_HOURS", 0.001...(24 * 3650)) {
            settings.lifetimeSeconds = hours * 3600
        }
        if let minutes = try number("SESSION_IDLE_MINUTES", 0...(60 * 24 * 365)) {
            // 0 is "off", like the rate limit's 0.
            settings.idleTimeoutSeconds = minutes > 0 ? minutes * 60 : nil
        }
        if let value = try boolean("VERIFY_PASS_ACCESS_TOKEN") { settings.passAccessToken = value }
        return settings
    }

    /// `.Example.com` → `.example.com`; `nil` for anything a browser would not take as a cookie
    /// domain of several labels (a bare TLD such as `.com` is refused too). The host-name rule is
    /// the redirect allow-list's (``RedirectHostRule/isHostName(_:)``).
    static func cookieDomain(_ text: String) -> String? {
        let lowered = text.lowercased()
        let name = lowered.hasPrefix(".") ? String(lowered.dropFirst()) : lowered
        guard RedirectHostRule.isHostName(name), name.contains(".") else { return nil }
        return "." + name
    }
}
