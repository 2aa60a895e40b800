// A copy of Sources/HHAuth/Storage/PreparedStatement.swift as it was before issue 10 (main at b132c91), types
// renamed: the baseline of bench/readpath/run.sh, which opened its own raw connection.
import Foundation
import GRDB
import GRDBSQLite

/// One statement of a ``BaselineConnection``, prepared once and run many times.
///
/// Only for the request path's hottest reads (see ``SessionLookup``); everything else goes through
/// GRDB. A statement runs as its own implicit read transaction, so one statement sees one
/// consistent snapshot; ``run(_:_:)`` always resets it, so no snapshot outlives the call (an open
/// read would hold back WAL checkpoints).
final class BaselineStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer

    init(sql: String, connection: OpaquePointer) throws {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw DatabaseError(code: code, connection: connection)
        }
        self.handle = statement
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds `arguments` (1-based, in order), steps once, and reads the first row with `row`;
    /// `nil` when there is none.
    func run<T>(_ arguments: [Argument], _ row: (Columns) throws -> T) throws -> T? {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch argument {
            case .integer(let value): code = sqlite3_bind_int64(handle, index, value)
            case .real(let value): code = sqlite3_bind_double(handle, index, value)
            case .blob(let value):
                code = value.withUnsafeBytes {
                    sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT)
                }
            }
            guard code == SQLITE_OK else { throw DatabaseError(code: code, connection: connection) }
        }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return try row(Columns(handle: handle))
        case SQLITE_DONE: return nil
        case let code: throw DatabaseError(code: code, connection: connection)
        }
    }

    enum Argument {
        case integer(Int64)
        case real(Double)
        case blob(Data)
    }

    /// The current row, by column index (the order of the `SELECT` list).
    struct Columns {
        fileprivate let handle: OpaquePointer

        func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }
        func integer(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }
        func real(_ index: Int32) -> Double { sqlite3_column_double(handle, index) }

        func text(_ index: Int32) -> String? {
            guard let bytes = sqlite3_column_text(handle, index) else { return nil }
            let count = Int(sqlite3_column_bytes(handle, index))
            return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        }

        func blob(_ index: Int32) -> Data? {
            guard let bytes = sqlite3_column_blob(handle, index) else { return isNull(index) ? nil : Data() }
            return Data(bytes: bytes, count: Int(sqlite3_column_bytes(handle, index)))
        }
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes (the C macro does not import into Swift).
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
