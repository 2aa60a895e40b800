import HTTPCore
import WorkerThreads

/// Requests per client address per fixed hour window (nginx cannot express hours; it does the
/// per-minute limit). The client address is `REMOTE_ADDR` only: a forged `X-Forwarded-For` changes
/// nothing. An IPv6 client counts by its /64 (``AddressBlock/key(for:)``, the unit the admin
/// throttle counts too): one host holds a whole /64, and counting its single addresses would let
/// it pose as 2^64 clients.
///
/// Memory is bounded: the table is split into shards of at most `capacity / shardCount` addresses.
/// A full shard first forgets addresses from past windows, then its least recently seen ones, so
/// a flood of distinct addresses costs a bounded amount of memory (and, at worst, lets a forgotten
/// address start counting again).
///
/// With a `shared` store (several nodes on one PostgreSQL) an address's requests are counted once
/// across the nodes (``SharedWindowCounter``); without one, in this process's memory.
public final class ClientRateLimiter: Sendable {
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var limit: Int
        public var remaining: Int
        /// Unix time when the window ends.
        public var resetAt: Int
    }

    private struct Entry: Sendable {
        var window: Int
        var count: Int
        var lastSeen: Int
    }

    private let limit: Int
    private let windowSeconds: Int
    private let shardCapacity: Int
    private let shards: [Shard]
    private let shared: SharedWindowCounter?

    private final class Shard: Sendable {
        let table = Lock<[String: Entry]>([:])
    }

    /// `shared`: the store the nodes count in together (``StorageEngine/sharedState``), nil to
    /// count in memory.
    public convenience init(
        limit: Int, windowSeconds: Int = 3600, capacity: Int = 100_000, shardCount: Int = 16,
        shared: (any WindowCountStore)? = nil
    ) {
        self.init(
            limit: limit, windowSeconds: windowSeconds, capacity: capacity, shardCount: shardCount, shared: shared,
            monitor: nil)
    }

    /// `monitor`: logs and counts the shared store's failures.
    init(
        limit: Int, windowSeconds: Int = 3600, capacity: Int = 100_000, shardCount: Int = 16,
        shared: (any WindowCountStore)?, monitor: SharedStateMonitor?
    ) {
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.shardCapacity = max(1, capacity / shardCount)
        self.shards = (0..<shardCount).map { _ in Shard() }
        self.shared = shared.map {
            SharedWindowCounter(
                scope: "hourly", limit: limit, windowSeconds: windowSeconds, store: $0, capacity: capacity,
                monitor: monitor)
        }
    }

    /// Counts one request from `address` (its /64 when IPv6) at Unix time `now`.
    public func check(_ address: String, now: Int) -> Decision {
        let address = AddressBlock.key(for: address)
        if let shared {
            let counted = shared.count(address, now: now)
            return Decision(
                allowed: counted.allowed, limit: limit, remaining: max(0, limit - counted.used),
                resetAt: counted.window + windowSeconds)
        }
        let window = now - now % windowSeconds
        let resetAt = window + windowSeconds
        let shard = shards[Int(UInt(bitPattern: address.hashValue) % UInt(shards.count))]
        return shard.table.withLock { table in
            var entry = table[address] ?? Entry(window: window, count: 0, lastSeen: now)
            if entry.window != window { entry = Entry(window: window, count: 0, lastSeen: now) }
            if table[address] == nil && table.count >= shardCapacity { Self.makeRoom(in: &table, window: window) }
            entry.lastSeen = now
            guard entry.count < limit else {
                table[address] = entry
                return Decision(allowed: false, limit: limit, remaining: 0, resetAt: resetAt)
            }
            entry.count += 1
            table[address] = entry
            return Decision(allowed: true, limit: limit, remaining: limit - entry.count, resetAt: resetAt)
        }
    }

    private static func makeRoom(in table: inout [String: Entry], window: Int) {
        table = table.filter { $0.value.window == window }
        guard table.count >= 1 else { return }
        // Still full of current-window addresses: drop the quarter seen least recently.
        let keep = table.count * 3 / 4
        if table.count > keep {
            for (key, _) in table.sorted(by: { $0.value.lastSeen < $1.value.lastSeen }).prefix(table.count - keep) {
                table[key] = nil
            }
        }
    }

    /// How many addresses are tracked now (for tests of the memory bound).
    public var trackedAddresses: Int {
        if let shared { return shared.trackedKeys }
        return shards.reduce(0) { total, shard in total + shard.table.withLock { $0.count } }
    }

    /// Sends the counts not yet in the shared store (nothing to do without one).
    func flush(now: Int) { shared?.flush(now: now) }
}

/// The service-side limit as a ``RequestFilter``: `X-RateLimit-*` on every answer of a limited
/// route, 429 with `Retry-After` past the limit. `/health` and `/metrics` are exempt.
public struct RateLimitFilter: RequestFilter {
    let limiter: ClientRateLimiter
    let clock: any WallClock
    /// `hh_auth_rate_limited_total{limiter="client"}`; touched only by a refusal.
    let refusals: RateLimitMetrics?
    /// `/auth/verify` answers nginx's `auth_request`, which turns a 429 into a 500 for the user and
    /// runs once per protected request (a page's every asset): nginx's own limits guard it.
    static let exempt: Set<String> = ["/health", "/metrics", "/auth/verify", "/auth/verify/{group}"]

    public init(limiter: ClientRateLimiter, clock: any WallClock, refusals: RateLimitMetrics? = nil) {
        self.limiter = limiter
        self.clock = clock
        self.refusals = refusals
    }

    public func check(_ request: HTTPRequest, endpoint: String) throws -> [HTTPHeader] {
        guard !Self.exempt.contains(endpoint) else { return [] }
        let now = Int(clock.now().timeIntervalSince1970)
        let decision = limiter.check(request.clientAddress, now: now)
        let headers = [
            HTTPHeader("X-RateLimit-Limit", String(decision.limit)),
            HTTPHeader("X-RateLimit-Remaining", String(decision.remaining)),
            HTTPHeader("X-RateLimit-Reset", String(decision.resetAt)),
        ]
        guard decision.allowed else {
            refusals?.refused(.client)
            throw HTTPError(
                429, "Rate limit exceeded",
                headers: headers + [HTTPHeader("Retry-After", String(max(1, decision.resetAt - now)))])
        }
        return headers
    }
}
