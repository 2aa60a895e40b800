import Foundation
import HTTPCore
import Logging

/// A setting that is missing or malformed; `description` is the one line `serve` prints.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let setting: String
    public let description: String

    /// `problem` says what the setting must be; the description names the setting first.
    public init(_ setting: String, _ problem: String) {
        self.setting = setting
        self.description = "\(setting): \(problem)"
    }
}

/// Builds a ``Configuration`` from environment-style settings.
///
/// Secrets may also come from `<NAME>_FILE` or from a file named like the setting in systemd's
/// `$CREDENTIALS_DIRECTORY`, so they need not sit in the environment.
public struct ConfigurationParser {
    let settings: [String: String]
    let readFile: (String) -> String?

    public init(settings: [String: String], readFile: @escaping (String) -> String? = Self.readTextFile) {
        self.settings = settings
        self.readFile = readFile
    }

    public static func readTextFile(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func parse() throws(ConfigurationError) -> Configuration {
        var headHunter = Configuration.HeadHunter(
            clientID: try required("HH_CLIENT_ID"),
            clientSecret: try required("HH_CLIENT_SECRET", secret: true),
            redirectURI: try url("HH_REDIRECT_URI", required: true) ?? "")
        guard SiteOrigin(url: headHunter.redirectURI) != nil else {
            throw ConfigurationError("HH_REDIRECT_URI", "must be an absolute http(s) URL without user information")
        }
        if let value = try url("HH_AUTHORIZE_URL") { headHunter.authorizeURL = value }
        if let value = try url("HH_TOKEN_URL") { headHunter.tokenURL = value }
        if let value = try url("HH_API_URL") {
            headHunter.apiURL = value.hasSuffix("/") ? String(value.dropLast()) : value
        }
        if let value = optional("HH_USER_AGENT") { headHunter.userAgent = value }
        if let value = try number("HH_TIMEOUT_SECONDS", 0.1...600) { headHunter.requestTimeout = value }

        let passwordHash = try required("ADMIN_PASSWORD", secret: true)
        guard PasswordHash.looksLikeCryptHash(passwordHash) else {
            throw ConfigurationError(
                "ADMIN_PASSWORD",
                "must be a crypt(3) hash ($y$, $2b$, $6$…), not a password; make one with `hh-auth hash-password`")
        }
        var admin = Configuration.Admin(username: try required("ADMIN_USERNAME"), passwordHash: passwordHash)
        // Up to 1,000,000 was accepted before; more than 1000 is capped (with a warning) rather than
        // refused, so an upgrade does not stop a service whose environment still says so.
        if let value = try integer("ADMIN_MAX_FAILURES", 1...1_000_000) { admin.maxFailures = min(value, 1000) }
        if let value = try integer("ADMIN_MAX_FAILURES_ALL_ADDRESSES", 1...100_000) {
            admin.maxFailuresAllAddresses = value
        }
        if let value = try number("ADMIN_FAILURE_WINDOW_SECONDS", 1...86_400 * 30) {
            admin.failureWindowSeconds = value
        }
        if let value = try number("ADMIN_GUARDED_RETRY_SECONDS", 1...3600) { admin.guardedRetrySeconds = value }
        if let value = try number("ADMIN_GUARDED_CHECKS_PER_SECOND", 0.1...1000) {
            admin.guardedChecksPerSecond = value
        }

        let key = try encryptionKey("ENCRYPTION_KEY", try required("ENCRYPTION_KEY", secret: true))
        var configuration = Configuration(headHunter: headHunter, admin: admin, encryptionKey: key)
        if let old = optional("ENCRYPTION_OLD_KEYS", secret: true) {
            configuration.oldEncryptionKeys = try list(old).map { text throws(ConfigurationError) in
                try encryptionKey("ENCRYPTION_OLD_KEYS", text)
            }
        }
        if let seconds = try sessionLifetimeSeconds() { configuration.sessionLifetimeSeconds = seconds }
        if let minutes = try number("EXCHANGE_CODE_EXPIRE_MINUTES", 0.01...1440) {
            configuration.exchangeCodeLifetimeSeconds = minutes * 60
        }
        if let minutes = try number("OAUTH_STATE_EXPIRE_MINUTES", 0.01...1440) {
            configuration.stateLifetimeSeconds = minutes * 60
        }
        if let database = try database() { configuration.database = database }
        if let value = try integer("SESSION_CACHE_MS", 0...10_000) {
            // Below 20 ms the feed would read 200 times a second and still rarely prove itself
            // within the bound.
            guard value == 0 || value >= 20 else {
                throw ConfigurationError("SESSION_CACHE_MS", "must be 0 (off) or a number from 20 to 10000")
            }
            configuration.sessionCacheMilliseconds = value
        }
        // The longest legitimate request is a login callback: two HH calls in a row, then writes
        // that may each wait out the database's 5-s busy timeout; 5 s more of margin.
        configuration.shutdownTimeoutSeconds = 2 * configuration.headHunter.requestTimeout + 10
        if let value = try number("SHUTDOWN_TIMEOUT_SECONDS", 0.1...3600) {
            configuration.shutdownTimeoutSeconds = value
        }
        if let value = try integer("WORKER_THREADS", 1...1024) { configuration.workerThreads = value }
        configuration.admin.concurrentChecks = max(1, configuration.workerThreads / 2)
        if let value = try integer("HH_MAX_CONCURRENT_CALLS", 1...1024) {
            configuration.headHunter.maxConcurrentCalls = value
        } else {
            configuration.headHunter.maxConcurrentCalls = max(1, configuration.workerThreads / 2)
        }
        if let text = optional("INITIAL_ALLOWED_USERS") {
            let ids = list(text)
            for id in ids where !HHUserID.isValid(id) {
                throw ConfigurationError("INITIAL_ALLOWED_USERS", "'\(id)' is not an HH user id (1-20 digits)")
            }
            configuration.initialAllowedUsers = ids
        }
        if let text = optional("CLIENT_REDIRECT_URIS") {
            configuration.clientRedirectURIs = list(text)
            for uri in configuration.clientRedirectURIs where !Self.isAbsoluteHTTPURL(uri) {
                throw ConfigurationError("CLIENT_REDIRECT_URIS", "'\(uri)' is not an absolute http(s) URL")
            }
        }
        if let text = optional("ALLOWED_REDIRECT_HOSTS") {
            configuration.allowedRedirectHosts = try redirectHostRules("ALLOWED_REDIRECT_HOSTS", text)
        }
        if let value = try integer("RATE_LIMIT_PER_HOUR", 0...100_000_000) { configuration.rateLimitPerHour = value }
        if let value = try integer("SIGN_INS_PER_CLIENT_PER_MINUTE", 0...1_000_000) {
            configuration.signInsPerClientPerMinute = value
        }
        // Anything but `off` leaves the limits on, as it always did (a warning says so).
        if optional("RATE_LIMITS")?.lowercased() == "off" {
            // Benchmarks and soaks sign in thousands of times from one address.
            configuration.rateLimitPerHour = 0
            configuration.signInsPerClientPerMinute = 0
        }
        if let value = try number("JANITOR_INTERVAL_SECONDS", 0.05...86_400) {
            configuration.janitorIntervalSeconds = value
        }
        configuration.browserSessions = try browserSessions()
        if let text = optional("LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ConfigurationError(
                    "LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical")
            }
            configuration.logLevel = level
        }
        return configuration
    }

    /// Settings that are no longer read, with what to do instead: set, they earn a warning at start
    /// rather than a refusal to start, since they ask for nothing unsafe.
    public static let retiredSettings: [(name: String, advice: String)] = [
        (
            "HH_CONNECT_TIMEOUT_SECONDS",
            "no longer read: URLSession on Linux has no separate connect timeout; HH_TIMEOUT_SECONDS bounds each HH call, connecting included"
        ),
        (
            "LOGIN_STATES_PER_ADDRESS",
            "no longer read: /auth/login writes nothing (the OAuth state is sealed, not stored)"
        ),
        ("LOGIN_STATES_OVERALL", "no longer read: /auth/login writes nothing (the OAuth state is sealed, not stored)"),
    ]

    /// One line for each retired setting that is set, and for settings an operator should know
    /// are in force.
    public func warnings() -> [String] {
        var lines = Self.retiredSettings.compactMap { setting in
            optional(setting.name).map { _ in "\(setting.name): \(setting.advice)" }
        }
        if ignoresDatabasePath { lines.append(Self.databasePathIgnored) }
        if let text = optional("ADMIN_MAX_FAILURES"), let value = Int(text), value > 1000 {
            lines.append("ADMIN_MAX_FAILURES: \(value) is more than 1000 failures per address; 1000 is used")
        }
        switch optional("RATE_LIMITS")?.lowercased() {
        case nil, "on": break
        case "off":
            lines.append("RATE_LIMITS: off — the service's per-address limits are disabled (meant for benchmarks)")
        case .some(let other):
            lines.append("RATE_LIMITS: '\(LogText.safe(other))' is neither on nor off; the limits stay on")
        }
        return lines
    }

    // MARK: - Reading single settings

    /// A setting's value from the environment, `<NAME>_FILE` or systemd credentials (secrets only).
    public func optional(_ name: String, secret: Bool = false) -> String? {
        if let value = settings[name], !value.isEmpty { return value }
        guard secret else { return nil }
        if let path = settings["\(name)_FILE"], !path.isEmpty { return readFile(path) }
        if let directory = settings["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            for candidate in [name, name.lowercased()] {
                if let value = readFile("\(directory)/\(candidate)"), !value.isEmpty { return value }
            }
        }
        return nil
    }

    private func required(_ name: String, secret: Bool = false) throws(ConfigurationError) -> String {
        if secret, let path = settings["\(name)_FILE"], !path.isEmpty, readFile(path) == nil {
            throw ConfigurationError("\(name)_FILE", "cannot read \(path)")
        }
        guard let value = optional(name, secret: secret) else {
            throw ConfigurationError(name, "is required but not set")
        }
        return value
    }

    func integer(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = optional(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func number(_ name: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let text = optional(name) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ConfigurationError(name, "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    private func url(_ name: String, required isRequired: Bool = false) throws(ConfigurationError) -> String? {
        guard let text = optional(name) else {
            if isRequired { throw ConfigurationError(name, "is required but not set") }
            return nil
        }
        guard Self.isAbsoluteHTTPURL(text) else { throw ConfigurationError(name, "must be an absolute http(s) URL") }
        return text
    }

    private func encryptionKey(_ name: String, _ text: String) throws(ConfigurationError) -> EncryptionKey {
        guard let key = EncryptionKey(encoded: text) else {
            throw ConfigurationError(
                name, "must be 32 bytes, base64 or base64url encoded (e.g. `openssl rand -base64 32`)")
        }
        return key
    }

    /// Comma-separated ``RedirectHostRule``s, each exactly as written: an empty item or a space is
    /// refused rather than skipped, since it is most likely a typo in a security setting.
    private func redirectHostRules(_ name: String, _ text: String) throws(ConfigurationError) -> [RedirectHostRule] {
        var rules: [RedirectHostRule] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            switch RedirectHostRule.parse(String(item)) {
            case .success(let rule): rules.append(rule)
            case .failure(let error):
                throw ConfigurationError(
                    name,
                    "\(LogText.safe(error.reason)): give comma-separated host names (app.example.com) or .domains (.example.com, its subdomains), lowercase, without spaces"
                )
            }
        }
        return rules
    }

    private func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func isAbsoluteHTTPURL(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return false }
        return !text.contains(where: { $0.isWhitespace || $0 == "\r" || $0 == "\n" })
    }
}
