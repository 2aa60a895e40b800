import ContractScenarios
import Foundation
import PostgreSQLTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// One complete, private deployment per test: the HH stand-in and hh-auth serving FastCGI on unix
/// sockets, and a real nginx rendered from the repository's config in front of both, on free
/// loopback ports. Only HeadHunter is stood in for.
final class TestStack: @unchecked Sendable {
    struct Options {
        var rateLimits = false
        var environment: [String: String] = [:]
        var startStandIn = true
        var workerThreads = 8
        /// Start the service the way systemd does: the listening socket on fd 0, no FCGI_SOCKET.
        var socketActivation = false
        /// More settings for `scripts/render-nginx.sh` (`ADMIN_ACCESS_CONF`, `REDIRECT_PORT`…).
        var nginxEnvironment: [String: String] = [:]
        /// Start the service under `prlimit --nofile=N`, to run it out of descriptors.
        var openFileLimit: Int? = nil
        /// HH_REDIRECT_URI on nginx's HTTPS port: browser sign-ins end over HTTPS (secure cookies).
        var callbackOverHTTPS = false
        /// Serve from PostgreSQL: `DATABASE_URL` names a schema of the stack's own in the test
        /// process's cluster (``TestSchema``); `DATABASE_PATH` stays set and is not read.
        var postgreSQL = false
    }

    static let repository: String = {
        if let path = ProcessInfo.processInfo.environment["HH_AUTH_REPO"], !path.isEmpty { return path }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()

    static let binaries: String = {
        if let path = ProcessInfo.processInfo.environment["HH_AUTH_BIN_DIR"], !path.isEmpty { return path }
        return repository + "/.build/debug"
    }()

    static let defaultUserID = "100000001"
    static let clientID = "test-client"
    static let clientSecret = "test-secret"

    let directory: String
    let httpPort: UInt16
    let httpsPort: UInt16
    let standInPort: UInt16
    let serviceSocket: String
    let standInSocket: String
    let databasePath: String
    /// The PostgreSQL schema the service uses (``Options/postgreSQL``); nil on SQLite.
    let schema: TestSchema?
    /// `DATABASE_URL` when the service runs on PostgreSQL.
    var databaseURL: String? { schema?.url }
    let serviceEnvironment: [String: String]
    let openFileLimit: Int?
    private(set) var service: ManagedProcess?
    private(set) var standIn: ManagedProcess?
    private(set) var nginx: ManagedProcess?

    /// A client that keeps no cookies: for requests that are not a browser's.
    var http: RawHTTPClient { RawHTTPClient(port: httpPort) }
    /// A new browser: a client with a cookie jar of its own.
    func browser() -> RawHTTPClient { RawHTTPClient(port: httpPort, cookies: CookieJar()) }
    var hh: StandInControl { StandInControl(client: RawHTTPClient(port: standInPort)) }

    init(_ options: Options = Options()) throws {
        directory = try Self.makeDirectory()
        let ports = try FreePorts.take(3)
        (httpPort, httpsPort, standInPort) = (ports[0], ports[1], ports[2])
        serviceSocket = directory + "/hh-auth.sock"
        standInSocket = directory + "/hh-standin.sock"
        databasePath = directory + "/hh-auth.sqlite3"
        let hhBase = "http://127.0.0.1:\(standInPort)"
        var environment: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HH_CLIENT_ID": Self.clientID, "HH_CLIENT_SECRET": Self.clientSecret,
            "HH_REDIRECT_URI": "http://127.0.0.1:\(httpPort)/auth/callback",
            "HH_AUTHORIZE_URL": hhBase + "/oauth/authorize", "HH_TOKEN_URL": hhBase + "/token", "HH_API_URL": hhBase,
            "HH_USER_AGENT": "hh-auth-tests/1.0 (tests@example.com)",
            "ENCRYPTION_KEY": Self.testKey, "ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": Self.adminHash,
            "DATABASE_PATH": databasePath, "FCGI_SOCKET": serviceSocket,
            "WORKER_THREADS": String(options.workerThreads),
            "INITIAL_ALLOWED_USERS": Self.defaultUserID, "LOG_LEVEL": "info",
            "RATE_LIMITS": options.rateLimits ? "on" : "off",
        ]
        schema = try options.postgreSQL ? TestSchema() : nil
        if let schema { environment["DATABASE_URL"] = schema.url }
        if options.callbackOverHTTPS {
            environment["HH_REDIRECT_URI"] = "https://127.0.0.1:\(httpsPort)/auth/callback"
        }
        environment.merge(options.environment) { $1 }
        if options.socketActivation { environment["FCGI_SOCKET"] = nil }
        serviceEnvironment = environment
        openFileLimit = options.openFileLimit
        if options.startStandIn { try startStandIn() }
        if options.socketActivation {
            try startSocketActivatedService()
        } else {
            try startService()
        }
        try startNginx(rateLimits: options.rateLimits, extraEnvironment: options.nginxEnvironment)
        try waitUntilHealthy()
    }

    deinit { stopAll() }

    func stopAll() {
        nginx?.stop()
        service?.stop()
        standIn?.stop()
    }

    // MARK: - Processes

    func startStandIn() throws {
        standIn = try ManagedProcess(
            name: "hh-standin", executable: Self.binaries + "/hh-standin", arguments: [],
            environment: [
                "FCGI_SOCKET": standInSocket, "STANDIN_CLIENT_ID": Self.clientID,
                "STANDIN_CLIENT_SECRET": Self.clientSecret,
                "STANDIN_DEFAULT_USER_ID": Self.defaultUserID, "WORKER_THREADS": "64",
            ], logPath: directory + "/hh-standin.log")
        try waitForSocket(standInSocket, process: standIn!)
    }

    func startService(extraEnvironment: [String: String] = [:]) throws {
        // prlimit sets the limit and execs the service: the pid stays the service's.
        let command =
            (openFileLimit.map { ["/usr/bin/prlimit", "--nofile=\($0):\($0)", "--"] } ?? []) + [
                Self.binaries + "/hh-auth", "serve",
            ]
        service = try ManagedProcess(
            name: "hh-auth", executable: command[0], arguments: Array(command.dropFirst()),
            environment: serviceEnvironment.merging(extraEnvironment) { $1 }, logPath: directory + "/hh-auth.log")
        try waitForSocket(serviceSocket, process: service!)
    }

    /// Like systemd's `StandardInput=socket`: we own the listening socket and pass it as fd 0.
    func startSocketActivatedService() throws {
        let listener = try UnixListener(path: serviceSocket)
        defer { listener.close() }
        service = try ManagedProcess(
            name: "hh-auth", executable: Self.binaries + "/hh-auth", arguments: ["serve"],
            environment: serviceEnvironment,
            logPath: directory + "/hh-auth.log",
            standardInput: FileHandle(fileDescriptor: listener.descriptor, closeOnDealloc: false))
    }

    /// Replaces the service process with a new one (after a crash or a stop).
    func restartService() throws {
        try startService()
        try waitUntilHealthy()
    }

    func startNginx(rateLimits: Bool, extraEnvironment: [String: String] = [:]) throws {
        let prefix = directory + "/nginx"
        try FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
        let render = try runCommand(
            "/bin/bash", [Self.repository + "/scripts/render-nginx.sh"],
            environment: [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "NGINX_PREFIX": prefix,
                "HTTP_PORT": String(httpPort), "HTTPS_PORT": String(httpsPort), "SERVICE_SOCKET": serviceSocket,
                "STANDIN_PORT": String(standInPort), "STANDIN_SOCKET": standInSocket,
                "RATE_LIMITS": rateLimits ? "on" : "off",
            ].merging(extraEnvironment) { $1 })
        guard render.status == 0 else { throw HarnessError("render-nginx.sh failed: \(render.output)") }
        nginx = try ManagedProcess(
            name: "nginx", executable: "/usr/sbin/nginx",
            arguments: ["-p", prefix, "-c", prefix + "/nginx.conf", "-e", prefix + "/error.log"],
            environment: [:], logPath: directory + "/nginx.log")
    }

    /// Polls `/health` through nginx until it answers 200: readiness, with a deadline.
    func waitUntilHealthy(seconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            if let response = try? RawHTTPClient(port: httpPort, timeoutSeconds: 2).get("/health"),
                response.status == 200
            {
                return
            } else {
                last = "not yet"
            }
            usleep(20_000)
        }
        throw HarnessError("stack not healthy (\(last)); service log:\n\(service?.log ?? "")\nnginx:\n\(nginxErrorLog)")
    }

    private func waitForSocket(_ path: String, process: ManagedProcess) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return }
            if !process.isRunning { throw HarnessError("\(process.name) exited: \(process.log)") }
            usleep(10_000)
        }
        throw HarnessError("\(process.name) did not create \(path): \(process.log)")
    }

    var nginxErrorLog: String { (try? String(contentsOfFile: directory + "/nginx/error.log", encoding: .utf8)) ?? "" }

    // MARK: - Fixtures

    static let testKey = randomEncryptionKey()
    /// crypt("admin-password", "$6$hhauthtests$").
    static let adminHash = makeAdminHash()

    private static func makeAdminHash() -> String {
        (try? runCommand("/usr/bin/openssl", ["passwd", "-6", "-salt", "hhauthtests", "admin-password"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
    }

    private static func makeDirectory() throws -> String {
        let base = ProcessInfo.processInfo.environment["HH_AUTH_TEST_TMP"] ?? NSTemporaryDirectory()
        // Unix socket paths are limited to 108 bytes: keep the directory short.
        let path = (base as NSString).appendingPathComponent("hhe2e-" + UUID().uuidString.prefix(8).lowercased())
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Free loopback ports: bind port 0, read the number, close.
/// Ports for the test servers, each handed out once per test process.
///
/// Taken below the kernel's ephemeral range (`ip_local_port_range`, 32768 and up by default): a
/// port `bind(0)` picks there is free only until its socket closes, and then any outgoing
/// connection of the tests running beside (hundreds at once) may get it before nginx binds it;
/// seen once in CI: a redirect test's port answered by another server with 400. Below that range
/// only an explicit bind takes a port, and each one here is checked free before it is handed out.
enum FreePorts {
    private static let lock = NSLock()
    /// Where this process starts: spread by pid so two test processes rarely probe the same ports.
    nonisolated(unsafe) private static var next = UInt16(20_000 + Int(getpid() % 600) * 16)

    static func take(_ count: Int) throws -> [UInt16] {
        lock.lock()
        defer { lock.unlock() }
        var ports: [UInt16] = []
        var tries = 0
        while ports.count < count {
            tries += 1
            guard tries < 2_000 else { throw HarnessError("no free port below the ephemeral range") }
            let port = next
            next = next >= 30_000 ? 20_000 : next + 1
            if isFree(port) { ports.append(port) }
        }
        return ports
    }

    private static func isFree(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
