import Foundation
import PostgreSQL

/// A PostgreSQL database looked at without being used: one connection, reads only, nothing
/// migrated (`hh-auth doctor`, and the operator commands' check that `DATABASE_URL` names a
/// database `serve` or `migrate` has set up). ``PostgreSQLEngine`` is what serves; it migrates as
/// it opens, which would hide a schema that is behind.
public final class PostgreSQLInspection: @unchecked Sendable {
    private let connection: PGConnection
    /// Where the database is, safe to show (``DatabaseSelection/masked(_:)``).
    public let location: String

    /// Connects; a server that cannot be reached, or a string libpq refuses, throws the
    /// ``StorageFailure`` it is (its cause never holds the password).
    public init(connectionString: String) throws {
        location = DatabaseSelection.masked(connectionString)
        do {
            connection = try PGConnection(connectionString)
        } catch {
            throw StorageFailure(error)
        }
    }

    deinit { connection.close() }

    /// The server's version (`server_version`), for the report.
    public func serverVersion() throws -> String {
        try run { try $0.execute("SHOW server_version").first?.string(0) ?? "" }
    }

    /// Where the schema stands against this binary's migrations; `nil` when the database records
    /// none (`serve` or `migrate` never ran on it: not an hh-auth database yet).
    public func schemaStatus() throws -> SchemaStatus? {
        try run { connection in
            let table = try connection.execute("SELECT to_regclass('hh_auth_migrations') IS NOT NULL").first?.bool(0)
            guard table == true else { return nil }
            let applied = try PostgreSQLMigrator.appliedIdentifiers(connection)
            let known = PostgreSQLSchema.identifiers
            return SchemaStatus(
                known: known, applied: known.filter(applied.contains) + applied.filter { !known.contains($0) }.sorted())
        }
    }

    /// When the newest audit event was written (`nil` when there is none).
    public func newestAuditEventTime() throws -> Date? {
        try run { connection in
            try connection.execute("SELECT max(created_at) FROM audit_events").first?.double(0).map(
                Date.init(timeIntervalSince1970:))
        }
    }

    /// Runs `body` in one `REPEATABLE READ READ ONLY` transaction: every statement in it sees the
    /// same snapshot, and none may write.
    func readSnapshot<T>(_ body: (PGConnection) throws -> T) throws -> T {
        try run { connection in
            try connection.transaction(isolation: .repeatableRead) { connection in
                // Before the first query, as PostgreSQL requires: the transaction may not write.
                try connection.execute("SET TRANSACTION READ ONLY")
                return try body(connection)
            }
        }
    }

    private func run<T>(_ body: (PGConnection) throws -> T) throws -> T {
        do {
            return try body(connection)
        } catch let error as PGError {
            throw StorageFailure(error)
        }
    }
}
