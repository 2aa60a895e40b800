import Foundation
import GRDB
import Logging

/// The composition root: opens the database, builds the domain pieces and the router, and hands
/// out the FastCGI ``Application``. Everything it needs comes in through ``Configuration``; the
/// HH transport and the clock are the only seams.
public final class Gateway: Sendable {
    public let application: Application
    public let database: AppDatabase
    public let janitor: Janitor
    public let metrics: RequestMetrics

    public init(
        configuration: Configuration, transport: (any HHTransport)? = nil, clock: any WallClock = SystemClock(), logger: Logger
    ) throws {
        let database = try AppDatabase(path: configuration.databasePath)
        let vault = TokenVault(current: configuration.encryptionKey, old: configuration.oldEncryptionKeys)
        let tokens = HHTokenStore(vault: vault, clock: clock)
        let unknownKeys = try database.writer.read { db in try tokens.keyIDsInUse(in: db) }.filter { !vault.knows(keyID: $0) }
        if let keyID = unknownKeys.first { throw ConfigurationError("ENCRYPTION_KEY", VaultError.unknownKey(keyID).description) }

        let audit = AuditLog(clock: clock)
        let whitelist = Whitelist(clock: clock)
        try database.writer.write { db in try whitelist.seed(configuration.initialAllowedUsers, in: db) }
        let users = UserStore(clock: clock)
        let sessions = SessionStore(clock: clock, lifetimeSeconds: configuration.sessionLifetimeSeconds)
        let states = LoginStateStore(clock: clock, lifetimeSeconds: configuration.stateLifetimeSeconds)
        let codes = ExchangeCodeStore(clock: clock, lifetimeSeconds: configuration.exchangeCodeLifetimeSeconds)
        let transport =
            transport
            ?? URLSessionTransport(
                connectTimeout: configuration.headHunter.connectTimeout, requestTimeout: configuration.headHunter.requestTimeout)
        let client = HHClient(settings: configuration.headHunter, transport: transport)
        let broker = TokenBroker(
            database: database, tokens: tokens, sessions: sessions, client: client, audit: audit, clock: clock,
            leaseSeconds: configuration.headHunter.requestTimeout + 5)
        let metrics = RequestMetrics()

        var router = Router()
        HealthHandlers(probe: { database.isReadable() }, metrics: metrics, clock: clock).register(in: &router)
        LoginHandlers(
            database: database, states: states, codes: codes, users: users, whitelist: whitelist, tokens: tokens, client: client,
            audit: audit, clock: clock, clientRedirectURIs: configuration.clientRedirectURIs
        ).register(in: &router)
        SessionHandlers(
            database: database, sessions: sessions, codes: codes, users: users, whitelist: whitelist, tokens: tokens,
            broker: broker, client: client, audit: audit
        ).register(in: &router)

        self.database = database
        self.metrics = metrics
        self.janitor = Janitor(database: database, states: states, codes: codes, sessions: sessions, logger: logger)
        self.application = Application(router: router, metrics: metrics, logger: logger)
    }
}
