import Foundation
import WorkerThreads

/// Answers "can the database be read?" for `/health`, asking SQLite at most once per interval.
///
/// Load balancers poll `/health` constantly; a read per poll would cost more than everything else
/// the endpoint does. A failure is still reported within `intervalSeconds`.
final class ReadabilityProbe: Sendable {
    private let database: AppDatabase
    private let intervalSeconds: Double
    private let last = Lock<(checkedAt: Double, readable: Bool)>((-Double.infinity, false))

    init(database: AppDatabase, intervalSeconds: Double = 1) {
        self.database = database
        self.intervalSeconds = intervalSeconds
    }

    func isReadable() -> Bool {
        let now = ProcessInfo.processInfo.systemUptime
        if let cached = last.withLock({ now - $0.checkedAt < intervalSeconds ? $0.readable : nil }) { return cached }
        let readable = database.isReadable()
        last.withLock { $0 = (now, readable) }
        return readable
    }
}
