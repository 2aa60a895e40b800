import WorkerThreads

/// Caps how many worker threads may wait on HeadHunter at once. Past the cap a call fails at
/// once (503) instead of queueing, so a hanging HH cannot take every worker and starve `/health`.
final class ConcurrencyLimit: Sendable {
    private let limit: Int
    private let inUse = Lock(0)

    init(_ limit: Int) {
        self.limit = max(1, limit)
    }

    func tryAcquire() -> Bool {
        inUse.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() {
        inUse.withLock { $0 -= 1 }
    }
}
