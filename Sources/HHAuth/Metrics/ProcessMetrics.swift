#if canImport(Glibc)
    import Glibc
#endif

/// The standard process collector's series (`process_*`, named as Prometheus's client libraries
/// name them), read from `/proc/self` at scrape time: one read of `/proc/self/stat` and one walk
/// of `/proc/self/fd`, a few microseconds. swift-prometheus has no Linux process collector, and
/// `process_cpu_seconds_total` is a counter that only the kernel moves, so these lines are written
/// here rather than kept in the registry. Off Linux (no `/proc`) they are left out.
struct ProcessMetrics: Sendable {
    private let ticksPerSecond: Double
    private let pageSize: Int
    /// Unix time the process started (boot time plus the start in clock ticks), read once.
    let startTimeSeconds: Double?

    init() {
        ticksPerSecond = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))
        pageSize = max(1, sysconf(Int32(_SC_PAGESIZE)))
        if let bootTime = Self.bootTime(), let stat = Self.stat() {
            startTimeSeconds = bootTime + Double(stat.startTicks) / ticksPerSecond
        } else {
            startTimeSeconds = nil
        }
    }

    /// Appends the `# HELP`/`# TYPE` lines and the values.
    func emit(into buffer: inout [UInt8]) {
        if let stat = Self.stat() {
            buffer.appendSample(Self.cpu, Double(stat.userTicks + stat.systemTicks) / ticksPerSecond)
            buffer.appendSample(Self.resident, stat.residentPages * pageSize)
            buffer.appendSample(Self.virtual, stat.virtualBytes)
        }
        if let open = Self.openDescriptors() {
            buffer.appendSample(Self.openFDs, open)
        }
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            buffer.appendSample(Self.maxFDs, Int(clamping: limit.rlim_cur))
        }
        if let startTimeSeconds {
            buffer.appendSample(Self.startTime, startTimeSeconds)
        }
    }

    /// Each series' `# HELP` and `# TYPE` lines and its name, written once.
    private static let cpu = header(
        "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.")
    private static let resident = header(
        "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
    private static let virtual = header("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
    private static let openFDs = header("process_open_fds", "gauge", "Number of open file descriptors.")
    private static let maxFDs = header("process_max_fds", "gauge", "Maximum number of open file descriptors.")
    private static let startTime = header(
        "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")

    private static func header(_ name: String, _ type: String, _ help: String) -> [UInt8] {
        Array("# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) ".utf8)
    }

    /// The fields of `/proc/self/stat` used here (proc(5): 14 utime, 15 stime, 22 starttime,
    /// 23 vsize, 24 rss).
    struct Stat: Equatable {
        var userTicks: Int
        var systemTicks: Int
        var startTicks: Int
        var virtualBytes: Int
        var residentPages: Int
    }

    static func stat() -> Stat? {
        guard let bytes = ProcFile.read("/proc/self/stat") else { return nil }
        return parseStat(bytes)
    }

    /// Parses a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses and may hold
    /// spaces and parentheses itself, so the fields are counted from the last `)`; one pass over
    /// the bytes, without splitting them into fields.
    static func parseStat(_ bytes: [UInt8]) -> Stat? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Fields 14, 15, 22, 23, 24, in order; -1 until read.
        var wanted = (user: -1, system: -1, start: -1, virtual: -1, resident: -1)
        var field = 2
        var value = 0
        var inField = false
        for byte in bytes[(close + 1)...] {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") {
                if inField {
                    switch field {
                    case 14: wanted.user = value
                    case 15: wanted.system = value
                    case 22: wanted.start = value
                    case 23: wanted.virtual = value
                    case 24: wanted.resident = value
                    default: break
                    }
                    if field == 24 { break }
                }
                inField = false
                continue
            }
            if !inField {
                inField = true
                field += 1
                value = 0
            }
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                value = value &* 10 &+ Int(byte - UInt8(ascii: "0"))
            }
        }
        guard wanted.user >= 0, wanted.system >= 0, wanted.start >= 0, wanted.virtual >= 0, wanted.resident >= 0
        else { return nil }
        return Stat(
            userTicks: wanted.user, systemTicks: wanted.system, startTicks: wanted.start,
            virtualBytes: wanted.virtual, residentPages: wanted.resident)
    }

    /// The entries of `/proc/self/fd`, less the one the listing itself holds open.
    static func openDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { count += 1 }
        }
        return max(0, count - 1)
    }

    /// `btime` of `/proc/stat`: when the machine booted, Unix seconds.
    private static func bootTime() -> Double? {
        guard let bytes = ProcFile.read("/proc/stat", limit: 1 << 20) else { return nil }
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("btime ".utf8)) {
            return Double(String(decoding: line.dropFirst(6), as: UTF8.self))
        }
        return nil
    }
}

/// Reading a `/proc` file: their size is 0 to `stat`, so it is read to the end in chunks.
private enum ProcFile {
    static func read(_ path: String, limit: Int = 64 * 1024) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { chunk in
            while bytes.count < limit {
                let count = Glibc.read(descriptor, chunk.baseAddress, chunk.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return count == 0 ? bytes : nil }
                bytes.append(contentsOf: chunk[0..<count])
            }
            return bytes
        }
    }
}

extension [UInt8] {
    /// A series' header lines and name (``ProcessMetrics``), then its value and the line's end.
    fileprivate mutating func appendSample(_ header: [UInt8], _ value: Int) {
        append(contentsOf: header)
        append(contentsOf: String(value).utf8)
        append(UInt8(ascii: "\n"))
    }

    fileprivate mutating func appendSample(_ header: [UInt8], _ value: Double) {
        append(contentsOf: header)
        append(contentsOf: String(value).utf8)
        append(UInt8(ascii: "\n"))
    }
}
