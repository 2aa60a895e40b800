import Foundation
import HTTPCore
import Logging

/// The composition root of the service: opens the database, builds the domain pieces and the
/// router, and hands out the ``Application`` that `hh-auth serve` serves. Everything it needs comes
/// in through ``Configuration``; the HH transport and the clock are the only seams.
public final class Gateway: Sendable {
    public let application: Application
    public let services: DomainServices
    public let janitor: Janitor
    public let metrics: ServiceMetrics
    /// Where a browser sign-in or sign-out may send the browser back to (`?rd=`).
    public let returnTargets: ReturnTargetPolicy
    private let broker: TokenBroker
    private let logger: Logger

    public init(
        configuration: Configuration, transport: (any HHTransport)? = nil, clock: any WallClock = SystemClock(),
        logger: Logger
    ) throws {
        let returnTargets = try Self.returnTargets(for: configuration)
        let metrics = ServiceMetrics()
        let services = try DomainServices(
            engine: try Self.engineSource(
                configuration.database, errors: metrics.databaseErrors,
                sessionCache: configuration.sessionCacheMilliseconds > 0
                    ? SessionCacheSettings(
                        staleness: .milliseconds(configuration.sessionCacheMilliseconds), logger: logger,
                        metrics: metrics.sessionCache) : nil,
                logger: logger),
            vault: TokenVault(current: configuration.encryptionKey, old: configuration.oldEncryptionKeys),
            clock: clock, sessionLifetimeSeconds: configuration.sessionLifetimeSeconds,
            sessionIdleSeconds: configuration.browserSessions.idleTimeoutSeconds,
            stateLifetimeSeconds: configuration.stateLifetimeSeconds,
            exchangeCodeLifetimeSeconds: configuration.exchangeCodeLifetimeSeconds,
            clientRedirectURIs: configuration.clientRedirectURIs)
        try services.checkKeys()
        try services.seedWhitelist(configuration.initialAllowedUsers)

        let transport = transport ?? URLSessionTransport(requestTimeout: configuration.headHunter.requestTimeout)
        let client = HHClient(
            settings: configuration.headHunter, transport: transport, clock: clock, logger: logger, metrics: metrics)
        let broker = services.tokenBroker(
            client: client, timing: Self.refreshTiming(hhTimeoutSeconds: configuration.headHunter.requestTimeout),
            logger: logger, metrics: metrics)

        var router = Router()
        let probe = ReadabilityProbe(check: services.answers)
        HealthHandlers(probe: { probe.isReadable() }, metrics: metrics, clock: clock).register(in: &router)
        let browser = configuration.browserSessions
        let cookie = SessionCookie(
            domain: browser.cookieDomain,
            lifetimeSeconds: browser.lifetimeSeconds ?? configuration.sessionLifetimeSeconds)
        LoginHandlers(
            flow: services.loginFlow(
                client: client,
                admission: CodeExchangeAdmission(
                    perClientPerMinute: configuration.signInsPerClientPerMinute,
                    maxInFlight: configuration.headHunter.maxConcurrentCalls / 2,
                    shared: services.storage.sharedState?.windowCounts),
                metrics: metrics.logins, rateLimits: metrics.rateLimits, logger: logger,
                browserSessionLifetimeSeconds: browser.lifetimeSeconds),
            returnTargets: returnTargets, sessionCookie: cookie
        ).register(in: &router)
        let sessionService = services.sessionService(broker: broker)
        SessionHandlers(service: sessionService).register(in: &router)
        let authentication = SessionCallerAuthentication(
            access: services.sessionAccess(), cookie: cookie,
            signIn: SignInLocation(returnTargets: returnTargets))
        VerifyHandlers(
            authentication: authentication, service: sessionService, passAccessToken: browser.passAccessToken
        ).register(in: &router)
        AccountHandlers(
            authentication: authentication, service: sessionService, cookie: cookie,
            returnTargets: returnTargets
        ).register(in: &router)
        AdminHandlers(
            authenticator: services.adminAuthenticator(settings: configuration.admin, metrics: metrics, logger: logger),
            administration: services.administration()
        ).register(in: &router)

        self.services = services
        self.returnTargets = returnTargets
        self.metrics = metrics
        let janitor = services.janitor(
            logger: logger, revoker: client, broker: broker, idleTimeoutSeconds: browser.idleTimeoutSeconds,
            activeSessions: metrics.activeSessions)
        // The gauge holds the count from the start; the janitor's thread keeps it current.
        try janitor.countSessions()
        self.janitor = janitor
        self.broker = broker
        self.logger = logger
        var filters: [any RequestFilter] = []
        if configuration.rateLimitPerHour > 0 {
            filters.append(
                RateLimitFilter(
                    limiter: ClientRateLimiter(
                        limit: configuration.rateLimitPerHour, shared: services.storage.sharedState?.windowCounts,
                        monitor: SharedStateMonitor(
                            duty: "rate counts", meanwhile: "RATE_LIMIT_PER_HOUR counted per node", logger: logger,
                            errors: metrics.databaseErrors.counting(for: .postgreSQL))),
                    clock: clock,
                    refusals: metrics.rateLimits))
        }
        Self.requireRouteTable(router)
        self.application = Application(router: router, metrics: metrics.requests, logger: logger, filters: filters)
    }

    /// The selected database as the engine opens it: a SQLite file is created and migrated here
    /// when missing; PostgreSQL is connected to and migrated by ``DomainServices``.
    static func engineSource(
        _ database: DatabaseSelection, errors: DatabaseErrorMetrics, sessionCache: SessionCacheSettings?,
        logger: Logger? = nil
    ) throws -> EngineSource {
        switch database {
        case .sqlite(let path): .sqlite(try AppDatabase(path: path, errors: errors))
        case .postgreSQL(let connectionString):
            .postgreSQL(connectionString: connectionString, errors: errors, sessionCache: sessionCache, logger: logger)
        }
    }

    /// Where sign-ins may return to, from settings that must agree with each other: this site's
    /// origin (`HH_REDIRECT_URI`), `COOKIE_DOMAIN` around it, `ALLOWED_REDIRECT_HOSTS`. The last
    /// settings check before `serve` opens anything (`hh-auth doctor` runs it too).
    public static func returnTargets(for configuration: Configuration) throws(ConfigurationError) -> ReturnTargetPolicy
    {
        guard let site = SiteOrigin(url: configuration.headHunter.redirectURI) else {
            throw ConfigurationError("HH_REDIRECT_URI", "must be an absolute http(s) URL without user information")
        }
        if let domain = configuration.browserSessions.cookieDomain, !("." + site.host).hasSuffix(domain) {
            // The browser would drop every session cookie, and verify would send it round to sign in forever.
            throw ConfigurationError(
                "COOKIE_DOMAIN",
                "must be a parent domain of HH_REDIRECT_URI's host \(site.host), where the cookie is set")
        }
        return ReturnTargetPolicy(site: site, allowedHosts: configuration.allowedRedirectHosts)
    }

    /// How long refreshes wait. The lease outlasts everything its holder may still do with the spent
    /// refresh token (one HH call, the save retries, a last busy wait), so another process never
    /// presents it meanwhile; a caller waits for someone else's refresh about as long as for HH.
    static func refreshTiming(hhTimeoutSeconds: Double) -> TokenBroker.Timing {
        let saveRetrySeconds = 10.0
        return TokenBroker.Timing(
            leaseSeconds: hhTimeoutSeconds + saveRetrySeconds + AppDatabase.defaultBusyTimeoutSeconds + 5,
            flightWaitSeconds: hhTimeoutSeconds + 5, saveRetrySeconds: saveRetrySeconds)
    }

    /// Stops the janitor, writes the browser sessions' noted uses, and makes a last attempt to save
    /// rotated HH pairs that only memory holds: the service calls it once the server has stopped,
    /// before it exits. Bounded by `budgetSeconds` (the unit's `TimeoutStopSec` leaves room for it).
    public func finish(budgetSeconds: Double = 12) {
        janitor.stop()
        let deadline = Date().addingTimeInterval(budgetSeconds)
        // The rotated pairs first: one lost makes its user sign in again, a lost use only moves
        // an idle timeout earlier.
        let kept = broker.unsavedPairCount
        if kept > 0 {
            logger.warning("saving rotated HH token pairs kept in memory before exit", metadata: ["pairs": "\(kept)"])
            let unsaved = broker.saveUnsavedPairs(deadline: deadline)
            if unsaved > 0 {
                logger.critical(
                    "exiting with rotated HH token pairs the database did not take: their users must sign in again",
                    metadata: ["pairs": "\(unsaved)"])
            }
        }
        // Then the browser sessions' last uses noted and not yet written (a busy timeout's wait
        // at most).
        do {
            try services.sessionUses.flush()
        } catch {
            logger.warning(
                "exiting with browser session uses not written: those sessions may time out for idleness early",
                metadata: ["error": "\(ErrorMapping.cause(of: error))"])
        }
    }
}
