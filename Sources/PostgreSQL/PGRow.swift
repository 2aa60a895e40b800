internal import CLibPQ

/// One row of a ``PGResult``, its columns read by index (0-based) as the type the caller expects.
/// A NULL reads as nil; a column that does not hold the type asked for, or an index past the last
/// column, throws ``PGError/Kind/invalidValue``.
///
/// Values arrive in PostgreSQL's text format: integers and floating-point numbers as digits (which
/// ``double(_:)`` also reads from integer and numeric columns), booleans as `t`/`f`, `bytea` as hex.
public struct PGRow: Sendable {
    /// The result the row belongs to (it keeps the result alive).
    public let result: PGResult
    /// The row's index in the result.
    public let index: Int

    /// Whether column `column` is NULL.
    public func isNull(_ column: Int) throws(PGError) -> Bool {
        try check(column)
        return PQgetisnull(result.handle, Int32(index), Int32(column)) != 0
    }

    /// Column `column` as text (any type, in its text form).
    public func string(_ column: Int) throws(PGError) -> String? {
        try withText(column) { String(decoding: $0, as: UTF8.self) }
    }

    /// Column `column` as a 64-bit integer (`smallint`, `integer`, `bigint`, `oid`).
    public func int64(_ column: Int) throws(PGError) -> Int64? {
        guard let value = try withText(column, { Int64(String(decoding: $0, as: UTF8.self)) }) else { return nil }
        guard let value else { throw mismatch(column, "an integer") }
        return value
    }

    /// Column `column` as a double (`double precision`, `real`, and integers or `numeric` within
    /// a double's precision); `NaN`, `Infinity` and `-Infinity` included.
    public func double(_ column: Int) throws(PGError) -> Double? {
        guard let value = try withText(column, { Double(String(decoding: $0, as: UTF8.self)) }) else { return nil }
        guard let value else { throw mismatch(column, "a number") }
        return value
    }

    /// Column `column` as a boolean.
    public func bool(_ column: Int) throws(PGError) -> Bool? {
        guard let value = try withText(column, { $0.count == 1 ? $0[0] : 0 }) else { return nil }
        switch value {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw mismatch(column, "a boolean")
        }
    }

    /// Column `column`, a `bytea`, as its bytes.
    public func bytes(_ column: Int) throws(PGError) -> [UInt8]? {
        try check(column)
        guard PQftype(result.handle, Int32(column)) == 17 else { throw mismatch(column, "bytea") }
        guard !(try isNull(column)) else { return nil }
        guard let text = PQgetvalue(result.handle, Int32(index), Int32(column)) else { return nil }
        var length = 0
        guard let decoded = text.withMemoryRebound(to: UInt8.self, capacity: 1, { PQunescapeBytea($0, &length) })
        else { throw PGError(.other, "out of memory decoding column \(column)") }
        defer { PQfreemem(decoded) }
        return Array(UnsafeBufferPointer(start: decoded, count: length))
    }

    /// Calls `body` with the text of column `column`, valid during the call; nil for NULL.
    private func withText<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) throws(PGError) -> T? {
        guard !(try isNull(column)) else { return nil }
        let row = Int32(index)
        let length = Int(PQgetlength(result.handle, row, Int32(column)))
        guard let text = PQgetvalue(result.handle, row, Int32(column)) else { return nil }
        return text.withMemoryRebound(to: UInt8.self, capacity: max(length, 1)) {
            body(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    private func check(_ column: Int) throws(PGError) {
        guard column >= 0, column < result.columnCount else {
            throw PGError(.invalidValue, "column \(column) of a result with \(result.columnCount) columns")
        }
    }

    /// The value is not shown: it may be a secret.
    private func mismatch(_ column: Int, _ expected: String) -> PGError {
        let name = result.columnName(column).map { " (\($0))" } ?? ""
        return PGError(.invalidValue, "column \(column)\(name) does not hold \(expected)")
    }
}
