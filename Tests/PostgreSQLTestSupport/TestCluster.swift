import Foundation
import PostgreSQL
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL cluster (scripts/pg-cluster.sh) in a temporary directory named after
/// the test process: `hh-auth-pg-<pid>[-<label>]`. The shared one starts on first use and stops
/// when the process exits; a cluster whose process was killed is stopped and removed by the next
/// process that starts one. Suites take a database of their own from it (``database(_:)``).
public final class TestCluster: Sendable {
    public let directory: String
    /// The libpq conninfo of the `postgres` database (the script's first line).
    public let conninfo: String
    /// The same as a `postgresql://` URL (its second line).
    public let url: String

    /// The process's shared cluster; the first call starts it.
    public static func shared() throws -> TestCluster {
        try sharedCluster.get()
    }

    private static let sharedCluster = Result { () throws -> TestCluster in
        removeClustersOfEndedProcesses()
        let cluster = try TestCluster(label: nil)
        stopAtExit(cluster.directory)
        return cluster
    }

    /// A cluster of the test's own, for tests that stop or kill it; stopped at exit as well.
    public static func own(_ label: String) throws -> TestCluster {
        let cluster = try TestCluster(label: label)
        stopAtExit(cluster.directory)
        return cluster
    }

    private init(label: String?) throws {
        directory = Self.base + "/hh-auth-pg-\(getpid())" + (label.map { "-" + $0 } ?? "")
        let lines = try Self.script("start", directory).split(separator: "\n").map(String.init)
        guard lines.count == 2 else { throw ClusterFailure("pg-cluster.sh start printed \(lines)") }
        conninfo = lines[0]
        url = lines[1]
    }

    /// The conninfo of database `name` in the shared cluster, made on first use (a database per
    /// suite: tests in it use temporary tables or names of their own).
    public static func database(_ name: String) throws -> String {
        let cluster = try shared()
        try databases.withLock { made in
            guard !made.contains(name) else { return }
            let admin = try connect(cluster.conninfo)
            defer { admin.close() }
            try admin.execute("CREATE DATABASE \(name)")
            made.insert(name)
        }
        return cluster.conninfo.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(name)")
    }

    private static let databases = LockedValue<Set<String>>([])

    /// A connection for a test's setup. When it cannot be made, the error says so with the last
    /// lines of the shared cluster's server log (what the server saw of it, if anything).
    public static func connect(_ conninfo: String) throws -> PGConnection {
        do {
            return try PGConnection(conninfo)
        } catch {
            let log = (try? shared()).flatMap {
                try? String(contentsOfFile: $0.directory + "/server.log", encoding: .utf8)
            }
            let tail = log.map { $0.split(separator: "\n").suffix(10).joined(separator: "\n") } ?? "(no server log)"
            throw ClusterFailure(
                "setup connection failed: \(error.message)\nshared cluster's server.log, last lines:\n\(tail)")
        }
    }

    public func stop() throws { _ = try Self.script("stop", directory) }

    public func start() throws { _ = try Self.script("start", directory) }

    /// The postmaster's pid (the first line of postmaster.pid).
    public func postmasterPID() throws -> pid_t {
        let text = try String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8)
        return try #require(text.split(separator: "\n").first.flatMap { pid_t($0) })
    }

    public static let repository: String = {
        if let path = ProcessInfo.processInfo.environment["HH_AUTH_REPO"], !path.isEmpty { return path }
        // Tests/PostgreSQLTestSupport/TestCluster.swift
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    public static var scriptPath: String { repository + "/scripts/pg-cluster.sh" }

    /// Where the clusters live: HH_AUTH_TEST_TMP, else /dev/shm (memory: the server's fsyncs cost
    /// nothing, and builds writing to the disk meanwhile do not stall the tests), else /tmp. Short
    /// either way, so the socket path fits (107 bytes).
    private static let base: String = {
        if let base = ProcessInfo.processInfo.environment["HH_AUTH_TEST_TMP"], !base.isEmpty {
            return base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        return access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp"
    }()

    /// `pg-cluster.sh command directory`'s standard output; throws with its error output.
    @discardableResult
    private static func script(_ command: String, _ directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: scriptPath)
        process.arguments = [command, directory]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClusterFailure(
                "pg-cluster.sh \(command) \(directory) exited \(process.terminationStatus): "
                    + String(decoding: complaint, as: UTF8.self))
        }
        return String(decoding: printed, as: UTF8.self)
    }

    /// Stops and removes the clusters of test processes that no longer run (killed before their
    /// exit handler ran).
    private static func removeClustersOfEndedProcesses() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        for name in names where name.hasPrefix("hh-auth-pg-") {
            let rest = name.dropFirst("hh-auth-pg-".count)
            guard let pid = rest.split(separator: "-").first.flatMap({ pid_t($0) }), pid != getpid() else { continue }
            guard kill(pid, 0) == -1, errno == ESRCH else { continue }
            let directory = base + "/" + name
            if (try? script("stop", directory)) != nil { try? FileManager.default.removeItem(atPath: directory) }
        }
    }

    /// Registers `directory` for `pg-cluster.sh stop` and removal when the process exits.
    private static func stopAtExit(_ directory: String) {
        let first = exitDirectories.withLock { directories in
            directories.append(directory)
            return directories.count == 1
        }
        guard first else { return }
        atexit {
            for directory in TestCluster.exitDirectories.withLock({ $0 }) {
                TestCluster.stopAndRemoveWithoutFoundation(directory)
            }
        }
    }

    private static let exitDirectories = LockedValue<[String]>([])

    /// posix_spawn and waitpid: at exit, Foundation's Process may no longer be usable. The
    /// server's log is kept in `.test-output/` (when the directory exists: `make test` makes it),
    /// for the next look at a failure the log would explain.
    private static func stopAndRemoveWithoutFoundation(_ directory: String) {
        let kept = repository + "/.test-output/" + (directory as NSString).lastPathComponent + ".server.log"
        let command =
            #""$1" stop "$2" >/dev/null 2>&1 && { [ ! -d "${3%/*}" ] || cp -- "$2/server.log" "$3" 2>/dev/null; rm -rf -- "$2"; }"#
        let strings: [String] = ["/bin/sh", "-c", command, "sh", scriptPath, directory, kept]
        let arguments = strings.map { strdup($0) }
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", nil, nil, arguments + [nil], environ) == 0 else { return }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}

public struct ClusterFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A value behind an NSLock.
public final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
