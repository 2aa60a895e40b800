internal import CLibPQ
import WorkerThreads

#if canImport(Glibc)
    import Glibc
#endif

/// One connection to PostgreSQL through libpq, used synchronously from worker threads.
///
/// Every call blocks its thread until the server answers, inside ``BlockingCall/run(_:)`` so that
/// a FastCGI worker hands its turn to another meanwhile. A connection serves one thread at a time:
/// each call, and a whole ``transaction(isolation:_:)``, holds the connection's lock, so another
/// thread's statements wait instead of interleaving (a connection per worker thread never waits).
///
/// A broken connection is not repaired behind the caller's back: the failing call throws
/// ``PGError/Kind/connectionLost``, ``isConnected`` turns false, and ``reset()`` reconnects with
/// the same parameters; statements prepared before are prepared again on their next use.
public final class PGConnection: @unchecked Sendable {
    let lock = RecursiveLock()
    /// libpq's connection; nil once closed. Guarded by `lock`, as is everything below.
    var handle: OpaquePointer?
    /// Cut out of every error message.
    let password: String?
    /// The statements ``prepare(_:_:)`` was asked for, by name: what the connection prepares again
    /// in a new session.
    var statements: [String: String] = [:]
    /// The names prepared on the server in the current session.
    var preparedInSession: Set<String> = []
    /// The first statement that failed in the open transaction (which PostgreSQL then aborts).
    var transactionFailure: PGError?
    /// The server settings set in every session (``PGConnectionDefaults/settings``).
    private let settings: [String: String]
    /// ``PGConnectionDefaults/responseTimeoutSeconds``: nil runs libpq's synchronous calls.
    let responseTimeout: Duration?

    /// Connects to `connectionString` (a `postgresql://` URL or a libpq conninfo; see
    /// ``PGConnectionString``). The connection always speaks UTF-8; `connect_timeout` is
    /// `connectTimeoutSeconds` unless the string sets it (libpq's own default waits forever).
    /// Throws ``PGError/Kind/invalidConnectionString`` or ``PGError/Kind/unavailable``.
    public convenience init(_ connectionString: String, connectTimeoutSeconds: Int = 10) throws(PGError) {
        try self.init(try PGConnectionString(connectionString), connectTimeoutSeconds: connectTimeoutSeconds)
    }

    /// Connects to `connectionString`, already checked; as the initializer that takes text.
    public convenience init(_ connectionString: PGConnectionString, connectTimeoutSeconds: Int = 10) throws(PGError) {
        try self.init(connectionString, defaults: PGConnectionDefaults(connectTimeoutSeconds: connectTimeoutSeconds))
    }

    /// Connects to `connectionString` with `defaults` where the string does not say otherwise.
    /// Every session also gets `extra_float_digits = 3`, whatever the string says: a double read
    /// back must be the double written (a server before 12, or a setting below 1, sends 15
    /// digits, which not every double survives).
    public init(_ connectionString: PGConnectionString, defaults: PGConnectionDefaults) throws(PGError) {
        password = connectionString.password
        settings = defaults.settings
        responseTimeout = defaults.responseTimeoutSeconds.map { .milliseconds(Int64(max(0, $0) * 1000)) }
        // In array order, a later keyword wins: the string's own connect_timeout and parameters
        // beat ours; UTF-8 beats the string's client_encoding (``PGRow`` decodes text as UTF-8).
        let parameters = defaults.parameters.sorted { $0.key < $1.key }
        let keywords = ["connect_timeout"] + parameters.map(\.key) + ["dbname", "client_encoding"]
        let values =
            [String(defaults.connectTimeoutSeconds)] + parameters.map(\.value) + [connectionString.text, "UTF8"]
        let connection = BlockingCall.run {
            Self.withCStrings(keywords) { keywords in
                Self.withCStrings(values) { values in PQconnectdbParams(keywords, values, 1) }
            }
        }
        guard let connection else { throw PGError(.unavailable, "out of memory opening a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.firstLine(PQerrorMessage(connection), scrubbing: password)
            PQfinish(connection)
            throw PGError(.unavailable, message)
        }
        // libpq prints NOTICE and WARNING messages to stderr by default, in the middle of the
        // service's log lines; none of them is something the service acts on.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
        do {
            try configureSession()
        } catch {
            close()
            throw error
        }
    }

    /// `extra_float_digits`, and the settings nothing else set, for the session that just began.
    private func configureSession() throws(PGError) {
        var sql = "SELECT set_config('extra_float_digits', '3', false)"
        var parameters: [PGParameter] = []
        if !settings.isEmpty {
            let rows = settings.sorted { $0.key < $1.key }.map { setting -> String in
                parameters += [.text(setting.key), .text(setting.value)]
                return "($\(parameters.count - 1)::text, $\(parameters.count)::text)"
            }
            sql += """

                UNION ALL SELECT set_config(d.name, d.value, false)
                FROM (VALUES \(rows.joined(separator: ", "))) AS d(name, value)
                JOIN pg_settings s ON s.name = d.name WHERE s.source = 'default'
                """
        }
        try execute(sql, parameters)
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Whether the connection is up, as far as libpq knows (`PQstatus`): a server that went away
    /// is noticed by the next call that fails.
    public var isConnected: Bool {
        lock.withLock { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }
    }

    /// Closes the connection and reconnects with the same parameters (`PQreset`), e.g. after
    /// ``PGError/Kind/connectionLost``. An open transaction is gone; prepared statements are
    /// prepared again on their next use. Throws ``PGError/Kind/unavailable`` while the server
    /// cannot be reached (the connection stays broken; reset again later).
    public func reset() throws(PGError) {
        try lock.withLock { () throws(PGError) in
            let handle = try openHandle()
            BlockingCall.run { PQreset(handle) }
            preparedInSession = []
            transactionFailure = nil
            guard PQstatus(handle) == CONNECTION_OK else {
                throw PGError(.unavailable, Self.firstLine(PQerrorMessage(handle), scrubbing: password))
            }
            try configureSession()
        }
    }

    /// Closes the connection; later calls throw ``PGError/Kind/connectionLost``. Closing twice is
    /// harmless.
    public func close() {
        lock.withLock {
            if let handle { PQfinish(handle) }
            handle = nil
            preparedInSession = []
        }
    }

    /// The open handle, or the error a closed connection gives.
    func openHandle() throws(PGError) -> OpaquePointer {
        guard let handle else { throw PGError(.connectionLost, "the connection is closed") }
        return handle
    }

    /// The first line of a libpq message (the rest is hints), without `password`.
    static func firstLine(_ text: UnsafePointer<CChar>?, scrubbing password: String?) -> String {
        let message = text.map { String(cString: $0) } ?? ""
        let line = message.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        let trimmed = line.trimmingSuffix(while: { $0 == " " || $0 == "\t" })
        return scrub(trimmed.isEmpty ? "no message from libpq" : trimmed, of: password)
    }

    static func scrub(_ message: String, of password: String?) -> String {
        guard let password, !password.isEmpty else { return message }
        return message.replacing(password, with: "***")
    }

    /// `strings` as an array of C strings with a NULL after the last, valid during `body`.
    private static func withCStrings<T>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return body(copies.map { UnsafePointer($0) } + [nil])
    }
}

extension String {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
        var end = endIndex
        while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
        return String(self[..<end])
    }
}
