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
/// signed in from, not the ones it has (the last `maxTrustedAddresses` of them, in memory).
/// Every failure counts toward the account whatever username it named: there is one admin
/// account, and a limit that depended on the name would tell an attacker which name is real.
///
/// Memory is bounded: at most `maxAddresses` entries in each table (each /64 at most
/// `maxFailures` timestamps) and `maxFailuresAllAddresses` timestamps for the account. A full
/// table forgets the stalest entries first; forgetting can only give an address its tries back,
/// never lock anyone out, and the bucket still bounds what those tries cost.
public final class FailedLoginThrottle: Sendable {
    /// One guard unit (IPv4 address or IPv6 /48).
    private struct Block {
        /// When this block last failed; matters for `guardedRetrySeconds`.
        var lastFailure: Double?
        /// Password checks admitted while guarded and not yet settled.
        var checking = 0
    }

    private struct State {
        /// Failure times per /64, oldest first, at most `maxFailures` each.
        var addresses: [String: [Double]] = [:]
        var blocks: [String: Block] = [:]
        /// Guard units where the right password was verified, with the time it last was.
        var trusted: [String: Double] = [:]
        var account: TimestampRing
        var bucket: VerificationBucket
    }

    /// The limits; ``Configuration/Admin`` holds the configured values.
    public struct Limits: Sendable {
        public var maxFailures: Int
        public var maxFailuresAllAddresses: Int
        public var windowSeconds: Double
        public var guardedRetrySeconds: Double = 60
        public var guardedChecksPerSecond: Double = 4
        public var maxAddresses: Int = 10_000
        public var maxTrustedAddresses: Int = 32

        public init(maxFailures: Int, maxFailuresAllAddresses: Int, windowSeconds: Double) {
            self.maxFailures = maxFailures
            self.maxFailuresAllAddresses = maxFailuresAllAddresses
            self.windowSeconds = windowSeconds
        }
    }

    private let limits: Limits
    private let state: Lock<State>

    public init(_ limits: Limits) {
        var limits = limits
        limits.maxFailures = max(1, limits.maxFailures)
        limits.maxAddresses = max(2, limits.maxAddresses)
        limits.maxTrustedAddresses = max(1, limits.maxTrustedAddresses)
        self.limits = limits
        state = Lock(
            State(
                account: TimestampRing(capacity: max(1, limits.maxFailuresAllAddresses)),
                bucket: VerificationBucket(
                    perSecond: limits.guardedChecksPerSecond, burst: limits.guardedChecksPerSecond.rounded(.up))))
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
        return state.withLock { state in
            capRefusal(state, key: key, now: now) ?? guardRefusal(state, block: block, now: now)
        }
    }

    /// Seconds until `address` is under its own cap again, or `nil` when it is: an address past
    /// its cap is refused before anything else, its guesses tested against nothing.
    public func capRetryAfter(address: String, now: Double) -> Double? {
        let key = AddressBlock.key(for: address)
        return state.withLock { state in capRefusal(state, key: key, now: now) }
    }

    /// The answer to ``admit(address:now:)``.
    public enum Admission: Sendable, Equatable {
        /// Check the password, then hand this to ``FailedLoginThrottle/settle(_:passwordWasRight:now:)``.
        case admitted(Ticket)
        /// Not now: seconds until this address may try again.
        case refused(retryAfter: Double)
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
        return state.withLock { state in
            if let wait = capRefusal(state, key: key, now: now) ?? guardRefusal(state, block: block, now: now) {
                return .refused(retryAfter: wait)
            }
            guard isGuarded(state, now: now) else { return .admitted(Ticket(key: key, block: block, reserved: false)) }
            if state.trusted[block] == nil, let wait = state.bucket.take(now: now) {
                return .refused(retryAfter: wait)
            }
            if state.blocks[block] == nil, state.blocks.count >= limits.maxAddresses { evictBlocks(&state, now: now) }
            state.blocks[block, default: Block()].checking += 1
            return .admitted(Ticket(key: key, block: block, reserved: true))
        }
    }

    /// Records the outcome of an admitted check and tells whether the account is guarded now.
    /// The right password clears the address's failures (the account's stay: they were other
    /// addresses' guesses) and makes its block trusted.
    @discardableResult
    public func settle(_ ticket: Ticket, passwordWasRight: Bool, now: Double) -> Bool {
        state.withLock { state in
            var block = state.blocks[ticket.block] ?? Block()
            if ticket.reserved { block.checking = max(0, block.checking - 1) }
            if passwordWasRight {
                state.addresses[ticket.key] = nil
                block.lastFailure = nil
                trust(ticket.block, in: &state, now: now)
            } else {
                recordFailure(key: ticket.key, in: &state, now: now)
                block.lastFailure = now
                state.account.append(now)
            }
            if block.lastFailure == nil && block.checking == 0 {
                state.blocks[ticket.block] = nil
            } else {
                if state.blocks[ticket.block] == nil, state.blocks.count >= limits.maxAddresses {
                    evictBlocks(&state, now: now)
                }
                state.blocks[ticket.block] = block
            }
            return isGuarded(state, now: now)
        }
    }

    /// How many addresses and blocks are tracked now, the larger (for tests of the memory bound).
    public var trackedAddresses: Int { state.withLock { max($0.addresses.count, $0.blocks.count) } }

    private func isGuarded(_ state: State, now: Double) -> Bool {
        state.account.isFull(after: now - limits.windowSeconds)
    }

    private func capRefusal(_ state: State, key: String, now: Double) -> Double? {
        let recent = (state.addresses[key] ?? []).filter { $0 > now - limits.windowSeconds }
        guard recent.count >= limits.maxFailures, let oldest = recent.first else { return nil }
        return oldest + limits.windowSeconds - now
    }

    private func guardRefusal(_ state: State, block key: String, now: Double) -> Double? {
        guard isGuarded(state, now: now), let block = state.blocks[key] else { return nil }
        if block.checking > 0 { return 1 }
        guard let last = block.lastFailure, last > now - limits.guardedRetrySeconds else { return nil }
        // This block may try again when its pause ends or the guard lifts, whichever comes first.
        let guardLifts = (state.account.oldest ?? now) + limits.windowSeconds
        return max(1, min(guardLifts, last + limits.guardedRetrySeconds) - now)
    }

    private func recordFailure(key: String, in state: inout State, now: Double) {
        var failures = (state.addresses[key] ?? []).filter { $0 > now - limits.windowSeconds }
        failures.append(now)
        if failures.count > limits.maxFailures { failures.removeFirst(failures.count - limits.maxFailures) }
        if state.addresses[key] == nil, state.addresses.count >= limits.maxAddresses {
            evictAddresses(&state, now: now)
        }
        state.addresses[key] = failures
    }

    private func trust(_ block: String, in state: inout State, now: Double) {
        if state.trusted[block] == nil, state.trusted.count >= limits.maxTrustedAddresses,
            let oldest = state.trusted.min(by: { $0.value < $1.value })
        {
            state.trusted[oldest.key] = nil
        }
        state.trusted[block] = now
    }

    /// Drops addresses with nothing in the window, then, if still full, the half whose last failure is oldest.
    private func evictAddresses(_ state: inout State, now: Double) {
        let since = now - limits.windowSeconds
        state.addresses = state.addresses.filter { ($0.value.last ?? 0) > since }
        guard state.addresses.count >= limits.maxAddresses else { return }
        let stalest = state.addresses.sorted { ($0.value.last ?? 0) < ($1.value.last ?? 0) }
            .prefix(state.addresses.count - limits.maxAddresses / 2)
        for (key, _) in stalest { state.addresses[key] = nil }
    }

    /// Drops blocks past their pause with no check under way (they weigh nothing), then, if still
    /// full, the half whose last failure is oldest.
    private func evictBlocks(_ state: inout State, now: Double) {
        let since = now - limits.guardedRetrySeconds
        state.blocks = state.blocks.filter { ($0.value.lastFailure ?? 0) > since || $0.value.checking > 0 }
        guard state.blocks.count >= limits.maxAddresses else { return }
        let stalest = state.blocks.filter { $0.value.checking == 0 }
            .sorted { ($0.value.lastFailure ?? 0) < ($1.value.lastFailure ?? 0) }
            .prefix(state.blocks.count - limits.maxAddresses / 2)
        for (key, _) in stalest { state.blocks[key] = nil }
    }
}
