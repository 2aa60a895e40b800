import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A plain-http server on loopback that answers each path with one fixed answer: an HH that is
/// there but answers as a failing, throttling or refusing HH would (doctor's tests).
final class FixedAnswerHTTPServer: Sendable {
    struct Answer: Sendable {
        var status: Int
        var body: String
    }

    let port: UInt16
    private let listener: Listener

    /// `answers` by path (the query ignored); any other path is answered 404.
    init(answers: [String: Answer]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound, listen(fd, 16) == 0 else {
            if fd >= 0 { _ = Glibc.close(fd) }
            throw HarnessError("cannot listen on 127.0.0.1: errno \(errno)")
        }
        let listener = Listener(fd)
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread {
            while true {
                // accept fails once stop() shuts the listener down.
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    listener.close()
                    return
                }
                Self.answer(connection, answers)
            }
        }
        thread.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port>`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Stops accepting; calling it again (as `deinit` does) does nothing.
    func stop() { listener.shutDown() }

    /// The listening descriptor, shut down at most once and never after the accept thread closed
    /// it: a closed number is the kernel's to give to another test's socket, which a `shutdown`
    /// of it would cut (BlackHoleRelay's same mistake broke PostgreSQL connects in full runs).
    private final class Listener: Sendable {
        private let descriptor: Int32
        /// Whether stop() shut it down, and whether the accept thread closed it.
        private let state = Mutex((shutDown: false, closed: false))

        init(_ descriptor: Int32) { self.descriptor = descriptor }

        func shutDown() {
            state.withLock { state in
                guard !state.shutDown, !state.closed else { return }
                state.shutDown = true
                _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
            }
        }

        func close() {
            state.withLock { state in
                guard !state.closed else { return }
                state.closed = true
                _ = Glibc.close(descriptor)
            }
        }
    }

    private static func answer(_ connection: Int32, _ answers: [String: Answer]) {
        defer { _ = Glibc.close(connection) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.ends(with: Array("\r\n\r\n".utf8)), request.count < 65536 {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { return }
            request += buffer[0..<count]
        }
        let requestLine = String(decoding: request, as: UTF8.self).prefix { $0 != "\r" }
        let target = requestLine.split(separator: " ").dropFirst().first ?? ""
        let path = String(target.prefix { $0 != "?" })
        let answer = answers[path] ?? Answer(status: 404, body: #"{"errors":[{"type":"not_found"}]}"#)
        let body = Array(answer.body.utf8)
        let head =
            "HTTP/1.1 \(answer.status) Fixed\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
            + "Connection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            sent += count
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
