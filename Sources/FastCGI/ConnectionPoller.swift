import CFastCGI

#if canImport(Glibc)
import Glibc
#endif

/// The epoll set the workers share: the listening socket, every idle connection, and an eventfd
/// that wakes everyone for shutdown.
///
/// Sockets are registered `EPOLLONESHOT`, so each readiness goes to exactly one worker, which owns
/// that socket until it re-arms it. The eventfd is level-triggered and never drained: once written,
/// every `epoll_wait` returns it.
final class ConnectionPoller: Sendable {
    enum Event: Equatable {
        case listening
        case connection(Int32)
        case stop
    }

    private let epoll: Int32
    private let wake: Int32
    private let listening: Int32
    /// Connections armed in the set and owned by no worker, and whether shutdown closed them.
    /// A descriptor is only closed or claimed under this lock, so a number epoll hands out after
    /// shutdown closed it (and the kernel reused it) is never mistaken for the old connection.
    /// Sharded by descriptor so 32 workers claiming and re-arming do not queue on one mutex.
    private let idleShards = (0..<16).map { _ in Lock<(descriptors: Set<Int32>, closed: Bool)>(([], false)) }

    private func idle(_ descriptor: Int32) -> Lock<(descriptors: Set<Int32>, closed: Bool)> {
        idleShards[Int(descriptor) & 15]
    }

    init(listening descriptor: Int32) throws(FastCGIError) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw FastCGIError(errno: errno, "epoll_create1") }
        wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wake >= 0 else { throw FastCGIError(errno: errno, "eventfd") }
        listening = descriptor
        // accept() must not block when another worker (or process) took the connection first.
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        guard control(EPOLL_CTL_ADD, wake, events: EPOLLIN.rawValue),
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
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .stop }
            let descriptor = event.data.fd
            if descriptor == wake {
                if sawWake { return .stop }
                sawWake = true
                isDraining = true
                continue
            }
            sawWake = false
            if descriptor == listening {
                // While stopping, new connections are not taken: the socket stays disarmed.
                if isDraining { continue }
                return .listening
            }
            let claimed = idle(descriptor).withLock { $0.descriptors.remove(descriptor) != nil }
            if claimed { return .connection(descriptor) }
        }
    }

    /// Accepts every connection waiting on the listening socket, then re-arms it.
    func acceptPending() {
        while true {
            let connection = accept(listening, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                break
            }
            // The accepted socket is blocking (libfcgi reads it that way) and not inherited by children.
            _ = fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) & ~O_NONBLOCK)
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            let added = idle(connection).withLock { state -> Bool in
                guard !state.closed, control(EPOLL_CTL_ADD, connection, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue) else {
                    return false
                }
                state.descriptors.insert(connection)
                return true
            }
            if !added { close(connection) }
        }
        _ = control(EPOLL_CTL_MOD, listening, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue)
    }

    /// Hands a kept connection back to the set, to be served when nginx sends its next request.
    func rearm(_ connection: Int32) {
        let armed = idle(connection).withLock { state -> Bool in
            guard !state.closed, control(EPOLL_CTL_MOD, connection, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue) else {
                return false
            }
            state.descriptors.insert(connection)
            return true
        }
        if !armed { close(connection) }
    }

    /// Shutdown: closes every idle connection (nginx then retries on a new connection, which is
    /// refused, and answers 502 at once) and wakes every worker blocked in `next`.
    func closeIdleAndWakeAll() {
        for shard in idleShards {
            shard.withLock { state in
                state.closed = true
                for descriptor in state.descriptors { close(descriptor) }
                state.descriptors.removeAll()
            }
        }
        var one: UInt64 = 1
        _ = write(wake, &one, MemoryLayout<UInt64>.size)
    }

    private func control(_ operation: Int32, _ descriptor: Int32, events: UInt32) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        return epoll_ctl(epoll, operation, descriptor, &event) == 0
    }
}
