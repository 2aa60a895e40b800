import WorkerThreads

/// Which callbacks may exchange their code at HH.
///
/// States cost nothing to mint, so `/auth/callback` with a fresh state and any code is the one
/// step of sign-in an anonymous client can repeat at will, and each costs an HH call (which HH may
/// throttle for our whole `client_id`) and a place among `HH_MAX_CONCURRENT_CALLS`. So exchanges
/// are bounded per client (an IPv6 /64 counts as one) per minute, and together they may hold only
/// part of the HH places, leaving the rest to the token refreshes signed-in users depend on. One
/// client holds at most ``perClientAtOnce`` of those places (with HH slow, a single client could
/// otherwise keep them all busy well within its budget), and one state is exchanged at most once
/// at a time. With a `shared` store (several nodes) the per-minute count is counted once across
/// the nodes (``SharedWindowCounter``); the bounds on exchanges under way stay this node's (they
/// protect its own workers and HH places).
final class CodeExchangeAdmission: Sendable {
    /// Why a callback may not exchange its code now.
    enum Refusal: Error, Equatable {
        case tooManyFromClient(retryAfterSeconds: Int)
        case tooManyAtOnce
        case stateInFlight
    }

    /// A callback's place, to hand back with ``leave(_:)``.
    struct Ticket: Sendable {
        fileprivate let client: String
        fileprivate let state: [UInt8]
    }

    /// Exchanges one client may have under way at once.
    static let perClientAtOnce = 2

    private struct State {
        var window = -1
        var perClient: [String: Int] = [:]
        var inFlight = 0
        var inFlightPerClient: [String: Int] = [:]
        var states: Set<[UInt8]> = []
    }

    private let perClientPerMinute: Int
    private let maxInFlight: Int
    private let capacity: Int
    private let state = Lock(State())
    private let shared: SharedWindowCounter?

    /// `perClientPerMinute` 0: no per-client bound at all, neither per minute nor at once
    /// (benchmarks and tests sign in from one address).
    /// Clients past `capacity` in one minute are not counted one by one (a flood of addresses must
    /// not crowd out the table and refuse everyone); `maxInFlight` still bounds them.
    init(perClientPerMinute: Int, maxInFlight: Int, capacity: Int = 10_000, shared: (any WindowCountStore)? = nil) {
        self.perClientPerMinute = max(0, perClientPerMinute)
        self.maxInFlight = max(1, maxInFlight)
        self.capacity = max(1, capacity)
        self.shared =
            perClientPerMinute > 0
            ? shared.map {
                SharedWindowCounter(
                    scope: "sign-ins", limit: perClientPerMinute, windowSeconds: 60, store: $0, capacity: capacity)
            } : nil
    }

    func enter(client: String, state stateHash: [UInt8], now: Double) throws(Refusal) -> Ticket {
        let minute = Int(now) / 60
        let refusal = state.withLock { state -> Refusal? in
            if state.window != minute {
                state.window = minute
                state.perClient.removeAll(keepingCapacity: true)
            }
            if state.states.contains(stateHash) { return .stateInFlight }
            if state.inFlight >= maxInFlight { return .tooManyAtOnce }
            if perClientPerMinute > 0, state.inFlightPerClient[client, default: 0] >= Self.perClientAtOnce {
                return .tooManyFromClient(retryAfterSeconds: 2)
            }
            if perClientPerMinute > 0, shared == nil {
                let used = state.perClient[client] ?? 0
                if used >= perClientPerMinute { return .tooManyFromClient(retryAfterSeconds: 60 - Int(now) % 60) }
                if used > 0 || state.perClient.count < capacity { state.perClient[client] = used + 1 }
            }
            state.inFlight += 1
            state.inFlightPerClient[client, default: 0] += 1
            state.states.insert(stateHash)
            return nil
        }
        if let refusal { throw refusal }
        let ticket = Ticket(client: client, state: stateHash)
        // Counted after the place is taken, outside the lock: the count may wait on the database.
        if let shared, !shared.count(client, now: Int(now)).allowed {
            leave(ticket)
            throw .tooManyFromClient(retryAfterSeconds: 60 - Int(now) % 60)
        }
        return ticket
    }

    func leave(_ ticket: Ticket) {
        state.withLock { state in
            state.inFlight -= 1
            // At most `maxInFlight` entries: one per exchange under way.
            if state.inFlightPerClient[ticket.client, default: 0] <= 1 {
                state.inFlightPerClient[ticket.client] = nil
            } else {
                state.inFlightPerClient[ticket.client]! -= 1
            }
            state.states.remove(ticket.state)
        }
    }
}
