/// One guard unit's state (an IPv4 address or IPv6 /48, ``AddressBlock/guardKey(for:)``).
struct FailedLoginBlock: Equatable, Sendable {
    /// When this block last failed; matters for `guardedRetrySeconds`.
    var lastFailure: Double?
    /// Password checks admitted while guarded and not yet settled.
    var checking = 0
}

/// The state ``FailedLoginThrottle``'s rules read and change, seen inside one critical section
/// (``FailedLoginStore/withLedger(_:)``): in this process's memory (``InMemoryFailedLogins``), or
/// in tables every node shares (`PostgreSQLFailedLogins`). The rules are the throttle's; a ledger
/// only keeps what they record.
protocol FailedLoginLedger {
    /// The /64's failures, oldest first: at most the last `maxFailures`, none cleared since.
    func failures(address key: String) throws -> [Double]
    /// The oldest of the account's last `maxFailuresAllAddresses` failures, or nil while there
    /// have been fewer.
    func oldestAccountFailure() throws -> Double?
    /// The block's state; nil when it has none.
    func block(_ key: String, now: Double) throws -> FailedLoginBlock?
    /// Whether the right password was verified from this block (one of the last `maxTrustedAddresses`).
    func isTrusted(_ block: String) throws -> Bool
    /// Takes a token of the guarded checks' bucket: nil when there was one, else the seconds until
    /// there will be.
    func takeCheck(now: Double) throws -> Double?
    /// Stores the block's state; nil forgets it.
    func save(_ block: FailedLoginBlock?, for key: String, now: Double) throws
    /// One failure, of the /64 and of the account.
    func addFailure(address key: String, now: Double) throws
    /// Forgets the /64's failures (not the account's).
    func clearFailures(address key: String) throws
    /// Makes the block trusted as of `now`.
    func trust(_ block: String, now: Double) throws
}

/// Where a ``FailedLoginThrottle`` keeps its state.
protocol FailedLoginStore: Sendable {
    /// Runs `body` on the state with no other throttle (of any node) in between; what it changed
    /// is kept when it returns, and not when it throws.
    func withLedger<T>(_ body: (any FailedLoginLedger) throws -> T) throws -> T
}
