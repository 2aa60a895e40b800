import Foundation
import Logging

/// The domain pieces over one database, built the same way for the service and the CLI, on
/// either engine (``EngineSource``); what only SQLite offers is reached through ``sqlite``.
public struct DomainServices: Sendable {
    /// The SQLite file when the engine is SQLite, for what only it offers (`hh-auth backup`, its
    /// readability read); `nil` on PostgreSQL.
    public let sqlite: AppDatabase?
    /// The storage engine, with the stores below.
    public let storage: any StorageEngine
    public let clock: any WallClock
    /// The stores the engine runs, with their settings; the properties below are these.
    public let stores: StoreSet
    public let vault: TokenVault
    public let termination: SessionTermination
    /// Writes the browser sessions' uses off the requests' threads (the idle timeout's bookkeeping).
    let sessionUses: SessionUseRecorder
    /// One question to the database, for `/health` (``ReadabilityProbe``): a SQLite read, or
    /// `SELECT 1` on PostgreSQL.
    let answers: @Sendable () -> Bool
    public var audit: AuditLog { stores.audit }
    public var whitelist: Whitelist { stores.whitelist }
    public var users: UserStore { stores.users }
    public var sessions: SessionStore { stores.sessions }
    public var states: LoginStateStore { stores.states }
    public var codes: ExchangeCodeStore { stores.codes }
    public var tokens: HHTokenStore { stores.tokens }
    public var revocations: RevocationQueue { stores.revocations }

    /// The services over `source`; throws what opening a PostgreSQL engine throws (a
    /// ``StorageFailure`` while the server cannot be reached, ``StorageError/newerSchema``).
    public init(
        engine source: EngineSource, vault: TokenVault, clock: any WallClock,
        sessionLifetimeSeconds: Double = 720 * 3600, sessionIdleSeconds: Double? = nil,
        stateLifetimeSeconds: Double = 600, exchangeCodeLifetimeSeconds: Double = 300, clientRedirectURIs: [String] = []
    ) throws {
        let stores = Self.stores(
            vault: vault, clock: clock, sessionLifetimeSeconds: sessionLifetimeSeconds,
            sessionIdleSeconds: sessionIdleSeconds,
            stateLifetimeSeconds: stateLifetimeSeconds, exchangeCodeLifetimeSeconds: exchangeCodeLifetimeSeconds,
            clientRedirectURIs: clientRedirectURIs)
        switch source {
        case .sqlite(let database):
            self.init(database: database, stores: stores, vault: vault, clock: clock)
        case .postgreSQL(let connectionString, let errors, let sessionCache, let logger):
            let engine = try PostgreSQLEngine(
                connectionString: connectionString, stores: stores, errors: errors?.counting(for: .postgreSQL),
                sessionCache: sessionCache, logger: logger)
            self.init(
                storage: engine, sqlite: nil, answers: { engine.answers() }, stores: stores, vault: vault, clock: clock)
        }
    }

    /// The services over a SQLite file.
    public init(
        database: AppDatabase, vault: TokenVault, clock: any WallClock, sessionLifetimeSeconds: Double = 720 * 3600,
        sessionIdleSeconds: Double? = nil, stateLifetimeSeconds: Double = 600,
        exchangeCodeLifetimeSeconds: Double = 300,
        clientRedirectURIs: [String] = []
    ) {
        self.init(
            database: database,
            stores: Self.stores(
                vault: vault, clock: clock, sessionLifetimeSeconds: sessionLifetimeSeconds,
                sessionIdleSeconds: sessionIdleSeconds,
                stateLifetimeSeconds: stateLifetimeSeconds, exchangeCodeLifetimeSeconds: exchangeCodeLifetimeSeconds,
                clientRedirectURIs: clientRedirectURIs),
            vault: vault, clock: clock)
    }

    private init(database: AppDatabase, stores: StoreSet, vault: TokenVault, clock: any WallClock) {
        self.init(
            storage: SQLiteEngine(database: database, stores: stores), sqlite: database,
            answers: { database.isReadable() }, stores: stores, vault: vault, clock: clock)
    }

    private init(
        storage: any StorageEngine, sqlite: AppDatabase?, answers: @escaping @Sendable () -> Bool, stores: StoreSet,
        vault: TokenVault, clock: any WallClock
    ) {
        self.storage = storage
        self.sqlite = sqlite
        self.answers = answers
        self.stores = stores
        self.vault = vault
        self.clock = clock
        termination = SessionTermination()
        sessionUses = SessionUseRecorder(storage: storage)
    }

    private static func stores(
        vault: TokenVault, clock: any WallClock, sessionLifetimeSeconds: Double, sessionIdleSeconds: Double?,
        stateLifetimeSeconds: Double, exchangeCodeLifetimeSeconds: Double, clientRedirectURIs: [String]
    ) -> StoreSet {
        StoreSet(
            audit: AuditLog(clock: clock), whitelist: Whitelist(clock: clock), users: UserStore(clock: clock),
            sessions: SessionStore(
                clock: clock, lifetimeSeconds: sessionLifetimeSeconds, idleTimeoutSeconds: sessionIdleSeconds),
            states: LoginStateStore(
                clock: clock, lifetimeSeconds: stateLifetimeSeconds, keys: vault.keys,
                clientRedirectURIs: clientRedirectURIs),
            codes: ExchangeCodeStore(clock: clock, lifetimeSeconds: exchangeCodeLifetimeSeconds),
            tokens: HHTokenStore(vault: vault, clock: clock),
            revocations: RevocationQueue(vault: vault, clock: clock, wake: WakeSignal()))
    }

    /// The admin operations, for the HTTP API and the CLI alike.
    public func administration() -> Administration {
        Administration(storage: storage, termination: termination)
    }

    /// Checks the admin API's credentials and audits the failures; `logger` says when a shared
    /// throttle state fails and recovers.
    public func adminAuthenticator(
        settings: Configuration.Admin, metrics: ServiceMetrics? = nil, logger: Logger? = nil
    ) -> AdminAuthenticator {
        AdminAuthenticator(settings: settings, storage: storage, clock: clock, metrics: metrics, logger: logger)
    }

    /// Adds the ids of `INITIAL_ALLOWED_USERS` to the whitelist; one an admin removed stays removed.
    public func seedWhitelist(_ hhUserIDs: [String]) throws {
        try storage.write { tx in try tx.whitelist.seed(hhUserIDs) }
    }

    /// The browser sign-in, at HH through `client`.
    /// `browserSessionLifetimeSeconds`: how long a browser sign-in's session lasts (`nil`: as any).
    /// `rateLimits`: counts the callbacks `admission` refuses.
    func loginFlow(
        client: HHClient, admission: CodeExchangeAdmission, metrics: LoginMetrics, rateLimits: RateLimitMetrics? = nil,
        logger: Logger, browserSessionLifetimeSeconds: Double? = nil
    ) -> LoginFlow {
        LoginFlow(
            storage: storage, states: states, client: client, clock: clock, failureSampler: FailureAuditSampler(),
            admission: admission, metrics: metrics, rateLimits: rateLimits, logger: logger,
            browserSessionLifetimeSeconds: browserSessionLifetimeSeconds)
    }

    /// Hands out and refreshes HH access tokens, at HH through `client`.
    func tokenBroker(client: HHClient, timing: TokenBroker.Timing, logger: Logger, metrics: ServiceMetrics? = nil)
        -> TokenBroker
    {
        TokenBroker(
            storage: storage, tokens: tokens, client: client, clock: clock, timing: timing, logger: logger,
            metrics: metrics)
    }

    /// The session API's operations, with tokens from `broker`.
    func sessionService(broker: TokenBroker) -> SessionService {
        SessionService(
            storage: storage, broker: broker, termination: termination,
            lookup: SessionLookup(storage: storage, clock: clock))
    }

    /// Admits sessions for `/auth/verify` and the account routes, live as the stores' reads count
    /// them (``SessionLiveness``).
    func sessionAccess() -> SessionAccess {
        SessionAccess(
            lookup: SessionLookup(storage: storage, clock: clock), clock: clock, liveness: sessions.liveness,
            uses: sessionUses)
    }

    /// The janitor. With a `revoker` (the service; the CLI has no HH settings) it also revokes the
    /// queued pairs at HH; with a `broker` it saves rotated pairs a failing database did not take.
    /// `idleTimeoutSeconds`: browser sessions unused that long are deleted too. `activeSessions`:
    /// the gauge the janitor keeps counting the live sessions into (the service's).
    public func janitor(
        logger: Logger, revoker: HHClient? = nil, broker: TokenBroker? = nil, idleTimeoutSeconds: Double? = nil,
        activeSessions: ActiveSessions? = nil
    ) -> Janitor {
        Janitor(
            storage: storage, tokens: tokens, revocations: revocations, logger: logger, revoker: revoker,
            broker: broker, idleTimeoutSeconds: idleTimeoutSeconds, activeSessions: activeSessions,
            sessionUses: sessionUses)
    }

    /// Refuses a key set that cannot open the stored tokens, instead of failing on every request.
    public func checkKeys() throws {
        let unknown = try storage.read { tx in
            try tx.tokens.keyIDsInUse() + tx.revocations.keyIDsInUse()
        }.filter {
            !vault.knows(keyID: $0)
        }
        if let keyID = unknown.first {
            throw ConfigurationError("ENCRYPTION_KEY", VaultError.unknownKey(keyID).description)
        }
    }
}
