internal import CLibPQ
import WorkerThreads

#if canImport(Glibc)
    import Glibc
#endif

extension PGConnection {
    /// Waits up to `timeoutSeconds` for notifications on the channels this connection `LISTEN`s
    /// on and returns their channel names (empty when none came). Ones that arrived during an
    /// earlier call on the connection are returned at once. The wait itself does not hold the
    /// connection, so other calls on it may run meanwhile. Throws
    /// ``PGError/Kind/connectionLost`` when the connection broke or was closed.
    public func notifications(waitingUpTo timeoutSeconds: Double) throws(PGError) -> [String] {
        let (already, socket) = try lock.withLock { () throws(PGError) -> ([String], Int32) in
            let handle = try openHandle()
            return (try Self.queued(handle), PQsocket(handle))
        }
        if !already.isEmpty { return already }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, min(timeoutSeconds, 3600)) * 1000)
        _ = BlockingCall.run { poll(&descriptor, 1, milliseconds) }
        return try lock.withLock { () throws(PGError) -> [String] in
            let handle = try openHandle()
            guard PQconsumeInput(handle) == 1 else {
                throw PGError(.connectionLost, Self.firstLine(PQerrorMessage(handle), scrubbing: password))
            }
            return try Self.queued(handle)
        }
    }

    /// The notifications libpq holds, taken; fails when the connection is gone.
    private static func queued(_ handle: OpaquePointer) throws(PGError) -> [String] {
        guard PQstatus(handle) == CONNECTION_OK else { throw PGError(.connectionLost, "the connection broke") }
        var channels: [String] = []
        while let notification = PQnotifies(handle) {
            channels.append(String(cString: notification.pointee.relname))
            PQfreemem(notification)
        }
        return channels
    }
}
