import Foundation
import PostgreSQL

/// One connection of the node's own for one duty outside the worker threads' transactions (the
/// shared counts, the admin throttle, the janitor's lock): opened on first use, reconnected on
/// the next use after it broke, one caller at a time.
final class PostgreSQLDedicatedConnection: @unchecked Sendable {
    private let connectionString: PGConnectionString
    private let lock = NSLock()
    private var connection: PGConnection?

    init(_ connectionString: PGConnectionString) {
        self.connectionString = connectionString
    }

    deinit {
        connection?.close()
    }

    /// `body` on the connection, which no other caller of this one uses meanwhile.
    func use<T>(_ body: (PGConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let connection = try open()
        return try body(connection)
    }

    /// The connection, for what may run beside ``use(_:)`` (waiting for notifications).
    func current() -> PGConnection? {
        lock.lock()
        defer { lock.unlock() }
        return connection
    }

    /// Closes the connection (what it held on the server goes with it); the next use opens another.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        connection?.close()
        connection = nil
    }

    private func open() throws -> PGConnection {
        if let connection, connection.isConnected { return connection }
        connection?.close()
        connection = nil
        let opened = try PGConnection(connectionString)
        connection = opened
        return opened
    }
}
