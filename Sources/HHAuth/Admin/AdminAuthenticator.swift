import Foundation
import HTTPCore
import Logging
import Prometheus
import WorkerThreads

/// HTTP Basic authentication of the admin, against a crypt(3) hash.
///
/// bcrypt/yescrypt cost tens of milliseconds by design; paying it per request would cap the admin
/// API's throughput, so a successful check is remembered briefly under an HMAC of the client's
/// address (IPv6: its /64) and the credentials, keyed with a per-process secret. Only credentials
/// that passed are remembered, so a hit is never a wrong password, and only for the address that
/// presented them, so nobody elsewhere can test guesses against the cache without the throttle.
public final class AdminAuthenticator: Sendable {
    private let settings: Configuration.Admin
    private let throttle: FailedLoginThrottle
    private let storage: any StorageEngine
    private let clock: any WallClock
    private let passwordCheck: @Sendable (String, String) -> Bool
    /// While the account is guarded, failures come from rotating addresses: their audit rows are
    /// sampled so a flood writes a bounded number (the rows written carry the counts of the rest).
    private let guardedFailures = FailureAuditSampler(windowSeconds: 60, maxRowsPerWindow: 60)
    private let fingerprints = CredentialFingerprinter()
    private let verified = Lock<[CredentialFingerprint: Double]>([:])
    /// `hh_auth_admin_auth_failures_total` and `hh_auth_rate_limited_total{limiter="admin_auth"}`.
    private let failures: Prometheus.Counter?
    private let throttled: Prometheus.Counter?

    /// `metrics`: the service's, which count wrong credentials and the throttle's refusals;
    /// `logger`: where a shared throttle state that fails is logged (with `metrics`' database
    /// errors counting it).
    public convenience init(
        settings: Configuration.Admin, storage: any StorageEngine, clock: any WallClock, metrics: ServiceMetrics? = nil,
        logger: Logger? = nil
    ) {
        self.init(
            settings: settings, storage: storage, clock: clock, passwordCheck: PasswordHash.verify, metrics: metrics,
            logger: logger)
    }

    /// `passwordCheck(password, hash)` stands in for ``PasswordHash/verify(_:against:)`` in tests.
    init(
        settings: Configuration.Admin, storage: any StorageEngine, clock: any WallClock,
        passwordCheck: @escaping @Sendable (String, String) -> Bool, metrics: ServiceMetrics? = nil,
        logger: Logger? = nil
    ) {
        self.failures = metrics?.adminAuthFailures
        self.throttled = metrics?.rateLimits.counter(.adminAuth)
        self.settings = settings
        var limits = FailedLoginThrottle.Limits(
            maxFailures: settings.maxFailures, maxFailuresAllAddresses: settings.maxFailuresAllAddresses,
            windowSeconds: settings.failureWindowSeconds)
        limits.guardedRetrySeconds = settings.guardedRetrySeconds
        limits.guardedChecksPerSecond = settings.guardedChecksPerSecond
        limits.concurrentSteps = settings.concurrentChecks
        // On a database several nodes share, so is the throttle's state.
        let monitor = SharedStateMonitor(
            duty: "admin throttle", meanwhile: "admin API answers 503",
            logger: logger, errors: metrics?.databaseErrors.counting(for: .postgreSQL))
        self.throttle = FailedLoginThrottle(
            limits, shared: storage.sharedState, monitor: storage.sharedState == nil ? nil : monitor)
        self.storage = storage
        self.clock = clock
        self.passwordCheck = passwordCheck
    }

    /// Returns the admin's name. Throws ``AdminAuthenticationError/invalidCredentials`` for missing
    /// or wrong credentials, ``AdminAuthenticationError/tooManyFailures(retryAfterSeconds:)`` when
    /// the client's address is throttled, ``AdminAuthenticationError/unavailable(retryAfterSeconds:)``
    /// when the throttle's state cannot be read.
    public func authenticate(_ credentials: AdminCredentials?, origin: ClientOrigin) throws(AdminAuthenticationError)
        -> String
    {
        // No credentials, nothing to throttle: refused without the throttle's state (a flood of
        // anonymous admin requests never reaches the database).
        guard let credentials else { throw .invalidCredentials }
        let now = clock.now().timeIntervalSince1970
        let address = origin.clientAddress
        // An address past its own cap is refused before the cache: it gets no guesses at all.
        switch throttle.capRefusal(address: address, now: now) {
        case .tooManyFailures(let wait): throw tooManyFailures(wait)
        case .unavailable(let wait): throw unavailable(wait)
        case nil: break
        }
        // A hit costs no hashing and reveals nothing a successful login did not: only the right
        // credentials, verified from this address a moment ago, are in the cache. So parallel
        // calls of a signed-in admin pass while the account is guarded.
        if isCached(credentials, address: address, now: now) { return credentials.username }
        let ticket: FailedLoginThrottle.Ticket
        switch throttle.admit(address: address, now: now) {
        case .refused(let wait): throw tooManyFailures(wait)
        case .unavailable(let wait): throw unavailable(wait)
        case .admitted(let admitted): ticket = admitted
        }
        let accepted = verify(credentials)
        let guarded = throttle.settle(ticket, passwordWasRight: accepted, now: now)
        if accepted {
            remember(credentials, address: address, now: now)
            return credentials.username
        }
        failures?.increment()
        recordFailure(origin, username: credentials.username, guarded: guarded, now: now)
        throw .invalidCredentials
    }

    /// Audits a wrong password. Before the guard every failure is written (the caps bound them to
    /// about `maxFailuresAllAddresses` a window); while guarded they are sampled per address block.
    private func recordFailure(_ origin: ClientOrigin, username: String, guarded: Bool, now: Double) {
        var metadata: [String: AuditValue] = ["username": .string(LogText.safe(username, limit: 64))]
        if guarded {
            guard let sampled = guardedFailures.admit(AddressBlock.guardKey(for: origin.clientAddress), now: now)
            else { return }
            sampled.annotate(&metadata)
        }
        _ = try? storage.write { tx in
            try tx.audit.record(AuditEvent(.adminAuthFailed, origin: origin, metadata: metadata))
        }
    }

    /// The throttle's refusal, counted.
    private func tooManyFailures(_ wait: Double) -> AdminAuthenticationError {
        throttled?.increment()
        return .tooManyFailures(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
    }

    /// The throttle's state could not be read: not the client's doing, so not a 429.
    private func unavailable(_ wait: Double) -> AdminAuthenticationError {
        .unavailable(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
    }

    /// Both checks always run, so the time taken does not tell a wrong username from a wrong password.
    private func verify(_ credentials: AdminCredentials) -> Bool {
        let nameMatches = ConstantTime.equal(Array(credentials.username.utf8), Array(settings.username.utf8))
        let passwordMatches = passwordCheck(credentials.password, settings.passwordHash)
        return nameMatches && passwordMatches
    }

    private func fingerprint(_ credentials: AdminCredentials, address: String) -> CredentialFingerprint {
        fingerprints.fingerprint(address: address, username: credentials.username, password: credentials.password)
    }

    private func isCached(_ credentials: AdminCredentials, address: String, now: Double) -> Bool {
        let key = fingerprint(credentials, address: address)
        return verified.withLock { ($0[key] ?? 0) > now }
    }

    /// Only ever called for credentials that passed ``verify(_:)``.
    private func remember(_ credentials: AdminCredentials, address: String, now: Double) {
        let key = fingerprint(credentials, address: address)
        verified.withLock { cache in
            if cache.count > 64 { cache = cache.filter { $0.value > now } }
            cache[key] = now + settings.verificationCacheSeconds
        }
    }
}

/// The name and password an admin presents (HTTP Basic, parsed on the HTTP side).
///
/// Its description names the user only: the password must not reach a log through an error or a
/// `print` of the value.
public struct AdminCredentials: Sendable, Equatable, CustomStringConvertible {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var description: String { "AdminCredentials(username: \(LogText.safe(username)), password: <hidden>)" }
}

/// Why ``AdminAuthenticator`` refused a caller.
public enum AdminAuthenticationError: Error, Equatable {
    /// No credentials, or wrong ones (which of the two is never told).
    case invalidCredentials
    /// The caller's address has failed too often; it may try again after this many seconds.
    case tooManyFailures(retryAfterSeconds: Int)
    /// The throttle's state cannot be read now (a shared store that failed or is busy); the
    /// caller may try again after this many seconds.
    case unavailable(retryAfterSeconds: Int)
}
