import FastCGI
import Foundation
import Testing

@testable import HHAuth

@Suite("ConfigurationParser")
struct ConfigurationParserTests {
    static let keyBytes = Data((0..<32).map { UInt8($0 * 7 + 3) })
    static let sha512Hash =
        "$6$saltsalt$ZxoUf1bJzACFdk9GZkBGmxXd3Rq8nUoGjgon4GVoI91SlW41Ew2djlh60PmWr4flwags.7ULrKVSSmnCEsIOj1"
    static let minimal: [String: String] = [
        "HH_CLIENT_ID": "client-id", "HH_CLIENT_SECRET": "client-secret",
        "HH_REDIRECT_URI": "https://auth.example.com/auth/callback", "ENCRYPTION_KEY": keyBytes.base64EncodedString(),
        "ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": sha512Hash,
    ]

    private func parse(_ settings: [String: String]) throws(ConfigurationError) -> Configuration {
        try ConfigurationParser(settings: settings).parse()
    }

    private func failure(_ settings: [String: String]) -> ConfigurationError? {
        do {
            _ = try parse(settings)
            return nil
        } catch {
            return error
        }
    }

    private func with(_ changes: [String: String]) -> [String: String] {
        Self.minimal.merging(changes) { _, new in new }
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hh-auth-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func minimalSettingsGiveTheDefaults() throws {
        let configuration = try parse(Self.minimal)
        #expect(configuration.headHunter.clientID == "client-id")
        #expect(configuration.headHunter.clientSecret == "client-secret")
        #expect(configuration.headHunter.authorizeURL == "https://hh.ru/oauth/authorize")
        #expect(configuration.headHunter.tokenURL == "https://api.hh.ru/token")
        #expect(configuration.headHunter.apiURL == "https://api.hh.ru")
        #expect(configuration.sessionLifetimeSeconds == 720 * 3600)
        #expect(configuration.exchangeCodeLifetimeSeconds == 5 * 60)
        #expect(configuration.stateLifetimeSeconds == 10 * 60)
        #expect(configuration.workerThreads == 32)
        #expect(configuration.rateLimitPerHour == 1000)
        #expect(configuration.logLevel == .info)
        #expect(configuration.encryptionKey == EncryptionKey(bytes: Self.keyBytes))
        #expect(configuration.admin.passwordHash == Self.sha512Hash)
        #expect(configuration.oldEncryptionKeys.isEmpty)
    }

    @Test(arguments: [
        "HH_CLIENT_ID", "HH_CLIENT_SECRET", "HH_REDIRECT_URI", "ENCRYPTION_KEY", "ADMIN_USERNAME", "ADMIN_PASSWORD",
    ])
    func missingRequiredSettingIsNamed(name: String) throws {
        var settings = Self.minimal
        settings[name] = nil
        let error = try #require(failure(settings))
        #expect(error.setting == name)
        #expect(error.description.hasPrefix(name))
        settings[name] = ""
        #expect(failure(settings)?.setting == name)
    }

    @Test(arguments: [
        ("SESSION_EXPIRE_HOURS", "abc"), ("SESSION_EXPIRE_HOURS", "-1"), ("SESSION_EXPIRE_HOURS", "0"),
        ("EXCHANGE_CODE_EXPIRE_MINUTES", "five"), ("OAUTH_STATE_EXPIRE_MINUTES", "nan"),
        ("OAUTH_STATE_EXPIRE_MINUTES", "inf"),
        ("WORKER_THREADS", "0"), ("WORKER_THREADS", "many"), ("WORKER_THREADS", "2.5"), ("RATE_LIMIT_PER_HOUR", "-5"),
        ("HH_TIMEOUT_SECONDS", "0"), ("HH_REDIRECT_URI", "not a url"), ("HH_REDIRECT_URI", "/auth/callback"),
        ("HH_TOKEN_URL", "ftp://api.hh.ru/token"), ("HH_API_URL", "https://"),
        ("HH_AUTHORIZE_URL", "javascript:alert(1)"),
        ("LOG_LEVEL", "loud"), ("ENCRYPTION_KEY", Data(repeating: 1, count: 16).base64EncodedString()),
        ("ENCRYPTION_KEY", Data(repeating: 1, count: 33).base64EncodedString()),
        ("ENCRYPTION_KEY", "not base64 at all!"),
        ("ENCRYPTION_OLD_KEYS", "short"), ("INITIAL_ALLOWED_USERS", "12,abc"),
        ("CLIENT_REDIRECT_URIS", "javascript:alert(1)"), ("HH_REDIRECT_URI", "https://user@auth.example.com/cb"),
        ("ALLOWED_REDIRECT_HOSTS", "*"), ("ALLOWED_REDIRECT_HOSTS", "*.example.com"),
        ("ALLOWED_REDIRECT_HOSTS", "https://x"), ("ALLOWED_REDIRECT_HOSTS", "app.example.com,,b.example.com"),
        ("ALLOWED_REDIRECT_HOSTS", "app.example.com,"), ("ALLOWED_REDIRECT_HOSTS", "app.example.com, b.example.com"),
        ("ALLOWED_REDIRECT_HOSTS", "App.Example.com"), ("ALLOWED_REDIRECT_HOSTS", ".com"),
        ("ALLOWED_REDIRECT_HOSTS", "app.example.com:8443"),
    ])
    func malformedSettingIsNamed(name: String, value: String) throws {
        let error = try #require(failure(with([name: value])))
        #expect(error.setting == name)
        #expect(error.description.hasPrefix("\(name): "))
    }

    @Test func plainTextAdminPasswordIsRefused() throws {
        let error = try #require(failure(with(["ADMIN_PASSWORD": "correct horse battery staple"])))
        #expect(error.setting == "ADMIN_PASSWORD")
        #expect(error.description.contains("hh-auth hash-password"))
    }

    @Test func secretsAreReadFromFiles() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let secretFile = directory.appendingPathComponent("secret")
        try "from-file-secret\n".write(to: secretFile, atomically: true, encoding: .utf8)
        var settings = Self.minimal
        settings["HH_CLIENT_SECRET"] = nil
        settings["HH_CLIENT_SECRET_FILE"] = secretFile.path
        #expect(try parse(settings).headHunter.clientSecret == "from-file-secret")

        settings["HH_CLIENT_SECRET_FILE"] = directory.appendingPathComponent("missing").path
        #expect(failure(settings)?.setting == "HH_CLIENT_SECRET_FILE")
    }

    @Test func secretsAreReadFromTheCredentialsDirectory() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let otherKey = Data(repeating: 0xAB, count: 32)
        try otherKey.base64EncodedString().write(
            to: directory.appendingPathComponent("ENCRYPTION_KEY"), atomically: true, encoding: .utf8)
        try "\(Self.sha512Hash)\n".write(
            to: directory.appendingPathComponent("admin_password"), atomically: true, encoding: .utf8)
        var settings = Self.minimal
        settings["ENCRYPTION_KEY"] = nil
        settings["ADMIN_PASSWORD"] = nil
        settings["CREDENTIALS_DIRECTORY"] = directory.path
        let configuration = try parse(settings)
        #expect(configuration.encryptionKey == EncryptionKey(bytes: otherKey))
        #expect(configuration.admin.passwordHash == Self.sha512Hash)
    }

    @Test func explicitValuesOverrideDefaults() throws {
        let configuration = try parse(
            with([
                "SESSION_EXPIRE_HOURS": "1.5", "EXCHANGE_CODE_EXPIRE_MINUTES": "2", "OAUTH_STATE_EXPIRE_MINUTES": "3",
                "WORKER_THREADS": "8", "RATE_LIMIT_PER_HOUR": "50", "LOG_LEVEL": "DEBUG",
                "HH_API_URL": "https://api.hh.test/",
                "INITIAL_ALLOWED_USERS": " 1001, 2002 ,,",
                "CLIENT_REDIRECT_URIS": "https://app.example.com/done,http://localhost:3000/cb",
                "ALLOWED_REDIRECT_HOSTS": "app.example.com,.example.org",
                "ENCRYPTION_OLD_KEYS": Data(repeating: 9, count: 32).base64EncodedString(),
            ]))
        #expect(configuration.sessionLifetimeSeconds == 5400)
        #expect(configuration.exchangeCodeLifetimeSeconds == 120)
        #expect(configuration.stateLifetimeSeconds == 180)
        #expect(configuration.workerThreads == 8)
        #expect(configuration.headHunter.maxConcurrentCalls == 4)
        #expect(configuration.rateLimitPerHour == 50)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.headHunter.apiURL == "https://api.hh.test")
        #expect(configuration.initialAllowedUsers == ["1001", "2002"])
        #expect(configuration.clientRedirectURIs == ["https://app.example.com/done", "http://localhost:3000/cb"])
        #expect(configuration.oldEncryptionKeys == [EncryptionKey(bytes: Data(repeating: 9, count: 32))])
        #expect(configuration.allowedRedirectHosts == [.exact("app.example.com"), .subdomains(of: "example.org")])
    }

    @Test func allowedRedirectHostsAreNoneByDefaultAndAJunkEntryIsNamed() throws {
        #expect(try parse(Self.minimal).allowedRedirectHosts == [])
        let wildcard = try #require(failure(with(["ALLOWED_REDIRECT_HOSTS": "app.example.com,*.example.com"])))
        #expect(wildcard.description.contains("'*.example.com' has a wildcard; write .example.com"))
        let empty = try #require(failure(with(["ALLOWED_REDIRECT_HOSTS": "app.example.com,,b.example.com"])))
        #expect(empty.description.contains("an empty entry"))
        let scheme = try #require(failure(with(["ALLOWED_REDIRECT_HOSTS": "https://app.example.com"])))
        #expect(scheme.description.contains("must be a host name alone"))
    }

    @Test(arguments: ["off", "OFF", "Off"])
    func rateLimitsOffTurnsTheLimiterOff(value: String) throws {
        #expect(try parse(with(["RATE_LIMITS": value])).rateLimitPerHour == 0)
        #expect(try parse(with(["RATE_LIMITS": "on"])).rateLimitPerHour == 1000)
    }

    @Test func fernetStyleBase64URLKeyIsAccepted() throws {
        let bytes = Data((0..<32).map { UInt8(0xF8 | ($0 % 8)) })
        let fernet = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/", with: "_")
        try #require(fernet.count == 44)
        try #require(fernet.contains("-") && fernet.contains("_"))
        #expect(try parse(with(["ENCRYPTION_KEY": fernet])).encryptionKey == EncryptionKey(bytes: bytes))
        let unpadded = String(fernet.dropLast())
        #expect(try parse(with(["ENCRYPTION_KEY": unpadded])).encryptionKey == EncryptionKey(bytes: bytes))
    }
}
