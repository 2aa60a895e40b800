import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A listening unix socket created by the test, as systemd's socket unit would create it.
struct UnixListener {
    let descriptor: Int32

    init(path: String) throws {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(fd, 128) == 0 else { throw HarnessError("cannot listen on \(path): errno \(errno)") }
        chmod(path, 0o660)
        descriptor = fd
    }

    func close() { _ = Glibc.close(descriptor) }
}
