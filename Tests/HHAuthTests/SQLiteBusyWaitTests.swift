import Foundation
import GRDB
import Testing
import WorkerThreads

@testable import HHAuth

/// The wait for another connection's lock on the SQLite file ends by the time that passed, not
/// by the sleeps it asked for: on a machine short of CPU every sleep wakes late.
@Suite("SQLite busy wait")
struct SQLiteBusyWaitTests {
    /// A monotonic clock that only the sleeps move, each by `overshoot` times what was asked.
    final class LateSleeps: Sendable {
        let base = ContinuousClock.now
        let elapsed = Lock(Duration.zero)
        let overshoot: Int

        init(overshoot: Int) { self.overshoot = overshoot }

        func wait(seconds: Double) -> SQLiteBusyWait {
            SQLiteBusyWait(
                seconds: seconds, clock: { self.base + self.elapsed.withLock { $0 } },
                sleep: { asked in self.elapsed.withLock { $0 += asked * self.overshoot } })
        }

        /// Runs one wait the way SQLite calls the handler (tries 0, 1, …) until it gives up;
        /// how long it lasted by the clock.
        func lasted(_ wait: SQLiteBusyWait) -> Duration {
            let start = elapsed.withLock { $0 }
            var tries = 0
            while wait.tryAgain(after: tries) { tries += 1 }
            return elapsed.withLock { $0 } - start
        }
    }

    @Test func aWaitWhoseSleepsWakeLateStillEndsAtTheTimeout() {
        // SQLite's own busy_timeout sums the sleeps it asked for: with each waking three times
        // late, its 1 s timeout lasts 3 s.
        let sleeps = LateSleeps(overshoot: 3)
        let lasted = sleeps.lasted(sleeps.wait(seconds: 1))
        #expect(lasted >= .seconds(1))
        #expect(lasted <= .seconds(1) + .milliseconds(300), "one late step at most past the timeout: \(lasted)")
    }

    @Test func aWaitOnTimeLastsTheTimeoutAndSleepsSQLitesSteps() {
        let sleeps = LateSleeps(overshoot: 1)
        let lasted = sleeps.lasted(sleeps.wait(seconds: 0.5))
        #expect(lasted == .milliseconds(500), "the last sleep is cut to what is left")
    }

    @Test func eachWaitStartsAfresh() {
        let sleeps = LateSleeps(overshoot: 1)
        let wait = sleeps.wait(seconds: 0.2)
        #expect(sleeps.lasted(wait) == .milliseconds(200))
        // The lock came free before the handler gave up (SQLite calls it no more): the next
        // wait, tries from 0 again, gets the whole timeout.
        #expect(wait.tryAgain(after: 0))
        #expect(wait.tryAgain(after: 1))
        #expect(sleeps.lasted(wait) == .milliseconds(200))
    }

    @Test func aWriteUnderAHeldLockFailsBusyOnceTheTimeoutHasPassed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("busy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("hh-auth.sqlite3").path
        // The database's writer waits with this clock: its sleeps wake three times late.
        let sleeps = LateSleeps(overshoot: 3)
        let database = try AppDatabase(path: path, busyWait: sleeps.wait(seconds: 0.3))
        var holding = GRDB.Configuration()
        holding.allowsUnsafeTransactions = true  // the lock outlives the call that took it
        let holder = try DatabaseQueue(path: path, configuration: holding)
        try holder.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE") }
        defer { try? holder.inDatabase { try $0.execute(sql: "ROLLBACK") } }
        #expect {
            try database.write { try $0.execute(sql: "CREATE TABLE waited (x)") }
        } throws: { error in
            (error as? StorageFailure)?.kind == .busy
        }
        // The wait the writer used is this one (SQLite's own handler would leave the clock at 0),
        // and it ended by the clock.
        let waited = sleeps.elapsed.withLock { $0 }
        #expect(waited >= .milliseconds(300))
        #expect(waited <= .milliseconds(300) + .milliseconds(300), "\(waited)")
    }
}
