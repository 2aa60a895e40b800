import Foundation
import Logging

/// Every setting of the service, built once by the executable and never changed afterwards.
///
/// The library never reads the environment: ``ConfigurationParser`` builds this from a dictionary
/// the executable hands it. Where the FastCGI server listens, and whom it lets in, are the
/// executable's settings (`FCGI_SOCKET`, `FCGI_WEB_SERVER_ADDRS`): the library knows no transport.
public struct Configuration: Sendable {
    public struct HeadHunter: Sendable {
        public var clientID: String
        public var clientSecret: String
        public var redirectURI: String
        public var authorizeURL: String = "https://hh.ru/oauth/authorize"
        public var tokenURL: String = "https://api.hh.ru/token"
        public var apiURL: String = "https://api.hh.ru"
        public var userAgent: String = defaultUserAgent
        /// The deadline of one call to HH, connecting included: URLSession on Linux offers no
        /// separate connect timeout (see ``URLSessionTransport``).
        public var requestTimeout: Double = 15
        /// How many worker threads may wait on HeadHunter at once; the rest answer 503 at once so a
        /// slow HH cannot starve `/health` and the token lookups.
        public var maxConcurrentCalls: Int = 16

        /// What is sent without `HH_USER_AGENT`: a placeholder contact, which HH's rules ask to be a real one.
        public static let defaultUserAgent = "hh-auth/\(HHAuthVersion.current) (admin@example.com)"

        public init(clientID: String, clientSecret: String, redirectURI: String) {
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.redirectURI = redirectURI
        }
    }

    public struct Admin: Sendable {
        public var username: String
        /// A crypt(3) hash (`$y$`, `$2b$`, `$6$`…).
        public var passwordHash: String
        /// Failed logins per client address (IPv6: per /64) within the window before it is refused.
        public var maxFailures: Int = 10
        /// On a shared database: this node's admin requests that may hold or wait for the shared
        /// throttle's turn at once; more are answered 503. Half of `WORKER_THREADS` (the parser
        /// sets it), so a flood of garbage credentials while the ledger is stuck parks at most half
        /// the workers.
        public var concurrentChecks: Int = 16
        /// Failed logins from all addresses together within the window before the account is
        /// guarded: an address (IPv6: a /48) gets one try per ``guardedRetrySeconds`` and all
        /// together ``guardedChecksPerSecond``; see ``FailedLoginThrottle``.
        public var maxFailuresAllAddresses: Int = 100
        public var failureWindowSeconds: Double = 15 * 60
        /// While guarded: the pause after a failure before that address may try again.
        public var guardedRetrySeconds: Double = 60
        /// While guarded: password checks a second from all addresses together.
        public var guardedChecksPerSecond: Double = 4
        /// How long a verified password is remembered, so bcrypt's cost is not paid per request.
        public var verificationCacheSeconds: Double = 60

        public init(username: String, passwordHash: String) {
            self.username = username
            self.passwordHash = passwordHash
        }
    }

    /// Sessions held by a browser's cookie (`/auth/login?rd=`, `/auth/verify`).
    public struct BrowserSessions: Sendable {
        /// A parent domain (`.example.com`) the session cookie is shared with, for apps on
        /// subdomains; `nil` keeps it to the host that set it (and allows the `__Host-` prefix).
        public var cookieDomain: String?
        /// How long a browser session lasts; `nil`: as long as any session
        /// (``Configuration/sessionLifetimeSeconds``).
        public var lifetimeSeconds: Double?
        /// A browser session unused this long is over (ASVS 7.3.1); `nil`: no idle timeout.
        public var idleTimeoutSeconds: Double?
        /// `/auth/verify` hands the user's HH access token to nginx (`X-Auth-Request-Access-Token`),
        /// refreshing it when needed; off by default, since the protected app then holds it.
        public var passAccessToken = false

        public init() {}
    }

    public var headHunter: HeadHunter
    public var admin: Admin
    public var browserSessions = BrowserSessions()
    /// The key new tokens are encrypted under.
    public var encryptionKey: EncryptionKey
    /// Keys that still decrypt, while `hh-auth keys rotate` moves tokens to ``encryptionKey``.
    public var oldEncryptionKeys: [EncryptionKey] = []
    public var sessionLifetimeSeconds: Double = 720 * 3600
    public var exchangeCodeLifetimeSeconds: Double = 5 * 60
    public var stateLifetimeSeconds: Double = 10 * 60
    /// The database: SQLite at `DATABASE_PATH` (this default in the working directory), or
    /// PostgreSQL at `DATABASE_URL` (see ``ConfigurationParser/database()``).
    public var database: DatabaseSelection = .sqlite(path: "hh-auth.sqlite3")
    /// On PostgreSQL: how long, at most, a change another node (or a command, or an operator's
    /// SQL) made to a session, its user, HH token or whitelist entry may go unnoticed by this
    /// node's session lookups (``SessionReadCache``); 0 = no cache, every lookup asks the
    /// database. `SESSION_CACHE_MS`; SQLite has no use for it.
    public var sessionCacheMilliseconds: Int = 100
    /// How long a stop lets requests finish before cutting them; by default a little more than
    /// the longest legitimate request (see ``ConfigurationParser``).
    public var shutdownTimeoutSeconds: Double = 40
    public var workerThreads: Int = 32
    public var initialAllowedUsers: [String] = []
    /// Exact URLs a login may ask to be sent back to with `?redirect_uri=`.
    public var clientRedirectURIs: [String] = []
    /// Hosts besides this site's origin that a browser sign-in or sign-out may return to with
    /// `?rd=` (`ALLOWED_REDIRECT_HOSTS`); see ``ReturnTargetPolicy``.
    public var allowedRedirectHosts: [RedirectHostRule] = []
    /// Requests per client address per hour; 0 turns the service's limiter off.
    public var rateLimitPerHour: Int = 1000
    /// Callbacks per client (IPv6: per /64) per minute that may exchange a code at HH; 0: no bound.
    public var signInsPerClientPerMinute: Int = 30
    public var logLevel: Logger.Level = .info
    public var janitorIntervalSeconds: Double = 60

    public init(headHunter: HeadHunter, admin: Admin, encryptionKey: EncryptionKey) {
        self.headHunter = headHunter
        self.admin = admin
        self.encryptionKey = encryptionKey
    }
}

/// The version `/health` and `--version` report.
public enum HHAuthVersion {
    public static let current = "0.1.0"
}
