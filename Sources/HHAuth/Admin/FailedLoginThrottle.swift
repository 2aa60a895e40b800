import FastCGI

/// Caps password guessing against the admin account without letting anyone lock the admin out.
///
/// - **Per client address** (an IPv6 /64 counts as one, see ``AddressBlock``): after
///   `maxFailures` failures within `windowSeconds`, that address is refused, even with the right
///   password, until its oldest failure leaves the window.
/// - **Across all addresses**: after `maxFailuresAllAddresses` failures within the window the
///   account is *guarded*: an address with a failure (or a check under way) in the window is
///   refused, while an address without one still gets its password checked, once.
///
/// So an attacker spread over many addresses gets at most `maxFailuresAllAddresses` guesses plus
/// one per fresh address per window, and the admin at an address that has not been failing, with
/// the right password, always gets in. Every failure counts toward the account whatever username
/// it named: there is one admin account, and a limit that depended on the name would tell an
/// attacker which name is real.
///
/// Memory is bounded: at most `maxAddresses` addresses (each at most `maxFailures` timestamps) and
/// `maxFailuresAllAddresses` timestamps for the account. A full table forgets the stalest
/// addresses first; forgetting can only give an address its tries back, never lock anyone out.
public final class FailedLoginThrottle: Sendable {
    private struct Address {
        /// Failure times, oldest first, at most `maxFailures`.
        var failures: [Double] = []
        /// Password checks admitted while guarded and not yet settled.
        var checking = 0
    }

    private struct State {
        var addresses: [String: Address] = [:]
        var account: TimestampRing
    }

    private let maxFailures: Int
    private let windowSeconds: Double
    private let maxAddresses: Int
    private let state: Lock<State>

    public init(maxFailures: Int, maxFailuresAllAddresses: Int, windowSeconds: Double, maxAddresses: Int = 10_000) {
        self.maxFailures = max(1, maxFailures)
        self.windowSeconds = windowSeconds
        self.maxAddresses = max(2, maxAddresses)
        state = Lock(State(account: TimestampRing(capacity: max(1, maxFailuresAllAddresses))))
    }

    /// Seconds until `address` may try again, or `nil` when it may try now. Reserves nothing: for
    /// requests that present no password.
    public func retryAfter(address: String, now: Double) -> Double? {
        let key = AddressBlock.key(for: address)
        return state.withLock { state in refusal(state, key: key, now: now) }
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
        /// Whether the check holds the address's one try (the account was guarded).
        fileprivate let reserved: Bool
    }

    /// Admits one password check from `address`. While the account is guarded, a check under way
    /// counts as the address's try, so parallel requests from one fresh address get one guess
    /// between them, not one each.
    public func admit(address: String, now: Double) -> Admission {
        let key = AddressBlock.key(for: address)
        return state.withLock { state in
            if let wait = refusal(state, key: key, now: now) { return .refused(retryAfter: wait) }
            guard state.account.isFull(after: now - windowSeconds) else {
                return .admitted(Ticket(key: key, reserved: false))
            }
            if state.addresses[key] == nil, state.addresses.count >= maxAddresses { evict(&state, now: now) }
            state.addresses[key, default: Address()].checking += 1
            return .admitted(Ticket(key: key, reserved: true))
        }
    }

    /// Records the outcome of an admitted check. The right password clears the address's failures
    /// (the account's stay: they were other addresses' guesses).
    public func settle(_ ticket: Ticket, passwordWasRight: Bool, now: Double) {
        state.withLock { state in
            var entry = state.addresses[ticket.key] ?? Address()
            if ticket.reserved { entry.checking = max(0, entry.checking - 1) }
            if passwordWasRight {
                entry.failures = []
            } else {
                entry.failures = entry.failures.filter { $0 > now - windowSeconds }
                entry.failures.append(now)
                if entry.failures.count > maxFailures { entry.failures.removeFirst(entry.failures.count - maxFailures) }
                state.account.append(now)
            }
            if entry.failures.isEmpty && entry.checking == 0 {
                state.addresses[ticket.key] = nil
                return
            }
            if state.addresses[ticket.key] == nil, state.addresses.count >= maxAddresses { evict(&state, now: now) }
            state.addresses[ticket.key] = entry
        }
    }

    /// How many addresses are tracked now (for tests of the memory bound).
    public var trackedAddresses: Int { state.withLock { $0.addresses.count } }

    private func refusal(_ state: State, key: String, now: Double) -> Double? {
        let since = now - windowSeconds
        let entry = state.addresses[key] ?? Address()
        let recent = entry.failures.filter { $0 > since }
        if recent.count >= maxFailures, let oldest = recent.first { return oldest + windowSeconds - now }
        guard state.account.isFull(after: since), !recent.isEmpty || entry.checking > 0 else { return nil }
        // Guarded: this address may try again when its own failures age out or the guard lifts.
        let guardLifts = (state.account.oldest ?? now) + windowSeconds
        let addressClean = (recent.last ?? now) + windowSeconds
        return max(1, min(guardLifts, recent.isEmpty ? now + 1 : addressClean) - now)
    }

    /// Drops addresses with nothing in the window, then, if still full, the half whose last failure is oldest.
    private func evict(_ state: inout State, now: Double) {
        let since = now - windowSeconds
        state.addresses = state.addresses.filter { ($0.value.failures.last ?? 0) > since || $0.value.checking > 0 }
        guard state.addresses.count >= maxAddresses else { return }
        let stalest = state.addresses.sorted { ($0.value.failures.last ?? 0) < ($1.value.failures.last ?? 0) }
            .prefix(state.addresses.count - maxAddresses / 2)
        for (key, _) in stalest { state.addresses[key] = nil }
    }
}
