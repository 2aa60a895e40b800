import Foundation
import WorkerThreads

/// One refresh in progress for one user; threads that arrive while it runs wait for its result
/// instead of calling HH again (HH refresh tokens are single-use).
final class RefreshFlight: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<HHTokenRecord, any Error>?

    func finish(_ result: Result<HHTokenRecord, any Error>) {
        condition.lock()
        self.result = result
        condition.broadcast()
        condition.unlock()
    }

    /// The leader's result, or ``TokenRefreshError/stillInProgress`` once `deadline` passes: a
    /// waiter holds a worker thread, so it never waits longer than the caller would for HH itself.
    func wait(until deadline: Date) throws -> HHTokenRecord {
        // As long as the leader's call to HH: let another worker serve requests meanwhile.
        try BlockingCall.run {
            condition.lock()
            defer { condition.unlock() }
            while result == nil {
                guard condition.wait(until: deadline) || result != nil else { throw TokenRefreshError.stillInProgress }
            }
            return try result!.get()
        }
    }
}
