import Foundation
import WorkerThreads

/// Writes the browser sessions' uses (`last_seen_at`, the idle timeout's bookkeeping) off the
/// request's thread: ``SessionAccess`` notes a use and answers at once; this writer's own thread
/// writes what was noted, every use of the moment in one transaction.
///
/// Why: written inside the `auth_request`, the write waited for the database's writer (the
/// janitor's pass, a sign-in, the CLI in another process) up to the busy or lock timeout, and the
/// page load with it. Here a busy writer holds up only this thread.
///
/// Why no session ends early for it (the bound ``SessionAccess`` documents: at most one
/// recording interval before idle-timeout after its last use):
/// - A noted use stays here until its write committed; one that failed is tried again
///   (``retryPauseSeconds``), not dropped, so it lands once the writer is free.
/// - Until then this node's lookups take the noted time for the stored one (``noted(sessionID:)``),
///   so `/auth/verify` never refuses a session for a use that is only late in being written.
/// - The janitor writes what is noted (``flush()``) before its idle sweep, so it never deletes
///   a session for a use waiting here.
/// What is left: for as long as the write is held up (a writer's busy timeout or `lock_timeout`,
/// 5 s, per try), the lists and counts, and on PostgreSQL the other nodes, read the older stored
/// time. A session whose last use came that close to its idle deadline may look over there until
/// the write lands, and the janitor of another node, leading, may delete it meanwhile.
final class SessionUseRecorder: Sendable {
    private let storage: any StorageEngine
    /// Uses noted and not yet written: session id → the time noted last. The ids stay only in
    /// this memory, and only until written.
    private let pending = Lock([String: Double]())
    /// Whether the writer's thread was started (on the first use noted; never without one).
    private let started = Lock(false)
    /// One batch written at a time: a ``flush()`` returns after the one under way.
    private let writing = Lock(())
    private let wake = DispatchSemaphore(value: 0)
    /// Past this many noted uses (an unavailable database), new ones are not kept: those
    /// sessions' next use notes them again.
    static let maximumPending = 100_000
    /// How long the writer waits after a failed write before trying again.
    static let retryPauseSeconds = 1.0

    init(storage: any StorageEngine) {
        self.storage = storage
    }

    /// Notes that the session was used at `time`; never waits for the database.
    func note(sessionID: String, at time: Double) {
        let kept = pending.withLock { uses -> Bool in
            guard uses[sessionID] != nil || uses.count < Self.maximumPending else { return false }
            uses[sessionID] = time
            return true
        }
        guard kept else { return }
        startWriter()
        wake.signal()
    }

    /// The use of the session noted last and not written yet.
    func noted(sessionID: String) -> Double? {
        pending.withLock { $0[sessionID] }
    }

    /// Writes every noted use now, on the calling thread, after the batch the writer has under way.
    /// Throws when any use could not be written; those stay noted for the next try.
    func flush() throws {
        try writing.withLock { _ in
            // In the order of the rows' keys: two nodes writing overlapping batches take the row
            // locks in one order, so they queue instead of deadlocking.
            let batch = pending.withLock { $0 }.map {
                (sessionID: $0.key, time: $0.value, hash: SecretToken.hash($0.key))
            }
            .sorted { $0.hash.lexicographicallyPrecedes($1.hash) }
            guard !batch.isEmpty else { return }
            // One transaction, one try: a write that fails costs one busy or lock timeout, and
            // throws (whatever was noted again meanwhile) so the janitor knows uses are waiting.
            // Not one by one after a failure: on SQLite the lock is the whole file's, and a server
            // out of reach, each use would wait its own timeout while the janitor and the
            // shutdown wait for this one (a review found it). A row another transaction holds
            // (an operator's open `UPDATE`) thus keeps this node's uses out until it is free:
            // they are counted here meanwhile, and elsewhere a session may end early, never late.
            try storage.write { tx in
                for use in batch { try tx.sessions.recordUse(sessionID: use.sessionID, at: use.time) }
            }
            written(batch)
        }
    }

    /// Forgets the uses written, unless noted again meanwhile (those stay for the next batch).
    private func written(_ uses: [(sessionID: String, time: Double, hash: Data)]) {
        pending.withLock { pending in
            for use in uses where pending[use.sessionID] == use.time { pending[use.sessionID] = nil }
        }
    }

    private func startWriter() {
        guard
            started.withLock({ started in
                defer { started = true }
                return !started
            })
        else { return }
        // The thread holds the recorder weakly between waits: it ends once the services that
        // own the recorder are gone (tests build many).
        let thread = Thread { [weak self] in
            while let recorder = self {
                recorder.writeNoted()
            }
        }
        thread.name = "hh-auth session uses"
        thread.start()
    }

    /// One turn of the writer: waits for a noted use (a second at most), then writes what is noted.
    private func writeNoted() {
        _ = wake.wait(timeout: .now() + 1)
        do {
            try flush()
        } catch {
            // Kept for the next try; the lookups go on taking the noted times meanwhile.
            Thread.sleep(forTimeInterval: Self.retryPauseSeconds)
        }
    }
}
