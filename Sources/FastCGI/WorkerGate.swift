import WorkerThreads

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps at most `limit` workers running requests; the rest stand by until one of those starts a
/// slow wait (``BlockingCall``).
///
/// Why: every worker waits in `epoll_wait` on the same set, and the kernel wakes waiters in FIFO
/// order, so with 32 idle workers each request lands on the coldest thread and costs a wake-up.
/// Measured on 2 cores: 52 µs of CPU per `/auth/token` with 32 workers, 35 µs with 4. Yet the
/// service needs many threads, because a login or a refresh holds its worker while HeadHunter
/// answers (up to the HH timeout). With the gate, a few hot threads serve the fast requests, and
/// a thread about to wait on HH hands its turn to a standby thread (the most recently parked,
/// so the warmest), the way a Go runtime hands off its processor around a blocking system call.
final class WorkerGate: @unchecked Sendable {
    /// A worker's place in the standby stack, and its own condition to be woken on. Bound to its
    /// thread as the ``SlowWaitObserver`` of ``BlockingCall``.
    final class Seat: SlowWaitObserver, @unchecked Sendable {
        // Allocated, not a stored struct: pthread objects must not move, and `&property` on a
        // class gives no address guarantee.
        fileprivate let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        fileprivate var promoted = false
        /// Whether this worker is counted among the running. It is not during a slow wait, nor
        /// after one that ended while `limit` others were running: then it finishes its request
        /// (which may wait again, without giving up a turn it does not hold) and stands by.
        fileprivate(set) var holdsTurn = false
        fileprivate let gate: WorkerGate

        fileprivate init(gate: WorkerGate) {
            self.gate = gate
            pthread_cond_init(condition, nil)
        }

        deinit {
            pthread_cond_destroy(condition)
            condition.deallocate()
        }

        func slowWaitBegins() { gate.beginWait(self) }

        func slowWaitEnds() { gate.endWait(self) }
    }

    let limit: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var running = 0
    private var standby: [Seat] = []
    private var stopping = false

    init(limit: Int) {
        self.limit = max(1, limit)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func seat() -> Seat { Seat(gate: self) }

    /// Blocks until the worker may run requests. Once the server is stopping there is no limit:
    /// every worker helps answer what was received before it exits (a worker that waited on HH
    /// would otherwise leave with its turn given away and nobody to take it, and requests queued
    /// on kept connections would be cut at the stop bound).
    func takeTurn(_ seat: Seat) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if stopping || running < limit {
            running += 1
            seat.holdsTurn = true
            return
        }
        standby.append(seat)
        while !seat.promoted && !stopping { pthread_cond_wait(seat.condition, mutex) }
        // A promotion counted this worker as running already; a stop lets it run uncounted.
        if !seat.promoted {
            standby.removeAll { $0 === seat }
            running += 1
        }
        seat.promoted = false
        seat.holdsTurn = true
    }

    /// The worker is about to wait on something slow: a standby worker takes its turn.
    fileprivate func beginWait(_ seat: Seat) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard seat.holdsTurn else { return }
        seat.holdsTurn = false
        running -= 1
        if running < limit, let next = standby.popLast() {
            running += 1
            next.promoted = true
            pthread_cond_signal(next.condition)
        }
    }

    /// The slow wait is over: the worker runs on, but yields after this request if the others
    /// are already at the limit.
    fileprivate func endWait(_ seat: Seat) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if running < limit {
            running += 1
            seat.holdsTurn = true
        }
    }

    /// Wakes every standby worker and lifts the limit: the workers drain what was received.
    func stop() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        stopping = true
        for seat in standby { pthread_cond_signal(seat.condition) }
    }

    /// How many workers hold a turn, and how many stand by (for tests).
    var counts: (running: Int, standingBy: Int) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return (running, standby.count)
    }

    // MARK: The worker thread's seat

    /// Binds `seat` to the calling thread for ``BlockingCall``; `nil` unbinds it.
    static func bind(_ seat: Seat?) {
        BlockingCall.bind(seat)
    }
}
