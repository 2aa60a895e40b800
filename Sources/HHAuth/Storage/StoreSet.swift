/// The stores with their settings (clock, lifetimes, vault), built once and handed to the
/// storage engine, whose transactions run their operations (``StoreReads``, ``StoreWrites``).
public final class StoreSet: Sendable {
    public let audit: AuditLog
    public let whitelist: Whitelist
    public let users: UserStore
    public let sessions: SessionStore
    public let states: LoginStateStore
    public let codes: ExchangeCodeStore
    public let tokens: HHTokenStore
    public let revocations: RevocationQueue

    public init(
        audit: AuditLog, whitelist: Whitelist, users: UserStore, sessions: SessionStore, states: LoginStateStore,
        codes: ExchangeCodeStore, tokens: HHTokenStore, revocations: RevocationQueue
    ) {
        self.audit = audit
        self.whitelist = whitelist
        self.users = users
        self.sessions = sessions
        self.states = states
        self.codes = codes
        self.tokens = tokens
        self.revocations = revocations
    }
}
