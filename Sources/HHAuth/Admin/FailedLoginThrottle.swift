import Foundation
import WorkerThreads

/// Caps password guessing against the admin account without letting anyone lock the admin out.
///
/// - **Per client address** (an IPv6 /64 counts as one, see ``AddressBlock/key(for:)``): after
///   `maxFailures` failures within `windowSeconds`, that address is refused, even with the right
///   password, until its oldest failure leaves the window.
/// - **Across all addresses**: after `maxFailuresAllAddresses` failures within the window the
///   account is *guarded*. Then addresses count by IPv4 address or IPv6 /48
///   (``AddressBlock/guardKey(for:)``): one that failed within the last `guardedRetrySeconds`
///   (or has a check under way) is refused until that pause ends, one that has not gets its
///   password checked; and all checks together take tokens from a bucket of
///   `guardedChecksPerSecond`, so no number of addresses buys more password hashing than that.
///   Addresses where the right password was verified before skip the bucket (see below).
///
/// So while guarded an attacker gets at most one guess per address (IPv6: per /48) per pause and
/// at most `guardedChecksPerSecond` guesses a second in all. The admin with the right password
/// gets in at once from an address that has not been failing, and within one pause from one that
/// has (a typo, or an attacker behind the same NAT): a pause, never a lock. An attacker flooding
/// from enough addresses can keep the bucket empty; that refuses addresses the admin has never
/// signed in from, not the ones it has (the last `maxTrustedAddresses` of them).
/// Every failure counts toward the account whatever username it named: there is one admin
/// account, and a limit that depended on the name would tell an attacker which name is real.
///
/// The state lives in a ``FailedLoginStore``: this process's memory (bounded, see
/// ``InMemoryFailedLogins``), or tables every node of a deployment shares
/// (``StorageEngine/sharedState``), so guesses spread over nodes count as on one, and a trusted
/// address is trusted by all. A store that fails (or is busy past its deadline) refuses the check
/// as ``Refusal/unavailable(retryAfter:)``: an attacker gains nothing from an outage, and the
/// admin API cannot work without the database anyway. A wrong password whose outcome the store
/// could not take is never dropped: it waits in ``UnrecordedFailures`` and is recorded first by
/// this node's next step, or by a retry in the background. Before the cache of right credentials only
/// the per-address cap is read, and only for addresses this node saw fail or refused lately
/// (``RecentFailureFilter``): a request that checks no password costs no round trip.
public final class FailedLoginThrottle: Sendable {
    /// The limits; ``Configuration/Admin`` holds the configured values.
    public struct Limits: Sendable {
        public var maxFailures: Int
        public var maxFailuresAllAddresses: Int
        public var windowSeconds: Double
        public var guardedRetrySeconds: Double = 60
        public var guardedChecksPerSecond: Double = 4
        public var maxAddresses: Int = 10_000
        public var maxTrustedAddresses: Int = 32
        /// On a shared database: steps of this node that may hold or wait for the ledger's turn
        /// at once (``Configuration/Admin/concurrentChecks``).
        public var concurrentSteps: Int = Self.defaultConcurrentSteps
        /// Half the default `WORKER_THREADS`.
        public static let defaultConcurrentSteps = 16

        public init(maxFailures: Int, maxFailuresAllAddresses: Int, windowSeconds: Double) {
            self.maxFailures = maxFailures
            self.maxFailuresAllAddresses = maxFailuresAllAddresses
            self.windowSeconds = windowSeconds
        }
    }

    /// What a refusal before a password check says to wait when the state could not be read.
    static let unavailableRetrySeconds = 5.0

    private let limits: Limits
    private let store: any FailedLoginStore
    private let recent: RecentFailureFilter
    private let monitor: SharedStateMonitor?
    private let unrecorded: UnrecordedFailures
    private let retrySeconds: Double

    public convenience init(_ limits: Limits) {
        self.init(limits, shared: nil)
    }

    /// `shared`: the nodes' common state (``SharedNodeState``); nil keeps it in memory.
    /// `monitor`: logs and counts the shared state's failures.
    /// `retrySeconds`: how often unrecorded failures are retried in the background.
    init(_ limits: Limits, shared: SharedNodeState?, monitor: SharedStateMonitor? = nil, retrySeconds: Double = 1) {
        let limits = Self.checked(limits)
        self.limits = limits
        store = shared?.failedLogins(limits) ?? InMemoryFailedLogins(limits)
        recent = RecentFailureFilter(capacity: limits.maxAddresses)
        self.monitor = monitor
        unrecorded = UnrecordedFailures(windowSeconds: limits.windowSeconds)
        self.retrySeconds = retrySeconds
    }

    /// The limits with their floors applied.
    static func checked(_ limits: Limits) -> Limits {
        var limits = limits
        limits.maxFailures = max(1, limits.maxFailures)
        limits.maxAddresses = max(2, limits.maxAddresses)
        limits.maxTrustedAddresses = max(1, limits.maxTrustedAddresses)
        limits.maxFailuresAllAddresses = max(1, limits.maxFailuresAllAddresses)
        return limits
    }

    public convenience init(
        maxFailures: Int, maxFailuresAllAddresses: Int, windowSeconds: Double, maxAddresses: Int = 10_000
    ) {
        var limits = Limits(
            maxFailures: maxFailures, maxFailuresAllAddresses: maxFailuresAllAddresses, windowSeconds: windowSeconds)
        limits.maxAddresses = maxAddresses
        self.init(limits)
    }

    /// Seconds until `address` may have a password checked, or `nil` when it may now (tokens of
    /// the bucket aside). Reserves nothing.
    public func retryAfter(address: String, now: Double) -> Double? {
        let key = AddressBlock.key(for: address)
        let block = AddressBlock.guardKey(for: address)
        return withLedger(now: now) { ledger in
            try capRefusal(ledger, key: key, now: now) ?? guardRefusal(ledger, block: block, now: now)
        } ?? 1
    }

    /// Why a check is refused before any password is looked at.
    public enum Refusal: Sendable, Equatable {
        /// The address failed too often: seconds until it may try again.
        case tooManyFailures(retryAfter: Double)
        /// The throttle's state could not be read (the shared store failed, or was busy past its
        /// deadline): seconds to wait before trying again.
        case unavailable(retryAfter: Double)
    }

    /// Whether `address` is past its own cap: an address past it is refused before anything
    /// else, its guesses tested against nothing (not even the cache of right credentials). Read
    /// from the state only for an address this node saw fail or refused lately
    /// (``RecentFailureFilter``); nil for any other.
    public func capRefusal(address: String, now: Double) -> Refusal? {
        let key = AddressBlock.key(for: address)
        guard recent.mayBeCapped(key, now: now) else { return nil }
        guard let wait = withLedger(now: now, { ledger in try capRefusal(ledger, key: key, now: now) }) else {
            return .unavailable(retryAfter: Self.unavailableRetrySeconds)
        }
        return wait.map { .tooManyFailures(retryAfter: $0) }
    }

    /// The answer to ``admit(address:now:)``.
    public enum Admission: Sendable, Equatable {
        /// Check the password, then hand this to ``FailedLoginThrottle/settle(_:passwordWasRight:now:)``.
        case admitted(Ticket)
        /// Not now: seconds until this address may try again.
        case refused(retryAfter: Double)
        /// The throttle's state could not be read: seconds to wait before trying again.
        case unavailable(retryAfter: Double)
    }

    /// One admitted password check.
    public struct Ticket: Sendable, Equatable {
        fileprivate let key: String
        fileprivate let block: String
        /// Whether the check holds its block's one try (the account was guarded).
        fileprivate let reserved: Bool
    }

    /// Admits one password check from `address`. While the account is guarded, a check under way
    /// counts as the block's try, so parallel requests from one fresh address get one guess
    /// between them, not one each; and the check takes a token of the bucket.
    public func admit(address: String, now: Double) -> Admission {
        let key = AddressBlock.key(for: address)
        let block = AddressBlock.guardKey(for: address)
        let admission = withLedger(now: now) { ledger -> Admission in
            if let wait = try capRefusal(ledger, key: key, now: now) {
                return .refused(retryAfter: wait)
            }
            if let wait = try guardRefusal(ledger, block: block, now: now) {
                return .refused(retryAfter: wait)
            }
            guard try isGuarded(ledger, now: now) else {
                return .admitted(Ticket(key: key, block: block, reserved: false))
            }
            if try !ledger.isTrusted(block), let wait = try ledger.takeCheck(now: now) {
                return .refused(retryAfter: wait)
            }
            var state = try ledger.block(block, now: now) ?? FailedLoginBlock()
            state.checking += 1
            try ledger.save(state, for: block, now: now)
            return .admitted(Ticket(key: key, block: block, reserved: true))
        }
        guard let admission else { return .unavailable(retryAfter: Self.unavailableRetrySeconds) }
        // Refused: the cap may be why, so this node reads it before the cache from now on.
        if case .refused(let wait) = admission { recent.remember(key, until: now + wait, now: now) }
        return admission
    }

    /// Records the outcome of an admitted check and tells whether the account is guarded now.
    /// The right password clears the address's failures (the account's stay: they were other
    /// addresses' guesses) and makes its block trusted.
    @discardableResult
    public func settle(_ ticket: Ticket, passwordWasRight: Bool, now: Double) -> Bool {
        // This node reads the address's cap before the cache while its failure is in the window.
        if !passwordWasRight { recent.remember(ticket.key, until: now + limits.windowSeconds, now: now) }
        if let guarded = withLedger(now: now, { ledger in try record(ticket, passwordWasRight, now: now, in: ledger) })
        {
            return guarded
        }
        // The store could not take it: a wrong password waits here to be recorded later.
        if !passwordWasRight, unrecorded.add(.init(ticket: ticket, at: now)) { retryInBackground() }
        // Unknown: sampled audit rows, as while guarded.
        return true
    }

    /// How many wrong passwords wait to be recorded in the store (tests).
    var unrecordedFailures: Int { unrecorded.count }

    /// Settles `ticket` in `ledger`; whether the account is guarded after.
    private func record(_ ticket: Ticket, _ passwordWasRight: Bool, now: Double, in ledger: any FailedLoginLedger)
        throws -> Bool
    {
        var block = try ledger.block(ticket.block, now: now) ?? FailedLoginBlock()
        if ticket.reserved { block.checking = max(0, block.checking - 1) }
        if passwordWasRight {
            try ledger.clearFailures(address: ticket.key)
            block.lastFailure = nil
            try ledger.trust(ticket.block, now: now)
        } else {
            try ledger.addFailure(address: ticket.key, now: now)
            // A failure recorded late (queued while the ledger was busy) must not move back the
            // block's last failure another node wrote since.
            block.lastFailure = max(block.lastFailure ?? now, now)
        }
        try ledger.save(block.lastFailure == nil && block.checking == 0 ? nil : block, for: ticket.block, now: now)
        return try isGuarded(ledger, now: now)
    }

    /// Records the unrecorded failures every `retrySeconds` until none is left (or the throttle
    /// is gone), so the other nodes learn them even when no request comes here.
    private func retryInBackground() {
        let pause = retrySeconds
        Thread.detachNewThread { [weak self] in
            while true {
                Thread.sleep(forTimeInterval: pause)
                guard let self, !unrecorded.retryMayEnd() else { return }
                _ = withLedger(now: nil) { _ in () }
            }
        }
    }

    /// How many addresses and blocks are tracked now, the larger (for tests of the memory bound;
    /// 0 for a shared store, whose tables the store prunes).
    public var trackedAddresses: Int { (store as? InMemoryFailedLogins)?.trackedAddresses ?? 0 }

    /// `body` on the store's state, or nil when the store failed (logged and counted). The
    /// failures left unrecorded by earlier steps are recorded first, in the same transaction
    /// (so `body` reads them), and queued again when it fails. `now`: the step's time (nil: the
    /// background retry's).
    private func withLedger<T>(now: Double?, _ body: (any FailedLoginLedger) throws -> T) -> T? {
        var taken: [UnrecordedFailures.Failure] = []
        do {
            let value = try store.withLedger { ledger in
                taken = unrecorded.takeAll(now: now)
                for failure in taken { _ = try record(failure.ticket, false, now: failure.at, in: ledger) }
                return try body(ledger)
            }
            _ = unrecorded.finished(taken, recorded: true)
            monitor?.succeeded()
            return value
        } catch {
            if unrecorded.finished(taken, recorded: false) { retryInBackground() }
            monitor?.failed(error)
            return nil
        }
    }

    private func isGuarded(_ ledger: any FailedLoginLedger, now: Double) throws -> Bool {
        guard let oldest = try ledger.oldestAccountFailure() else { return false }
        return oldest > now - limits.windowSeconds
    }

    private func capRefusal(_ ledger: any FailedLoginLedger, key: String, now: Double) throws -> Double? {
        let recent = try ledger.failures(address: key).filter { $0 > now - limits.windowSeconds }
        guard recent.count >= limits.maxFailures, let oldest = recent.first else { return nil }
        return oldest + limits.windowSeconds - now
    }

    private func guardRefusal(_ ledger: any FailedLoginLedger, block key: String, now: Double) throws -> Double? {
        guard try isGuarded(ledger, now: now), let block = try ledger.block(key, now: now) else { return nil }
        if block.checking > 0 { return 1 }
        guard let last = block.lastFailure, last > now - limits.guardedRetrySeconds else { return nil }
        // This block may try again when its pause ends or the guard lifts, whichever comes first.
        let guardLifts = (try ledger.oldestAccountFailure() ?? now) + limits.windowSeconds
        return max(1, min(guardLifts, last + limits.guardedRetrySeconds) - now)
    }
}
