import ContractScenarios
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A response as the client saw it on the wire.
struct WireResponse: Sendable {
    var status: Int
    /// Lowercased names; the last value wins.
    var headers: [String: String]
    var body: [UInt8]
    /// Every `Set-Cookie` value, in order (``headers`` keeps only the last).
    var setCookies: [String] = []

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw HarnessError("not a JSON object: \(text.prefix(200))")
        }
        return object
    }

    var detail: String? { (try? json())?["detail"] as? String }
}

/// A deliberately dumb HTTP/1.1 client over a TCP socket: one request per connection, bytes sent
/// exactly as given. Tests need that control (raw CR/LF, NUL bytes, truncated bodies, hanging up
/// mid-response), which URLSession would "fix" for us. With a cookie jar it is a browser: `send`
/// adds the jar's cookies (unless the request names its own) and keeps what the answer sets.
struct RawHTTPClient: Sendable {
    let port: UInt16
    var timeoutSeconds: Int = 30
    /// Connect from this loopback address (e.g. 127.0.0.2) to look like another client to nginx.
    var sourceAddress: String? = nil
    /// The browser's cookies (plain HTTP: `Secure` ones are not sent); none kept when nil.
    var cookies: CookieJar? = nil

    func get(_ target: String, headers: [String: String] = [:]) throws -> WireResponse {
        try send(method: "GET", target: target, headers: headers, body: nil)
    }

    func post(_ target: String, json: [String: Any], headers: [String: String] = [:]) throws -> WireResponse {
        let body = try JSONSerialization.data(withJSONObject: json)
        var all = headers
        all["Content-Type"] = all["Content-Type"] ?? "application/json"
        return try send(method: "POST", target: target, headers: all, body: Array(body))
    }

    func send(method: String, target: String, headers: [String: String] = [:], body: [UInt8]?) throws -> WireResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if headers["User-Agent"] == nil { head += "User-Agent: hh-auth-tests/1.0\r\n" }
        if headers["Cookie"] == nil, let cookie = cookies?.header() { head += "Cookie: \(cookie)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let response = try exchange(Array(head.utf8) + (body ?? []))
        cookies?.receive(response.setCookies)
        return response
    }

    /// Sends raw bytes and reads until the server closes.
    func exchange(_ bytes: [UInt8]) throws -> WireResponse {
        let fd = try connectSocket()
        defer { close(fd) }
        try writeAll(fd, bytes)
        let raw = try readAll(fd)
        return try Self.parse(raw)
    }

    func connectSocket() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let sourceAddress {
            var source = sockaddr_in()
            source.sin_family = sa_family_t(AF_INET)
            source.sin_addr.s_addr = inet_addr(sourceAddress)
            _ = withUnsafePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw HarnessError("connect to \(port) failed: errno \(errno)")
        }
        return fd
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { throw HarnessError("send failed: errno \(errno)") }
            offset += written
        }
    }

    private func readAll(_ fd: Int32) throws -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count == 0 {
                return data
            } else if errno == EINTR {
                continue
            } else {
                throw HarnessError("recv failed: errno \(errno) after \(data.count) bytes")
            }
        }
    }

    static func parse(_ raw: [UInt8]) throws -> WireResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let split = raw.firstRange(of: separator) else {
            throw HarnessError("no header end in \(raw.count) bytes")
        }
        let headText = String(decoding: raw[..<split.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw HarnessError("bad status line") }
        var headers: [String: String] = [:]
        var setCookies: [String] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
            if name == "set-cookie" { setCookies.append(value) }
        }
        var body = Array(raw[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return WireResponse(status: status, headers: headers, body: body, setCookies: setCookies)
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = bytes[index...].firstRange(of: [13, 10]) else { break }
            let sizeText =
                String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            out.append(contentsOf: bytes[start..<min(start + size, bytes.count)])
            index = start + size + 2
        }
        return out
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
