import GRDB

/// SQLite's errors as ``StorageFailure``s, by primary result code.
extension StorageFailure {
    /// The failure a SQLite error is; the cause names the result codes and SQLite's message,
    /// never the statement (GRDB's own description quotes it).
    init(_ error: DatabaseError) {
        self.init(
            Self.kind(of: error.resultCode),
            cause:
                "SQLite error \(error.resultCode.rawValue) (extended \(error.extendedResultCode.rawValue)): \(error.message ?? "no message")"
        )
    }

    private static func kind(of code: ResultCode) -> Kind {
        switch code {
        case .SQLITE_BUSY: .busy
        case .SQLITE_LOCKED: .locked
        case .SQLITE_FULL: .full
        case .SQLITE_IOERR: .io
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: .corrupt
        case .SQLITE_READONLY: .readOnly
        case .SQLITE_CANTOPEN: .unavailable
        case .SQLITE_CONSTRAINT: .constraint
        default: .other
        }
    }
}

extension DatabaseError: StorageFailureConvertible {
    public var storageFailure: StorageFailure { StorageFailure(self) }
}
