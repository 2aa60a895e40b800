import FastCGI
import FastCGIHTTP
import Foundation
import GRDB
import HTTPCore
import Logging
import Synchronization

@testable import HHAuth

/// A clock the tests move by hand; nothing in the unit tests sleeps.
final class ManualClock: WallClock {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_750_000_000)) {
        current = Mutex(start)
    }

    func now() -> Date { current.withLock { $0 } }

    func advance(seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A fresh directory holding one database file; removed when the test lets go of it.
final class TestDatabase: Sendable {
    let directory: URL
    let path: String
    let database: AppDatabase

    init(busyTimeoutSeconds: Double = 5) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hh-auth-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("test.sqlite3").path
        database = try AppDatabase(path: path, busyTimeoutSeconds: busyTimeoutSeconds)
    }

    /// The bytes of the database file and its WAL/SHM companions, for "is this secret on disk" checks.
    func fileBytes() throws -> [UInt8] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        var bytes: [UInt8] = []
        for name in names { bytes += Array(try Data(contentsOf: directory.appendingPathComponent(name))) }
        return bytes
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Another connection to a test database that takes SQLite's write lock (`BEGIN IMMEDIATE`) when
/// told and keeps it until released: a locked database, as an operator's `audit prune` makes one.
final class WriteLockHolder: Sendable {
    private let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        // The transaction outlives one access on purpose: that is the lock.
        configuration.allowsUnsafeTransactions = true
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    func take() throws {
        try queue.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
    }

    func release() throws {
        try queue.inDatabase { db in try db.execute(sql: "COMMIT") }
    }
}

/// A one-shot barrier without sleeps: `wait` blocks until `open` was called (or the timeout passes).
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    @discardableResult
    func wait(timeoutSeconds: Double = 10) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !isOpen { if !condition.wait(until: deadline) { return isOpen } }
        return true
    }
}

/// A thread-safe fake of HeadHunter: answers scripted per URL, and remembers every request.
final class FakeHH: HHTransport {
    typealias Answer = @Sendable (HHHTTPRequest) throws -> HHHTTPResponse
    private let state = Mutex<(answers: [String: Answer], requests: [HHHTTPRequest])>(([:], []))

    func on(_ url: String, _ answer: @escaping Answer) {
        state.withLock { $0.answers[url] = answer }
    }

    func on(_ url: String, status: Int, json: String) {
        on(url) { _ in HHHTTPResponse(status: status, body: Array(json.utf8)) }
    }

    func send(_ request: HHHTTPRequest) throws -> HHHTTPResponse {
        let answer = state.withLock { state -> Answer? in
            state.requests.append(request)
            return state.answers[request.url]
        }
        guard let answer else { return HHHTTPResponse(status: 404, body: Array(#"{"description":"Not Found"}"#.utf8)) }
        return try answer(request)
    }

    var requests: [HHHTTPRequest] { state.withLock { $0.requests } }

    func requests(to url: String, method: String? = nil) -> [HHHTTPRequest] {
        requests.filter { $0.url == url && (method == nil || $0.method == method) }
    }

    /// The form fields of a request body.
    static func form(_ request: HHHTTPRequest) -> QueryParameters {
        QueryParameters(parsing: Substring(String(decoding: request.body, as: UTF8.self)))
    }
}

enum Fixtures {
    static let tokenURL = "https://api.hh.test/token"
    static let apiURL = "https://api.hh.test"
    static let authorizeURL = "https://hh.test/oauth/authorize"
    static let redirectURI = "https://auth.example.com/auth/callback"
    static let userAgent = "hh-auth-tests/1.0 (dev@example.com)"

    static let logger = Logger(label: "hh-auth-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func headHunter(maxConcurrentCalls: Int = 16) -> HHAuth.Configuration.HeadHunter {
        var settings = HHAuth.Configuration.HeadHunter(
            clientID: "client-id", clientSecret: "client-secret", redirectURI: redirectURI)
        settings.authorizeURL = authorizeURL
        settings.tokenURL = tokenURL
        settings.apiURL = apiURL
        settings.userAgent = userAgent
        settings.maxConcurrentCalls = maxConcurrentCalls
        return settings
    }

    static func key(_ byte: UInt8 = 7) -> EncryptionKey {
        EncryptionKey(bytes: Data(repeating: byte, count: 32))
    }

    static func tokenJSON(access: String, refresh: String, expiresIn: Int = 1_209_600) -> String {
        #"{"access_token":"\#(access)","token_type":"bearer","expires_in":\#(expiresIn),"refresh_token":"\#(refresh)"}"#
    }

    static func user(_ hhUserID: String = "1001", in database: AppDatabase, clock: any WallClock) throws -> User {
        try database.write { db in
            try UserStore(clock: clock).upsert(
                HHProfile(id: hhUserID, firstName: "Иван", lastName: "Петров", email: "ivan@example.com"), in: db)
        }
    }
}

/// Builds the FastCGI parameters nginx would pass for a request.
func fastCGIRequest(
    _ method: String, _ uri: String, headers: [String: String] = [:], body: String = "",
    contentType: String? = nil, extra: [String: String] = [:]
) -> FastCGIRequest {
    var params = ["REQUEST_METHOD": method, "REQUEST_URI": uri, "REMOTE_ADDR": "203.0.113.7"]
    if let mark = uri.firstIndex(of: "?") { params["QUERY_STRING"] = String(uri[uri.index(after: mark)...]) }
    for (name, value) in headers {
        params["HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] = value
    }
    if let contentType { params["CONTENT_TYPE"] = contentType }
    params.merge(extra) { _, new in new }
    return FastCGIRequest(params: params, body: Array(body.utf8))
}

extension Application {
    /// As `hh-auth serve` calls it: the CGI parameters through FastCGIHTTP's adapter, so the tests
    /// written against what nginx passes keep testing that.
    func respond(to request: FastCGIRequest) -> FastCGIResponse {
        FastCGIHTTPResponder(self).respond(to: request)
    }
}

extension FastCGIResponse {
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// Every `Set-Cookie` value, in order.
    var setCookies: [String] {
        headers.filter { $0.name.lowercased() == "set-cookie" }.map(\.value)
    }

    /// The body as a JSON object; empty when it is not one.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    var detail: String? { json["detail"] as? String }
}

/// A value shared with threads the test starts.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

extension DomainServices {
    /// The SQLite file of services built over one (every test that reads SQL behind the stores).
    var database: AppDatabase {
        guard let sqlite else { preconditionFailure("these services run on PostgreSQL") }
        return sqlite
    }
}

extension TestDatabase {
    /// The SQLite engine over this database, its stores on `clock` with the fixtures' key: what a
    /// use case built by hand in a test writes through.
    func storage(clock: any WallClock, sessionLifetimeSeconds: Double = 720 * 3600) -> any StorageEngine {
        DomainServices(
            database: database, vault: TokenVault(current: Fixtures.key()), clock: clock,
            sessionLifetimeSeconds: sessionLifetimeSeconds
        ).storage
    }
}
