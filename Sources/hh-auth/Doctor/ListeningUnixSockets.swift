import Foundation

/// The unix socket paths something listens on, from the kernel's table of them (`/proc/net/unix`,
/// this network namespace's): whether a socket file has a listener, learned without connecting.
/// A connection needs write permission on the file, which the user doctor runs as (hh-auth) lacks
/// on nginx's 0660 socket; and to systemd's socket it would start a stopped service.
struct ListeningUnixSockets {
    static let table = "/proc/net/unix"
    /// `__SO_ACCEPTCON` in the table's `Flags`: the socket listens.
    private static let acceptsConnections: UInt32 = 0x10000

    /// Each as it was bound: absolute, or relative to the working directory of whoever bound it.
    let paths: Set<String>

    /// The table's text: a header, then `Num RefCount Protocol Flags Type St Inode [Path]` a line,
    /// in hex; the path is absent for an unnamed socket and `@…` for an abstract one.
    init(table text: String) {
        var paths = Set<String>()
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", maxSplits: 7)
            guard fields.count == 8, let flags = UInt32(fields[3], radix: 16),
                flags & Self.acceptsConnections != 0
            else { continue }
            paths.insert(String(fields[7]))
        }
        self.paths = paths
    }

    struct Unreadable: Error {
        /// `strerror`'s.
        let reason: String
    }

    /// Reads the table with read(2) until its end (procfs reports a size of 0).
    static func read(from path: String = table) throws(Unreadable) -> Self {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Unreadable(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw Unreadable(reason: String(cString: strerror(errno)))
            }
            bytes += buffer[0..<count]
        }
        return Self(table: String(decoding: bytes, as: UTF8.self))
    }
}
