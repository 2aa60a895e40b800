internal import CLibPQ
import WorkerThreads

#if canImport(Glibc)
    import Glibc
#endif

extension PGConnection {
    /// The longest one wait for the socket lasts before the answer is read for again.
    private static let pollSliceMilliseconds: Int64 = 20
    /// Reads in a row before a wait: enough to drain a TLS record libpq took in part.
    private static let readsBeforeWaiting = 4

    /// One request and its answer, as a slow wait (``BlockingCall``): libpq's synchronous call
    /// (`synchronous`), or, with a ``responseTimeout``, the same request sent (`sending`, which
    /// returns 1 when sent) and its answer read as it arrives, until the deadline. The result is
    /// what the synchronous call would return (the last result; nil when sending failed). Past
    /// the deadline the connection is given up (``giveUp(_:)``) and the call throws
    /// ``PGError/Kind/connectionLost``. Called with `lock` held.
    func exchange(
        _ handle: OpaquePointer, _ synchronous: () -> OpaquePointer?, sending: () -> Int32
    ) throws(PGError) -> OpaquePointer? {
        guard let responseTimeout else { return BlockingCall.run { synchronous() } }
        let deadline = ContinuousClock.now + responseTimeout
        let answer = BlockingCall.run { () -> OpaquePointer?? in
            guard sending() == 1 else { return .some(nil) }
            var last: OpaquePointer?
            while true {
                while PQisBusy(handle) == 1 {
                    // Read first, then wait: with SSL, what arrived may sit in OpenSSL's buffer
                    // (a read takes one TLS record, as much of it as libpq's buffer has room
                    // for), where poll cannot see it, as libpq's own waits know. A few reads
                    // drain a record, and the wait is a short slice after which it reads again:
                    // an answer held there costs a slice, never the deadline.
                    var broken = false
                    for _ in 0..<Self.readsBeforeWaiting where PQisBusy(handle) == 1 {
                        // A connection that broke: PQgetResult reports it (it no longer waits).
                        if PQconsumeInput(handle) == 0 {
                            broken = true
                            break
                        }
                    }
                    if broken || PQisBusy(handle) == 0 { break }
                    let left = deadline - ContinuousClock.now
                    guard left > .zero else {
                        if let last { PQclear(last) }
                        return nil
                    }
                    var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
                    let milliseconds =
                        left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                    _ = poll(&descriptor, 1, Int32(min(max(milliseconds, 1), Self.pollSliceMilliseconds)))
                }
                guard let result = PQgetResult(handle) else { return .some(last) }
                if let last { PQclear(last) }
                last = result
                switch PQresultStatus(result) {
                case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH: return .some(last)
                default: if PQstatus(handle) == CONNECTION_BAD { return .some(last) }
                }
            }
        }
        guard let answer else {
            giveUp(handle)
            let seconds =
                Double(responseTimeout.components.seconds)
                + Double(responseTimeout.components.attoseconds) / 1e18
            throw PGError(.connectionLost, "no answer from the server within \(seconds) s; the connection was given up")
        }
        return answer
    }

    /// Ends the session from this side without freeing the handle: the socket is shut down, so
    /// libpq finds it closed and the connection broken (``isConnected`` false; ``reset()``
    /// reconnects). Whatever the server was doing for it ends when it notices.
    private func giveUp(_ handle: OpaquePointer) {
        let socket = PQsocket(handle)
        if socket >= 0 { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        _ = PQconsumeInput(handle)
        while let result = PQgetResult(handle) { PQclear(result) }
        preparedInSession = []
    }
}
