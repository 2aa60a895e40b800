import FastCGI
import Foundation

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

    func wait() throws -> HHTokenRecord {
        // As long as the leader's call to HH: let another worker serve requests meanwhile.
        try BlockingCall.run {
            condition.lock()
            defer { condition.unlock() }
            while result == nil { condition.wait() }
            return try result!.get()
        }
    }
}
