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
        /// hh-auth nodes with the same settings on the same database (with ``postgreSQL``: the
        /// one schema), each its own process, socket and log, all behind nginx's one upstream
        /// (`SERVICE_SOCKETS`). With more than one, each node also gets an nginx of its own in
        /// front of it alone (``TestStack/node(_:)``).
        var nodes = 1
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
    /// One per node; the first is the only one of a one-node stack.
    let serviceSockets: [String]
    var serviceSocket: String { serviceSockets[0] }
    /// The ports of the nginx in front of each node alone (none for a one-node stack).
    let nodePorts: [UInt16]
    let standInSocket: String
    let databasePath: String
    /// The PostgreSQL schema the service uses (``Options/postgreSQL``); nil on SQLite.
    let schema: TestSchema?
    /// `DATABASE_URL` when the service runs on PostgreSQL.
    var databaseURL: String? { schema?.url }
    let serviceEnvironment: [String: String]
    let openFileLimit: Int?
    /// One per node, `nil` until it is started.
    private(set) var services: [ManagedProcess?]
    var service: ManagedProcess? { services[0] }
    private(set) var standIn: ManagedProcess?
    private(set) var nginx: ManagedProcess?
    private(set) var nodeNginx: [ManagedProcess] = []

    /// A client that keeps no cookies: for requests that are not a browser's.
    var http: RawHTTPClient { RawHTTPClient(port: httpPort) }
    /// A new browser: a client with a cookie jar of its own.
    func browser() -> RawHTTPClient { RawHTTPClient(port: httpPort, cookies: CookieJar()) }
    var hh: StandInControl { StandInControl(client: RawHTTPClient(port: standInPort)) }

    init(_ options: Options = Options()) throws {
        directory = try Self.makeDirectory()
        let nodeCount = max(1, options.nodes)
        let ports = try FreePorts.take(3 + (nodeCount > 1 ? nodeCount : 0))
        (httpPort, httpsPort, standInPort) = (ports[0], ports[1], ports[2])
        nodePorts = Array(ports.dropFirst(3))
        let directory = directory
        serviceSockets = (0..<nodeCount).map { directory + "/hh-auth" + Self.nodeSuffix($0) + ".sock" }
        services = Array(repeating: nil, count: nodeCount)
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
            "DATABASE_PATH": databasePath, "FCGI_SOCKET": serviceSockets[0],
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
            try startNodes()
        }
        try startNginx(rateLimits: options.rateLimits, extraEnvironment: options.nginxEnvironment)
        if nodeCount > 1 { try startNodeNginx(rateLimits: options.rateLimits) }
        try waitUntilHealthy()
    }

    deinit { stopAll() }

    func stopAll() {
        nginx?.stop()
        nodeNginx.forEach { $0.stop() }
        services.forEach { $0?.stop() }
        standIn?.stop()
    }

    /// `""` for the first node (the names a one-node stack always had), `-2`, `-3`… after it.
    static func nodeSuffix(_ index: Int) -> String { index == 0 ? "" : "-\(index + 1)" }

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

    /// Starts the first node (the only one of a one-node stack).
    func startService(extraEnvironment: [String: String] = [:]) throws {
        try waitForSocket(serviceSockets[0], process: try launchNode(0, extraEnvironment: extraEnvironment))
    }

    /// Starts every node at once (so they migrate at once), then waits for each one's socket.
    private func startNodes() throws {
        let launched = try services.indices.map { try launchNode($0) }
        for (index, process) in launched.enumerated() { try waitForSocket(serviceSockets[index], process: process) }
    }

    private func launchNode(_ index: Int, extraEnvironment: [String: String] = [:]) throws -> ManagedProcess {
        // prlimit sets the limit and execs the service: the pid stays the service's.
        let command =
            (openFileLimit.map { ["/usr/bin/prlimit", "--nofile=\($0):\($0)", "--"] } ?? []) + [
                Self.binaries + "/hh-auth", "serve",
            ]
        var environment = serviceEnvironment.merging(extraEnvironment) { $1 }
        environment["FCGI_SOCKET"] = serviceSockets[index]
        let process = try ManagedProcess(
            name: "hh-auth" + Self.nodeSuffix(index), executable: command[0], arguments: Array(command.dropFirst()),
            environment: environment, logPath: directory + "/hh-auth" + Self.nodeSuffix(index) + ".log")
        services[index] = process
        return process
    }

    /// Like systemd's `StandardInput=socket`: we own the listening socket and pass it as fd 0.
    func startSocketActivatedService() throws {
        let listener = try UnixListener(path: serviceSocket)
        defer { listener.close() }
        services[0] = try ManagedProcess(
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

    /// The nginx every test talks to: one upstream of all the nodes, and the stand-in's server.
    func startNginx(rateLimits: Bool, extraEnvironment: [String: String] = [:]) throws {
        nginx = try renderAndStartNginx(
            name: "nginx",
            [
                "HTTP_PORT": String(httpPort), "HTTPS_PORT": String(httpsPort),
                "SERVICE_SOCKETS": serviceSockets.joined(separator: " "), "STANDIN_PORT": String(standInPort),
                "STANDIN_SOCKET": standInSocket, "RATE_LIMITS": rateLimits ? "on" : "off",
            ].merging(extraEnvironment) { $1 })
    }

    /// An nginx per node, in front of that node alone: plain HTTP on ``nodePorts``.
    private func startNodeNginx(rateLimits: Bool) throws {
        for (index, port) in nodePorts.enumerated() {
            nodeNginx.append(
                try renderAndStartNginx(
                    name: "nginx-node\(index + 1)",
                    [
                        "HTTP_PORT": String(port), "HTTPS_PORT": "", "SERVICE_SOCKET": serviceSockets[index],
                        "RATE_LIMITS": rateLimits ? "on" : "off",
                    ]))
        }
    }

    private func renderAndStartNginx(name: String, _ settings: [String: String]) throws -> ManagedProcess {
        let prefix = directory + "/" + name
        try FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
        let render = try runCommand(
            "/bin/bash", [Self.repository + "/scripts/render-nginx.sh"],
            environment: [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "NGINX_PREFIX": prefix,
            ].merging(settings) { $1 })
        guard render.status == 0 else { throw HarnessError("render-nginx.sh failed: \(render.output)") }
        return try ManagedProcess(
            name: name, executable: "/usr/sbin/nginx",
            arguments: ["-p", prefix, "-c", prefix + "/nginx.conf", "-e", prefix + "/error.log"],
            environment: [:], logPath: directory + "/" + name + ".log")
    }

    /// Polls `/health` through nginx until it answers 200, and through each node's own nginx:
    /// readiness, with a deadline.
    func waitUntilHealthy(seconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        var waiting = [httpPort] + nodePorts
        while Date() < deadline {
            waiting.removeAll { port in
                (try? RawHTTPClient(port: port, timeoutSeconds: 2).get("/health"))?.status == 200
            }
            if waiting.isEmpty { return }
            last = "not yet: port \(waiting[0])"
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
