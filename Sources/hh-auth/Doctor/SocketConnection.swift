import Foundation

/// One connection attempt to where `serve` listens on TCP, closed at once: whether something
/// accepts. Sends nothing (an open-and-close is nothing the FastCGI server reports).
enum SocketConnection {
    enum Outcome: Equatable {
        case accepted
        /// Nothing listens there (ECONNREFUSED).
        case refused
        /// This process may not connect (EACCES): says nothing of whether something listens.
        case denied
        case failed(String)
    }

    /// The first address of `host` that accepts within `timeoutSeconds`.
    static func tcp(host: String, port: UInt16, timeoutSeconds: Double) -> Outcome {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failed("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var last = Outcome.refused
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            last = attempt(info.pointee, timeoutSeconds: timeoutSeconds)
            if last == .accepted { return last }
            entry = info.pointee.ai_next
        }
        return last
    }

    private static func attempt(_ info: addrinfo, timeoutSeconds: Double) -> Outcome {
        let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), info.ai_protocol)
        guard fd >= 0 else { return .failed(String(cString: strerror(errno))) }
        defer { close(fd) }
        if connect(fd, info.ai_addr, info.ai_addrlen) == 0 { return .accepted }
        guard errno == EINPROGRESS else { return outcome(errno) }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, Int32(timeoutSeconds * 1000)) == 1 else {
            return .failed("no answer within \(timeoutSeconds) s")
        }
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
        return code == 0 ? .accepted : outcome(code)
    }

    private static func outcome(_ code: Int32) -> Outcome {
        switch code {
        case ECONNREFUSED: .refused
        case EACCES, EPERM: .denied
        case EAGAIN: .failed("its backlog is full: the service accepts too slowly or is stuck")
        default: .failed(String(cString: strerror(code)))
        }
    }
}
