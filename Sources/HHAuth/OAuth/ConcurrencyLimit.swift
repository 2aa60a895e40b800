import Prometheus
import WorkerThreads

/// Caps how many worker threads may wait on HeadHunter at once. Past the cap a call fails at
/// once (503) instead of queueing, so a hanging HH cannot take every worker and starve `/health`.
final class ConcurrencyLimit: Sendable {
    private let limit: Int
    private let inUse = Lock(0)
    /// `hh_auth_rate_limited_total{limiter="hh_concurrency"}`.
    private let refusals: Prometheus.Counter?

    init(_ limit: Int, refusals: Prometheus.Counter? = nil) {
        self.limit = max(1, limit)
        self.refusals = refusals
    }

    func tryAcquire() -> Bool {
        let acquired = inUse.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        if !acquired { refusals?.increment() }
        return acquired
    }

    func release() {
        inUse.withLock { $0 -= 1 }
    }
}
