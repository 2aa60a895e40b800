import WorkerThreads

/// A ``WindowCountStore`` in one process's memory: what the counters of one process share when
/// there is no database to share them through (tests give two counters one of these to play two
/// nodes). Windows more than ``SharedWindowCounter/keptSeconds`` old are forgotten as new ones come.
public final class InMemoryWindowCounts: WindowCountStore {
    private let counts = Lock<[WindowCountKey: Int]>([:])
    /// How many times ``add(_:)`` was called: the round trips a database would have had.
    public var additions: Int { additionCount.withLock { $0 } }
    private let additionCount = Lock(0)

    public init() {}

    /// Memory: flushing into it costs a request nothing.
    public var answersAtOnce: Bool { true }

    public func add(_ deltas: [WindowCountKey: Int]) throws -> [WindowCountKey: Int] {
        additionCount.withLock { $0 += 1 }
        return counts.withLock { counts in
            if let newest = deltas.keys.map(\.window).max() {
                counts = counts.filter { $0.key.window >= newest - SharedWindowCounter.keptSeconds }
            }
            var totals: [WindowCountKey: Int] = [:]
            for (key, delta) in deltas {
                counts[key, default: 0] += delta
                totals[key] = counts[key]
            }
            return totals
        }
    }
}
