import WorkerThreads

/// This node's memory of which per-address cap units (``AddressBlock/key(for:)``) may be past
/// their cap: those that failed here, or that the throttle's state refused here, within the
/// window. Only they have their cap read from the state before the cache of right credentials
/// (``FailedLoginThrottle/capRefusal(address:now:)``), so a signed-in admin's calls and a flood
/// from addresses with no recent failures cost no database round trip.
///
/// On one node it knows every failure. With several, an address that failed only on other
/// nodes is read from the state at its first uncached check here (the password checks always
/// read it), and is remembered from that refusal on.
///
/// Bounded: at `capacity` entries it forgets the expired ones, and if it is still full everyone
/// reads the state until the window has passed: more round trips, never a cap missed.
final class RecentFailureFilter: Sendable {
    private struct State {
        var until: [String: Double] = [:]
        var everyoneUntil = -Double.infinity
    }

    private let state = Lock(State())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Whether `key` may be past its cap at `now`: its cap must be read from the state.
    func mayBeCapped(_ key: String, now: Double) -> Bool {
        state.withLock { state in state.everyoneUntil > now || (state.until[key] ?? -.infinity) > now }
    }

    /// Remembers that `key` may be past its cap until `until`.
    func remember(_ key: String, until: Double, now: Double) {
        state.withLock { state in
            if state.until[key] == nil, state.until.count >= capacity {
                state.until = state.until.filter { $0.value > now }
                if state.until.count >= capacity {
                    // Everyone is read for as long as any forgotten key would have been.
                    state.everyoneUntil = max(state.everyoneUntil, state.until.values.max() ?? until)
                    state.until = [:]
                }
            }
            state.until[key] = max(state.until[key] ?? -.infinity, until)
        }
    }

    /// How many keys are remembered (for tests of the memory bound).
    var count: Int { state.withLock { $0.until.count } }
}
