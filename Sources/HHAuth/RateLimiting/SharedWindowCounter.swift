import Foundation
import WorkerThreads

/// A per-key limit per fixed window counted once across nodes, through a ``WindowCountStore``,
/// without a database write per request.
///
/// Each node counts locally and adds its unflushed counts to the store with one round trip
/// (a flush) that also answers every flushed key's global total: at least once every
/// `flushIntervalSeconds` (started by the first request past the interval, which does not wait
/// for it: the flush runs in the background, on a queue of the counter's own), and before a key
/// goes past its share of what is left, a quarter of `limit` minus the last known total: that
/// request waits for the flush, up to `flushWaitSeconds` after it began, and decides on the fresh
/// total. A request is refused when the last known global total plus this node's unflushed count
/// reaches the limit. So a node never holds more than a key's share unknown to the others: with
/// up to four nodes they admit the limit, give or take the first request of a window on each
/// node (admitted before the node has learnt the key's total); with N nodes, at most N × that
/// share past it. A flush that fails keeps its counts for the next, and until one succeeds the
/// node counts by itself (the limit holds per node) and flushes only at the interval; a flush
/// that has not answered within `flushWaitSeconds` (a server that went silent) is not waited for
/// either: requests decide on what this node knows, so no request waits longer than that for the
/// store, and none but one past its share waits at all. A store that answers at once (memory,
/// ``WindowCountStore/answersAtOnce``) is flushed on the request's thread instead.
///
/// Memory is bounded by `capacity` keys: a full table forgets past windows, then the quarter of
/// keys seen least recently (a forgotten key learns its total again at its next flush; its
/// unflushed requests are not sent, which can only give it tries back).
final class SharedWindowCounter: @unchecked Sendable {
    /// How long the store keeps a window after it began: the hour's window and an hour's grace.
    static let keptSeconds = 7200

    /// What one request's count decided.
    struct Decision: Equatable {
        var allowed: Bool
        /// The requests this key has used in the window, as far as this node knows (this one's
        /// included when allowed).
        var used: Int
        /// The window's start, Unix seconds.
        var window: Int
    }

    private struct Entry {
        var window: Int
        /// The global total the last flush answered.
        var known = 0
        /// Counted here and not yet sent.
        var unflushed = 0
        /// Sent in the flush under way.
        var sending = 0
        var lastSeen: Int
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var flushing = false
        /// When the flush under way began.
        var flushStarted = ContinuousClock.now
        var lastFlush = Int.min
        /// The last flush failed: the next waits for the interval, not for a share.
        var failed = false
    }

    let limit: Int
    private let scope: String
    private let windowSeconds: Int
    private let flushIntervalSeconds: Int
    private let flushWait: Duration
    private let capacity: Int
    private let store: any WindowCountStore
    /// Logs and counts the store's failures (once per change of state in the log).
    private let monitor: SharedStateMonitor?
    /// Where flushes run when the store may wait for a server: never on a request's thread.
    private let flusher = DispatchQueue(label: "hh-auth.shared-window-counts")
    /// Guards `state`; requests past their share wait on it for the flush under way.
    private let condition = NSCondition()
    private var state = State()

    init(
        scope: String, limit: Int, windowSeconds: Int, store: any WindowCountStore, flushIntervalSeconds: Int = 1,
        flushWaitSeconds: Double = 0.5, capacity: Int = 100_000, monitor: SharedStateMonitor? = nil
    ) {
        self.monitor = monitor
        self.scope = scope
        self.limit = limit
        self.windowSeconds = max(1, windowSeconds)
        self.flushIntervalSeconds = max(1, flushIntervalSeconds)
        self.flushWait = .milliseconds(Int64(max(0, flushWaitSeconds) * 1000))
        self.capacity = max(1, capacity)
        self.store = store
    }

    /// Counts one request of `key` at Unix time `now` unless its window's limit is reached.
    func count(_ key: String, now: Int) -> Decision {
        let window = now - now % windowSeconds
        condition.lock()
        while true {
            if state.entries[key] == nil, state.entries.count >= capacity { makeRoom(window: window) }
            var entry = state.entries[key] ?? Entry(window: window, lastSeen: now)
            if entry.window != window { entry = Entry(window: window, lastSeen: now) }
            entry.lastSeen = now
            let used = entry.known + entry.sending + entry.unflushed
            guard used < limit else {
                state.entries[key] = entry
                condition.unlock()
                return Decision(allowed: false, used: used, window: window)
            }
            if entry.unflushed >= max(1, (limit - entry.known - entry.sending) / 4) && !state.failed {
                // This node's share is out: learn what the others counted before going on.
                state.entries[key] = entry
                if !state.flushing {
                    begin()
                    condition.unlock()
                    run(now: now)
                    condition.lock()
                    continue
                }
                let late = state.flushStarted + flushWait
                let left = late - ContinuousClock.now
                if left > .zero {
                    // A slow wait: the worker's running seat goes to another meanwhile.
                    let deadline = Date(timeIntervalSinceNow: Self.seconds(left))
                    _ = BlockingCall.run { condition.wait(until: deadline) }
                    continue
                }
                // The flush is late (the store does not answer): decide on what this node knows.
            }
            entry.unflushed += 1
            state.entries[key] = entry
            let flushNow = now >= state.lastFlush &+ flushIntervalSeconds && !state.flushing
            if flushNow { begin() }
            condition.unlock()
            if flushNow { run(now: now) }
            return Decision(allowed: true, used: used + 1, window: window)
        }
    }

    /// Sends what was counted here and learns the global totals, on the calling thread, once the
    /// flush under way (if any) has ended (tests; the service flushes as it counts).
    func flush(now: Int) {
        condition.lock()
        while state.flushing { condition.wait() }
        let start = state.entries.values.contains { $0.unflushed > 0 }
        if start { begin() }
        condition.unlock()
        if start { send(now: now) }
    }

    /// The keys tracked now (for tests of the memory bound).
    var trackedKeys: Int {
        condition.lock()
        defer { condition.unlock() }
        return state.entries.count
    }

    /// Marks a flush as under way; under the lock. The caller then runs it (``run(now:)``).
    private func begin() {
        state.flushing = true
        state.flushStarted = ContinuousClock.now
    }

    /// The flush ``begin()`` marked, without the lock: in the background, or here for a store
    /// that answers at once.
    private func run(now: Int) {
        if store.answersAtOnce {
            send(now: now)
        } else {
            flusher.async { [self] in send(now: now) }
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Runs with `flushing` set by the caller, without the lock.
    private func send(now: Int) {
        condition.lock()
        state.lastFlush = now
        var deltas: [WindowCountKey: Int] = [:]
        for (key, var entry) in state.entries where entry.unflushed > 0 {
            deltas[WindowCountKey(scope: scope, key: key, window: entry.window)] = entry.unflushed
            entry.sending = entry.unflushed
            entry.unflushed = 0
            state.entries[key] = entry
        }
        condition.unlock()
        let totals: [WindowCountKey: Int]? = deltas.isEmpty ? [:] : added(deltas)
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        state.flushing = false
        state.failed = totals == nil
        for (counted, delta) in deltas {
            guard var entry = state.entries[counted.key], entry.window == counted.window else { continue }
            entry.sending = 0
            if let total = totals?[counted] {
                entry.known = max(entry.known, total)
            } else {
                entry.unflushed += delta
            }
            state.entries[counted.key] = entry
        }
    }

    /// The store's totals after adding `deltas`, or nil when it failed (logged and counted).
    private func added(_ deltas: [WindowCountKey: Int]) -> [WindowCountKey: Int]? {
        do {
            let totals = try store.add(deltas)
            monitor?.succeeded()
            return totals
        } catch {
            monitor?.failed(error)
            return nil
        }
    }

    private func makeRoom(window: Int) {
        state.entries = state.entries.filter { $0.value.window == window }
        guard state.entries.count >= capacity else { return }
        let stalest = state.entries.sorted { $0.value.lastSeen < $1.value.lastSeen }
        for (key, _) in stalest.prefix(max(1, state.entries.count / 4)) { state.entries[key] = nil }
    }
}
