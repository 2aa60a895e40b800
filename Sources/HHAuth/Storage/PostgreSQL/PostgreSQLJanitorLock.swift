import Foundation
import PostgreSQL
import WorkerThreads

/// The janitor's lead across nodes: a session-level `pg_try_advisory_lock` on a connection of its
/// own, kept while the janitor lives (docs/scale-out.md, "Janitor: one node at a time"). A
/// leader that dies takes its connection, and so the lock, with it; another node's janitor takes
/// it at its next pass. While it leads, the same connection `LISTEN`s on `hh_revocations`, which
/// every node's engine notifies when a transaction that queued a pair commits, and a thread of
/// its own turns each notification into a wake-up of the janitor (``WakeSignal``). The interval
/// pass stays the fallback for a notification lost with a connection. Each pass of the leader
/// also prunes the session caches' change rows (``SessionChangePruner``).
final class PostgreSQLJanitorLock: JanitorLeadership {
    /// The advisory lock's first key ("hhja" in ASCII); the second is a hash of the schema's name,
    /// since PostgreSQL keys advisory locks per database, and two deployments (or tests) in
    /// schemas of one database each have a janitor to run.
    static let lockKey: Int32 = 0x68_68_6A_61
    /// The channel the engine notifies after queuing a pair (``PostgreSQLEngine``).
    static let channel = "hh_revocations"

    private let connection: PostgreSQLDedicatedConnection
    private let wake: WakeSignal
    /// Counts leads taken; a listening thread ends when it is no longer the current one's.
    private let term = Lock((number: 0, leading: false))
    /// While it leads, each pass also prunes the session caches' change rows.
    private let pruner = Lock(SessionChangePruner())

    init(_ connectionString: PGConnectionString, wake: WakeSignal, defaults: PGConnectionDefaults = .dedicated) {
        connection = PostgreSQLDedicatedConnection(connectionString, defaults: defaults)
        self.wake = wake
    }

    func leads() -> Bool {
        let held = term.withLock { $0.leading }
        do {
            if held {
                // The lock is as alive as the connection that took it (not a new one).
                guard let holder = connection.current(), holder.isConnected else { throw PGError(.connectionLost, "") }
                try holder.execute("SELECT 1")
                // Pruning is housekeeping: a statement the server refused costs neither the lead
                // nor the connection; the rows wait for the next pass. (A connection lost on the
                // way loses the lead, as any other failure of it: its batches are short.)
                do {
                    try pruner.withLock { pruner in try pruner.pass(on: holder) }
                } catch let error as PGError where error.kind != .connectionLost {
                    pruner.withLock { $0.forgetSamples() }
                }
                return true
            }
            let leads = try connection.use { connection in
                let taken = try connection.execute(
                    "SELECT pg_try_advisory_lock($1::integer, hashtext(current_schema()))",
                    [.int64(Int64(Self.lockKey))])
                guard try taken.first?.bool(0) == true else { return false }
                try connection.execute("LISTEN \(Self.channel)")
                return true
            }
            if leads {
                // Snapshots of another lead (another connection, perhaps another server since a
                // failover) say nothing about this one.
                pruner.withLock { $0.forgetSamples() }
                startListening()
            }
            return leads
        } catch {
            // Lost with the connection; the next pass opens another and tries again.
            term.withLock { $0.leading = false }
            connection.disconnect()
            return false
        }
    }

    func resign() {
        term.withLock { $0 = (number: $0.number + 1, leading: false) }
        // Unlocked before the connection closes, so the next janitor to try finds it free (a
        // closing backend lets go of its locks a moment after the client has gone).
        if let holder = connection.current(), holder.isConnected {
            _ = try? holder.execute("SELECT pg_advisory_unlock_all()")
        }
        connection.close()
    }

    private func startListening() {
        let number = term.withLock { term in
            term = (number: term.number + 1, leading: true)
            return term.number
        }
        let thread = Thread { [self] in listen(term: number) }
        thread.name = "janitor-listen"
        thread.start()
    }

    /// Wakes the janitor for each notification, until the lead ends or its connection breaks.
    private func listen(term number: Int) {
        while term.withLock({ $0.number == number && $0.leading }) {
            guard let listening = connection.current() else { return }
            do {
                if try !listening.notifications(waitingUpTo: 1).isEmpty { wake.signal() }
            } catch {
                // The janitor's next pass finds the connection gone and stops leading.
                return
            }
        }
    }
}
