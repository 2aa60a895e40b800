import CFastCGI
import Synchronization
import WorkerThreads

#if canImport(Glibc)
    import Glibc
#endif

/// The epoll set the workers share: the listening socket, every idle connection, an eventfd that
/// wakes everyone for shutdown, and a timer that ends a pause in accepting.
///
/// Sockets are registered `EPOLLONESHOT`, so each readiness goes to exactly one worker, which owns
/// that socket until it re-arms it. The eventfd is level-triggered and never drained: once written,
/// every `epoll_wait` returns it.
final class ConnectionPoller: Sendable {
    enum Event: Equatable {
        case listening
        case connection(Int32)
        case stop
        /// `epoll_wait` failed with this errno: the set is unusable, the worker cannot go on.
        case failed(Int32)
    }

    /// How long accepting pauses when the process is out of descriptors. Long enough that a full
    /// backlog costs nothing (ten failed `accept`s a second), short enough that a freed descriptor
    /// is put to use at once.
    static let acceptPauseSeconds = 0.1

    /// Internal so a test can replace it and make `epoll_wait` fail for real.
    let epoll: Int32
    private let wake: Int32
    private let acceptTimer: Int32
    let listening: Int32
    private let peers: PeerPolicy
    private let report: @Sendable (FastCGIServerEvent) -> Void
    private let acceptPaused = Atomic<Bool>(false)
    /// When a refused peer was last reported, and how many were refused since without a report.
    private let refusals = Lock<(lastReport: Double, unreported: Int)>((-.infinity, 0))
    /// Connections armed in the set and owned by no worker, and whether shutdown closed them.
    /// A descriptor is only closed or claimed under this lock, so a number epoll hands out after
    /// shutdown closed it (and the kernel reused it) is never mistaken for the old connection.
    /// Sharded by descriptor so 32 workers claiming and re-arming do not queue on one mutex.
    private let idleShards = (0..<16).map { _ in Lock<(descriptors: Set<Int32>, closed: Bool)>(([], false)) }

    private func idle(_ descriptor: Int32) -> Lock<(descriptors: Set<Int32>, closed: Bool)> {
        idleShards[Int(descriptor) & 15]
    }

    init(
        listening descriptor: Int32, peers: PeerPolicy = .loopback,
        report: @escaping @Sendable (FastCGIServerEvent) -> Void = { _ in }
    ) throws(FastCGIError) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw FastCGIError(errno: errno, "epoll_create1") }
        wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wake >= 0 else { throw FastCGIError(errno: errno, "eventfd") }
        acceptTimer = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard acceptTimer >= 0 else { throw FastCGIError(errno: errno, "timerfd_create") }
        listening = descriptor
        self.peers = peers
        self.report = report
        // accept() must not block when another worker (or process) took the connection first.
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        guard control(EPOLL_CTL_ADD, wake, events: EPOLLIN.rawValue),
            control(EPOLL_CTL_ADD, acceptTimer, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue),
            control(EPOLL_CTL_ADD, descriptor, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue)
        else { throw FastCGIError(errno: errno, "epoll_ctl") }
    }

    /// Blocks until there is work. Once stopping (the eventfd is set, or `draining`), only
    /// requests that have already arrived are served; then `.stop`.
    ///
    /// One event per call: a `EPOLLONESHOT` socket that was returned but not handled would stay
    /// disarmed for good. The eventfd is level-triggered, so epoll moves it to the back of its
    /// ready list after each return: seeing it twice in a row means nothing else is ready.
    func next(draining: Bool) -> Event {
        var event = epoll_event()
        var isDraining = draining
        var sawWake = false
        while true {
            let count = epoll_wait(epoll, &event, 1, isDraining ? 0 : -1)
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                return .failed(code)
            }
            guard count > 0 else { return .stop }
            let descriptor = event.data.fd
            if descriptor == wake {
                if sawWake { return .stop }
                sawWake = true
                isDraining = true
                continue
            }
            sawWake = false
            if descriptor == acceptTimer {
                var expirations: UInt64 = 0
                _ = read(acceptTimer, &expirations, MemoryLayout<UInt64>.size)
                // While stopping, new connections are not taken: the socket stays disarmed.
                if !isDraining { armListening() }
                continue
            }
            if descriptor == listening {
                if isDraining { continue }
                return .listening
            }
            let claimed = idle(descriptor).withLock { $0.descriptors.remove(descriptor) != nil }
            if claimed { return .connection(descriptor) }
        }
    }

    /// Accepts every connection waiting on the listening socket, then re-arms it. Returns an error
    /// only when the listening socket itself is broken.
    func acceptPending() -> FastCGIError? {
        while true {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let connection = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listening, $0, &length) }
            }
            if connection < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK {
                    // The backlog is empty: a pause, if there was one, is over. Not at the first
                    // success: at the limit, each freed descriptor lets one accept through.
                    if acceptPaused.exchange(false, ordering: .sequentiallyConsistent) { report(.acceptResumed) }
                    break
                }
                if Self.isOutOfResources(code) {
                    pauseAccepting(code)
                    return nil
                }
                // ECONNABORTED, EINTR, and the network errors of a connection that died in the
                // backlog (accept(2) says to retry on those): the next one may be fine.
                if Self.isConnectionError(code) { continue }
                return FastCGIError(errno: code, "accept")
            }
            let address = length > 0 ? PeerAddress(socketAddress: peer) : nil
            guard peers.allows(address) else {
                close(connection)
                refused(address)
                continue
            }
            adopt(connection)
        }
        armListening()
        return nil
    }

    /// Puts `connection` (back) in the set for its next request, or closes it when the set is
    /// shutting down.
    private func watchOrClose(_ connection: Int32, operation: Int32) {
        let watched = idle(connection).withLock { state -> Bool in
            guard !state.closed, control(operation, connection, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue) else {
                return false
            }
            state.descriptors.insert(connection)
            return true
        }
        if !watched { close(connection) }
    }

    /// Hands a kept connection back to the set, to be served when nginx sends its next request.
    func rearm(_ connection: Int32) {
        watchOrClose(connection, operation: EPOLL_CTL_MOD)
    }

    /// Shutdown begins: connections waiting on a listening socket we own are taken first (it is
    /// about to be shut down, which would reset them). Every idle connection whose next request
    /// has already arrived stays in the set for the workers to answer; the other idle ones are
    /// closed (nginx then retries on a new connection, which is refused, or under systemd waits in
    /// the socket unit's backlog for the next process). Then every worker is woken.
    func beginShutdown(takingBacklog: Bool) {
        if takingBacklog { _ = acceptPending() }
        for shard in idleShards {
            shard.withLock { state in
                state.closed = true
                for descriptor in state.descriptors where !Self.hasPendingBytes(descriptor) {
                    close(descriptor)
                    state.descriptors.remove(descriptor)
                }
            }
        }
        var one: UInt64 = 1
        _ = write(wake, &one, MemoryLayout<UInt64>.size)
    }

    /// Closes the connections still waiting for a worker when shutdown gives up on them; returns
    /// how many there were.
    func closeRemaining() -> Int {
        idleShards.reduce(0) { total, shard in
            total
                + shard.withLock { state in
                    state.closed = true
                    state.descriptors.forEach { close($0) }
                    defer { state.descriptors.removeAll() }
                    return state.descriptors.count
                }
        }
    }

    private func adopt(_ connection: Int32) {
        // The accepted socket is blocking (libfcgi reads it that way) and not inherited by children.
        _ = fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) & ~O_NONBLOCK)
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        watchOrClose(connection, operation: EPOLL_CTL_ADD)
    }

    /// Out of descriptors (or kernel memory): re-arming the listening socket now would wake a
    /// worker for the same failure at once, forever. It stays disarmed until the timer fires.
    private func pauseAccepting(_ code: Int32) {
        if !acceptPaused.exchange(true, ordering: .sequentiallyConsistent) {
            report(.acceptPaused(reason: FastCGIError(errno: code, "accept").description))
        }
        let whole = Self.acceptPauseSeconds.rounded(.down)
        var pause = itimerspec()
        pause.it_value = timespec(tv_sec: Int(whole), tv_nsec: Int((Self.acceptPauseSeconds - whole) * 1e9))
        timerfd_settime(acceptTimer, 0, &pause, nil)
        _ = control(EPOLL_CTL_MOD, acceptTimer, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue)
    }

    private func refused(_ address: PeerAddress?) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let seconds = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        let unreported = refusals.withLock { state -> Int? in
            guard seconds - state.lastReport >= 1 else {
                state.unreported += 1
                return nil
            }
            defer { state = (seconds, 0) }
            return state.unreported
        }
        if let unreported { report(.peerRefused(address: address?.description ?? "unknown", alsoRefused: unreported)) }
    }

    private func armListening() {
        _ = control(EPOLL_CTL_MOD, listening, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue)
    }

    private static func isOutOfResources(_ code: Int32) -> Bool {
        code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }

    private static func isConnectionError(_ code: Int32) -> Bool {
        [
            EINTR, ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP,
            ENETUNREACH, EPERM,
        ]
        .contains(code)
    }

    /// Whether the peer has sent bytes we have not read (not just closed its end).
    private static func hasPendingBytes(_ descriptor: Int32) -> Bool {
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    private func control(_ operation: Int32, _ descriptor: Int32, events: UInt32) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        return epoll_ctl(epoll, operation, descriptor, &event) == 0
    }
}
