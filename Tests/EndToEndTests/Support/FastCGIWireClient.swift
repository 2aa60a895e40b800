import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Speaks FastCGI straight to the service's socket, past nginx: the tests need to hold one kept
/// connection (`FCGI_KEEP_CONN`) and know exactly what travels on it, or connect from a chosen
/// loopback address.
final class FastCGIWireClient {
    /// What came back for one request: the `Status:` of the CGI headers (200 when absent), or
    /// nil when the service closed the connection without answering.
    struct Answer {
        var status: Int?
        var output: String
    }

    let descriptor: Int32
    private var nextRequestID: UInt16 = 1

    /// Connects to a unix socket.
    init(unixPath path: String, timeoutSeconds: Int = 30) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw HarnessError("connect to \(path): errno \(errno)")
        }
        setTimeout(timeoutSeconds)
    }

    /// Connects to 127.0.0.1:`port` from `sourceAddress` (any 127.x address on this host).
    init(tcpPort port: UInt16, sourceAddress: String, timeoutSeconds: Int = 30) throws {
        descriptor = try RawHTTPClient(port: port, timeoutSeconds: timeoutSeconds, sourceAddress: sourceAddress)
            .connectSocket()
    }

    deinit { close(descriptor) }

    /// Sends a GET for `path` with `FCGI_KEEP_CONN`, without waiting for the answer; `parameters`
    /// come after the usual ones (a later parameter of the same name replaces an earlier one).
    func send(path: String, remoteAddress: String = "127.0.0.1", parameters: [(String, String)] = []) throws {
        let id = nextRequestID
        nextRequestID &+= 1
        let params: [(String, String)] =
            [
                ("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", path), ("REQUEST_URI", path), ("DOCUMENT_URI", path),
                ("QUERY_STRING", ""), ("SERVER_PROTOCOL", "HTTP/1.1"), ("REMOTE_ADDR", remoteAddress),
                ("CONTENT_LENGTH", ""),
                ("HTTP_ACCEPT", "application/json"),
            ] + parameters
        // BEGIN_REQUEST: the responder role, FCGI_KEEP_CONN.
        var bytes = Self.record(type: 1, id: id, content: [0, 1, 1, 0, 0, 0, 0, 0])
        bytes += Self.record(type: 4, id: id, content: params.flatMap { Self.pair($0.0, $0.1) })
        bytes += Self.record(type: 4, id: id, content: [])
        bytes += Self.record(type: 5, id: id, content: [])
        try RawHTTPClient(port: 0).writeAll(descriptor, bytes)
    }

    /// Reads records until END_REQUEST, or until the service closes the connection.
    func receive() throws -> Answer {
        var output: [UInt8] = []
        while true {
            guard let header = try read(8) else {
                return Answer(status: nil, output: String(decoding: output, as: UTF8.self))
            }
            let length = Int(header[4]) << 8 | Int(header[5])
            guard let content = try read(length + Int(header[6])) else { return Answer(status: nil, output: "") }
            switch header[1] {
            case 6: output += content.prefix(length)  // STDOUT
            case 3:  // END_REQUEST
                let text = String(decoding: output, as: UTF8.self)
                let statusLine = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("status:") }
                let status =
                    statusLine.flatMap { Int($0.dropFirst(7).trimmingCharacters(in: .whitespaces).prefix(3)) } ?? 200
                return Answer(status: status, output: text)
            default: continue
            }
        }
    }

    func get(_ path: String, parameters: [(String, String)] = []) throws -> Answer {
        try send(path: path, parameters: parameters)
        return try receive()
    }

    private func setTimeout(_ seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Exactly `count` bytes, or nil at end of stream (a reset counts as an end too).
    private func read(_ count: Int) throws -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: max(count, 1))
        while bytes.count < count {
            let got = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, count - bytes.count, 0) }
            if got > 0 {
                bytes += buffer.prefix(got)
            } else if got == 0 || errno == ECONNRESET {
                return nil
            } else if errno != EINTR {
                throw HarnessError("recv: errno \(errno)")
            }
        }
        return bytes
    }

    private static func record(type: UInt8, id: UInt16, content: [UInt8]) -> [UInt8] {
        [1, type, UInt8(id >> 8), UInt8(id & 0xff), UInt8(content.count >> 8), UInt8(content.count & 0xff), 0, 0]
            + content
    }

    private static func pair(_ name: String, _ value: String) -> [UInt8] {
        func length(_ count: Int) -> [UInt8] {
            count < 128
                ? [UInt8(count)]
                : [UInt8(count >> 24 | 0x80), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
        }
        return length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
    }
}
