import Foundation
import PostgreSQL
import PostgreSQLTestSupport
import Prometheus
import Testing
import WorkerThreads

@testable import HHAuth

/// Issue 14: the per-client limits counted once across nodes (docs/scale-out.md, "The hourly
/// per-address limit, counted once"): each node counts locally and flushes deltas in batches.
@Suite("Shared rate counts")
struct SharedRateCountTests {
    let now = 1_700_000_000

    @Test func twoNodesTakingTurnsAdmitTheLimitBetweenThem() {
        let store = InMemoryWindowCounts()
        let nodes = (0..<2).map { _ in ClientRateLimiter(limit: 20, shared: store) }
        var admitted = 0
        for index in 0..<60 where nodes[index % 2].check("10.0.0.1", now: now).allowed { admitted += 1 }
        // The second node's first request is admitted before it has learnt the total.
        #expect(admitted == 21)
        // Not a round trip per request: a flush at the interval or at a share of what is left.
        #expect(store.additions < 30)
        // Another address has its own budget on either node.
        #expect(nodes[1].check("10.0.0.2", now: now).allowed)
    }

    @Test func aNodeFlushesAtOnceWhenItsUnflushedCountReachesItsShare() throws {
        let store = InMemoryWindowCounts()
        let counter = SharedWindowCounter(scope: "t", limit: 40, windowSeconds: 3600, store: store)
        // The first request of all flushes (the interval has passed since "never").
        #expect(counter.count("a", now: now).allowed)
        #expect(store.additions == 1)
        // Then within the same second: 39 left, a share of 9. Nine are counted unflushed; the
        // tenth would go past the share, so it flushes first.
        for _ in 0..<9 { _ = counter.count("a", now: now) }
        #expect(store.additions == 1)
        _ = counter.count("a", now: now)
        #expect(store.additions == 2)
        // A second later, the next request flushes whatever is unflushed (after counting).
        _ = counter.count("a", now: now)
        #expect(store.additions == 2)
        _ = counter.count("a", now: now + 1)
        #expect(store.additions == 3)
        // The store knows every request counted.
        let totals = try store.add([WindowCountKey(scope: "t", key: "a", window: now - now % 3600): 0])
        #expect(totals.values.first == 13)
    }

    @Test func anotherNodesFlushedCountsRefuseHere() {
        let store = InMemoryWindowCounts()
        let first = SharedWindowCounter(scope: "t", limit: 10, windowSeconds: 60, store: store)
        let second = SharedWindowCounter(scope: "t", limit: 10, windowSeconds: 60, store: store)
        let minute = now - now % 60
        for _ in 0..<10 { _ = first.count("a", now: minute) }
        first.flush(now: minute)
        // The second node learns the total at its first flush (its first request) and refuses
        // from then on; the request that taught it was counted before the total was known.
        #expect(second.count("a", now: minute).allowed)
        #expect(!second.count("a", now: minute).allowed)
        // The next window starts afresh.
        #expect(second.count("a", now: minute + 60).allowed)
    }

    @Test func aStoreThatFailsKeepsTheCountsForTheNextFlush() throws {
        let store = FailingWindowCounts()
        let counter = SharedWindowCounter(scope: "t", limit: 5, windowSeconds: 3600, store: store)
        store.failing.withLock { $0 = true }
        let decisions = (0..<6).map { _ in counter.count("a", now: now).allowed }
        // The node still counts by itself: the limit holds per node meanwhile.
        #expect(decisions == [true, true, true, true, true, false])
        store.failing.withLock { $0 = false }
        counter.flush(now: now + 1)
        #expect(store.inner.additions >= 1)
        let totals = try store.inner.add([WindowCountKey(scope: "t", key: "a", window: now - now % 3600): 0])
        #expect(totals.values.first == 5)
    }

    /// The interval's flush runs in the background: the request that starts it does not wait
    /// for the store (a server that is slow or silent).
    @Test func theIntervalFlushDoesNotHoldTheRequest() throws {
        let store = StalledWindowCounts()
        defer { store.release.open() }
        let counter = SharedWindowCounter(scope: "t", limit: 100, windowSeconds: 3600, store: store)
        let first = Background { [now] in counter.count("a", now: now) }
        #expect(first.finishes(withinSeconds: 5), "the request waited for its flush")
        #expect(try first.result().allowed)
        // The flush did start (and waits in the store).
        #expect(store.entered.wait(timeoutSeconds: 10))
    }

    /// A request past its share waits for the flush up to the deadline, then decides on this
    /// node's counts; so do the ones after it while the flush is late.
    @Test func aRequestPastItsShareWaitsForALateFlushNoLongerThanTheDeadline() throws {
        let store = StalledWindowCounts()
        defer { store.release.open() }
        let counter = SharedWindowCounter(
            scope: "t", limit: 8, windowSeconds: 3600, store: store, flushWaitSeconds: 0.2)
        let requests = Background { [now] in (0..<10).map { _ in counter.count("a", now: now).allowed } }
        #expect(requests.finishes(withinSeconds: 5), "a request waited for the stalled flush")
        #expect(try requests.result() == Array(repeating: true, count: 8) + [false, false])
    }

    /// A request waiting for a late flush is a slow wait (second review, N3): the worker's
    /// running seat goes to another meanwhile.
    @Test func waitingForALateFlushIsASlowWait() throws {
        let store = StalledWindowCounts()
        defer { store.release.open() }
        let counter = SharedWindowCounter(
            scope: "t", limit: 8, windowSeconds: 3600, store: store, flushWaitSeconds: 0.2)
        let requests = Background { [now] () -> Int in
            let observer = SlowWaitCount()
            BlockingCall.bind(observer)
            defer { BlockingCall.bind(nil) }
            for _ in 0..<10 { _ = counter.count("a", now: now) }
            return observer.begun
        }
        #expect(requests.finishes(withinSeconds: 5))
        #expect(try requests.result() >= 1)
    }

    /// A store that fails is counted at every flush and logged when it starts failing and when
    /// it works again, not at every flush (and a new outage at most a minute after the last).
    @Test func aFailingStoreIsLoggedOncePerChangeAndCountedEachTime() throws {
        let store = FailingWindowCounts()
        let logs = LogCapture()
        let registry = PrometheusCollectorRegistry()
        let errors = DatabaseErrorMetrics(registry: registry).counting(for: .postgreSQL)
        let uptime = Lock(0.0)
        let counter = SharedWindowCounter(
            scope: "t", limit: 100, windowSeconds: 3600, store: store,
            monitor: SharedStateMonitor(
                duty: "rate counts", meanwhile: "per node", logger: logs.logger, errors: errors,
                uptime: { uptime.withLock { $0 } })
        )
        let failing = { logs.all.filter { $0.message == "the state the nodes share cannot be reached" } }
        let recovered = { logs.all.filter { $0.message == "the state the nodes share is reachable again" } }
        store.failing.withLock { $0 = true }
        // Three flushes fail: the first count's, then two more.
        _ = counter.count("a", now: now)
        counter.flush(now: now + 1)
        counter.flush(now: now + 2)
        #expect(failing().count == 1)
        #expect(failing().first?.metadata["duty"] == "rate counts")
        #expect(failing().first?.metadata["error"] == "down")
        var exposition: [UInt8] = []
        registry.emit(into: &exposition)
        #expect(Exposition(exposition).value(#"hh_auth_database_errors_total{kind="unavailable"}"#) == 3)
        store.failing.withLock { $0 = false }
        counter.flush(now: now + 3)
        counter.flush(now: now + 4)
        #expect(recovered().count == 1)
        store.failing.withLock { $0 = true }
        uptime.withLock { $0 += 60 }
        _ = counter.count("a", now: now + 5)
        #expect(failing().count == 2)
    }

    @Test func theCountersMemoryStaysBounded() {
        let counter = SharedWindowCounter(
            scope: "t", limit: 10, windowSeconds: 3600, store: InMemoryWindowCounts(), capacity: 1_000)
        for index in 0..<20_000 { _ = counter.count("198.51.\(index / 256 % 256).\(index % 256)-\(index)", now: now) }
        #expect(counter.trackedKeys <= 1_000)
    }

    /// Two nodes on one PostgreSQL schema, each with its own connection, hammering one address at
    /// once: together they admit the limit, within the documented bound (at most a node's share
    /// of what is left past it; each alone would admit the whole limit).
    @Test func twoNodesOnPostgreSQLAdmitTheLimitOnce() throws {
        let schema = try TestSchema()
        let limit = 200
        let nodes = try (0..<2).map { _ in
            let engine = try PostgreSQLEngine(
                connectionString: schema.conninfo, stores: Fixtures.stores(clock: ManualClock()))
            return ClientRateLimiter(limit: limit, shared: try #require(engine.sharedState).windowCounts)
        }
        let admitted = Locked(0)
        let gate = Gate()
        let finished = DispatchSemaphore(value: 0)
        let threadsPerNode = 3
        for node in nodes {
            for _ in 0..<threadsPerNode {
                Thread {
                    gate.wait()
                    for _ in 0..<limit where node.check("203.0.113.9", now: now).allowed {
                        admitted.withLock { $0 += 1 }
                    }
                    finished.signal()
                }.start()
            }
        }
        gate.open()
        for _ in 0..<(nodes.count * threadsPerNode) { #expect(finished.wait(timeout: .now() + 60) == .success) }
        let total = admitted.withLock { $0 }
        #expect(total >= limit)
        #expect(total <= limit + nodes.count * (limit / 4))
        // Everything admitted reached the table once flushed.
        for node in nodes { node.flush(now: now + 1) }
        let connection = try schema.connect()
        defer { connection.close() }
        let stored = try connection.execute("SELECT sum(count) FROM rate_counts WHERE key = '203.0.113.9'")
        #expect(try stored.first?.int64(0) == Int64(total))
    }

    /// A flush after a flood of clients goes in statements of at most
    /// ``PostgreSQLWindowCounts/maxKeysPerStatement`` keys, and answers every key's total.
    @Test func aFlushOfManyKeysAnswersEveryTotal() throws {
        let schema = try TestSchema()
        let engine = try PostgreSQLEngine(
            connectionString: schema.conninfo, stores: Fixtures.stores(clock: ManualClock()))
        let store = try #require(engine.sharedState).windowCounts
        let count = PostgreSQLWindowCounts.maxKeysPerStatement * 2 + 500
        let keys = (0..<count).map { WindowCountKey(scope: "hourly", key: "k\($0)", window: now) }
        let first = try store.add(Dictionary(uniqueKeysWithValues: keys.map { ($0, 1) }))
        #expect(first.count == count && first.values.allSatisfy { $0 == 1 })
        let second = try store.add(Dictionary(uniqueKeysWithValues: keys.map { ($0, 2) }))
        #expect(second.count == count && second.values.allSatisfy { $0 == 3 })
    }

    @Test func signInsPerMinuteAreCountedOnceAcrossNodes() throws {
        let store = InMemoryWindowCounts()
        let nodes = (0..<2).map { _ in CodeExchangeAdmission(perClientPerMinute: 6, maxInFlight: 8, shared: store) }
        var admitted = 0
        for index in 0..<12 {
            if let ticket = try? nodes[index % 2].enter(client: "c", state: [UInt8(index)], now: 60) {
                admitted += 1
                nodes[index % 2].leave(ticket)
            }
        }
        // As above: the second node's first request is admitted before it knows the total.
        #expect(admitted == 7)
        // Refused with the minute's rest, as on one node.
        #expect(throws: CodeExchangeAdmission.Refusal.tooManyFromClient(retryAfterSeconds: 50)) {
            try nodes[0].enter(client: "c", state: [99], now: 70)
        }
        // The bounds on exchanges under way stay per node: a refused count gave its place back.
        let first = try nodes[1].enter(client: "d", state: [100], now: 70)
        _ = try nodes[1].enter(client: "d", state: [101], now: 70)
        #expect(throws: CodeExchangeAdmission.Refusal.tooManyFromClient(retryAfterSeconds: 2)) {
            try nodes[1].enter(client: "d", state: [102], now: 70)
        }
        nodes[1].leave(first)
    }
}

/// A store that fails on demand, around an in-memory one.
private final class FailingWindowCounts: WindowCountStore {
    let inner = InMemoryWindowCounts()
    let failing = Locked(false)
    /// Memory, failing or not: flushed on the counting thread, so a test sees each flush's outcome.
    var answersAtOnce: Bool { true }

    func add(_ counts: [WindowCountKey: Int]) throws -> [WindowCountKey: Int] {
        if failing.withLock({ $0 }) { throw StorageFailure(.unavailable, cause: "down") }
        return try inner.add(counts)
    }
}

/// A store whose adds wait until released (a server that does not answer); `entered` opens at the first.
private final class StalledWindowCounts: WindowCountStore {
    let inner = InMemoryWindowCounts()
    let entered = Gate()
    let release = Gate()

    func add(_ counts: [WindowCountKey: Int]) throws -> [WindowCountKey: Int] {
        entered.open()
        release.wait(timeoutSeconds: 60)
        return try inner.add(counts)
    }
}
