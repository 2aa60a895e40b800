import WorkerThreads

/// Wrong passwords this node checked but could not record in the shared ledger (its step failed,
/// or waited past its deadline): kept here until a later step records them. An attacker who keeps
/// the ledger busy must not get guesses nobody counts, so none is dropped while it still counts
/// (inside the window).
///
/// Every step of this node's throttle first records what is queued here, inside its own
/// transaction; a background retry (``FailedLoginThrottle``) does the same when no request comes,
/// so the other nodes learn them too. Bounded: wrong passwords cost a password hash each, so a
/// node checks a few dozen a second at most; past `capacity` the oldest go first.
final class UnrecordedFailures: Sendable {
    /// One wrong password: the ticket it was checked on and when.
    struct Failure: Sendable, Equatable {
        let ticket: FailedLoginThrottle.Ticket
        let at: Double
    }

    private struct State {
        var failures: [Failure] = []
        /// Taken by a step under way, not yet known recorded.
        var sending = 0
        /// Whether a background retry is under way (it ends when nothing is left).
        var retrying = false
    }

    private let capacity: Int
    private let windowSeconds: Double
    private let state = Lock(State())

    init(capacity: Int = 100_000, windowSeconds: Double) {
        self.capacity = max(1, capacity)
        self.windowSeconds = windowSeconds
    }

    /// Queues one failure. True when the caller must start the background retry.
    func add(_ failure: Failure) -> Bool {
        state.withLock { state in Self.queue([failure], in: &state, capacity: capacity) }
    }

    /// Takes everything queued, oldest first, but what no longer counts at `now` (nil: at the
    /// newest queued, for a retry that knows no request's time). Hand them back to
    /// ``finished(_:recorded:)``.
    func takeAll(now: Double?) -> [Failure] {
        state.withLock { state in
            defer { state.failures = [] }
            guard let now = now ?? state.failures.map(\.at).max() else { return [] }
            let taken = state.failures.filter { $0.at > now - windowSeconds }
            state.sending += taken.count
            return taken
        }
    }

    /// The step that took `failures` ended: they are recorded, or queued again. True when the
    /// caller must start the background retry.
    func finished(_ failures: [Failure], recorded: Bool) -> Bool {
        guard !failures.isEmpty else { return false }
        return state.withLock { state in
            state.sending -= failures.count
            return recorded ? false : Self.queue(failures, in: &state, capacity: capacity)
        }
    }

    /// Whether the background retry may end: true (and it is marked ended) when nothing is queued.
    func retryMayEnd() -> Bool {
        state.withLock { state in
            guard state.failures.isEmpty else { return false }
            state.retrying = false
            return true
        }
    }

    /// How many wait to be recorded (queued, or taken by a step under way).
    var count: Int { state.withLock { $0.failures.count + $0.sending } }

    private static func queue(_ failures: [Failure], in state: inout State, capacity: Int) -> Bool {
        state.failures.append(contentsOf: failures)
        if state.failures.count > capacity { state.failures.removeFirst(state.failures.count - capacity) }
        defer { state.retrying = true }
        return !state.retrying
    }
}
