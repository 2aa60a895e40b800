internal import CLibPQ

/// The outcome of one statement: its rows (a collection of ``PGRow``), its columns, and how many
/// rows it changed. Values stay in libpq's result until read; a result is immutable, so it may be
/// read from any thread (libpq allows that), and it frees itself when the last row goes.
public final class PGResult: @unchecked Sendable {
    let handle: OpaquePointer
    /// How many rows the statement returned.
    public let rowCount: Int
    /// How many columns each row has.
    public let columnCount: Int

    /// Takes ownership of `handle` (`PQclear` at deinit).
    init(_ handle: OpaquePointer) {
        self.handle = handle
        rowCount = Int(PQntuples(handle))
        columnCount = Int(PQnfields(handle))
    }

    deinit {
        PQclear(handle)
    }

    /// How many rows an `INSERT`, `UPDATE`, `DELETE`, `MERGE`, `SELECT`, `MOVE`, `FETCH` or `COPY`
    /// touched (libpq's `PQcmdTuples`); 0 for other statements.
    public var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// The command tag the server sent, e.g. `INSERT 0 1` or `COMMIT`.
    public var commandTag: String {
        PQcmdStatus(handle).map { String(cString: $0) } ?? ""
    }

    /// The name of column `column` (0-based), as the statement's select list named it.
    public func columnName(_ column: Int) -> String? {
        guard column >= 0, column < columnCount, let name = PQfname(handle, Int32(column)) else { return nil }
        return String(cString: name)
    }

    /// The index of the column called `name`, if there is one.
    public func columnIndex(named name: String) -> Int? {
        (0..<columnCount).first { columnName($0) == name }
    }
}

extension PGResult: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { rowCount }

    public subscript(position: Int) -> PGRow {
        precondition(position >= 0 && position < rowCount, "row \(position) of \(rowCount)")
        return PGRow(result: self, index: position)
    }
}
