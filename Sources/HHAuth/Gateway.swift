import Foundation
import GRDB
import Logging

/// The composition root of the service: opens the database, builds the domain pieces and the
/// router, and hands out the FastCGI ``Application``. Everything it needs comes in through
/// ``Configuration``; the HH transport and the clock are the only seams.
public final class Gateway: Sendable {
    public let application: Application
    public let services: DomainServices
    public let janitor: Janitor
    public let metrics: RequestMetrics

    public init(
        configuration: Configuration, transport: (any HHTransport)? = nil, clock: any WallClock = SystemClock(),
        logger: Logger
    ) throws {
        let database = try AppDatabase(path: configuration.databasePath)
        let services = DomainServices(
            database: database,
            vault: TokenVault(current: configuration.encryptionKey, old: configuration.oldEncryptionKeys),
            clock: clock, sessionLifetimeSeconds: configuration.sessionLifetimeSeconds,
            stateLifetimeSeconds: configuration.stateLifetimeSeconds,
            exchangeCodeLifetimeSeconds: configuration.exchangeCodeLifetimeSeconds)
        try services.checkKeys()
        try database.write { db in try services.whitelist.seed(configuration.initialAllowedUsers, in: db) }

        let transport = transport ?? URLSessionTransport(requestTimeout: configuration.headHunter.requestTimeout)
        let client = HHClient(settings: configuration.headHunter, transport: transport, clock: clock)
        let broker = TokenBroker(
            database: database, tokens: services.tokens, sessions: services.sessions, client: client,
            audit: services.audit,
            clock: clock, leaseSeconds: configuration.headHunter.requestTimeout + 5)
        let metrics = RequestMetrics()

        var router = Router()
        let probe = ReadabilityProbe(database: database)
        HealthHandlers(probe: { probe.isReadable() }, metrics: metrics, clock: clock).register(in: &router)
        LoginHandlers(
            database: database, states: services.states, codes: services.codes, users: services.users,
            whitelist: services.whitelist, tokens: services.tokens, client: client, audit: services.audit, clock: clock,
            clientRedirectURIs: configuration.clientRedirectURIs
        ).register(in: &router)
        SessionHandlers(
            database: database, sessions: services.sessions, codes: services.codes, users: services.users,
            whitelist: services.whitelist, broker: broker, termination: services.termination, client: client,
            audit: services.audit, lookup: SessionLookup(database: database, clock: clock)
        ).register(in: &router)
        AdminHandlers(
            authenticator: AdminAuthenticator(
                settings: configuration.admin, database: database, audit: services.audit, clock: clock),
            administration: services.administration(revoker: client), database: database, auditQuery: AuditQuery()
        ).register(in: &router)

        self.services = services
        self.metrics = metrics
        self.janitor = services.janitor(logger: logger)
        var filters: [any RequestFilter] = []
        if configuration.rateLimitPerHour > 0 {
            filters.append(
                RateLimitFilter(limiter: ClientRateLimiter(limit: configuration.rateLimitPerHour), clock: clock))
        }
        self.application = Application(router: router, metrics: metrics, logger: logger, filters: filters)
    }
}
