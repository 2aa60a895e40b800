import Foundation
import GRDB
import GRDBSQLite
import HTTPCore

/// An audit event as the admin API's JSON, written straight from the columns of a statement's
/// current row (``StoredAuditEvent/selectedColumns``): no ``StoredAuditEvent``, `String` or
/// temporary array per event. Measured with callgrind (BENCHMARKS.md, "Issue 15: audit page, instructions per page"), a
/// page of 100 events built as ``StoredAuditEvent``s and written through string interpolation cost
/// 1.6 million instructions, two thirds of it allocating and freeing those temporaries.
///
/// For the rows ``AuditLog`` writes, the bytes are those `JSONCoding.encoder` gives for the
/// ``StoredAuditEvent`` of the row (sorted keys), with the stored metadata copied through: it is
/// canonical JSON already. Tests hold the two byte-identical. A row written behind the service's
/// back (metadata that is not UTF-8, a NUL) is written as the previous writer wrote it, pinned by
/// the tests too; such a row also breaks the hash chain, which `hh-auth audit verify` reports.
enum AuditEventJSON {
    /// Appends the event on the current row of `statement`, a row of ``StoredAuditEvent/selectedColumns``.
    static func append(row statement: SQLiteStatement, to buffer: inout [UInt8]) throws {
        append(#"{"created_at":""#, to: &buffer)
        // Through `Date` and down to the second, as ``StoredAuditEvent/init(selected:)`` reads it.
        let createdAt = Date(timeIntervalSince1970: sqlite3_column_double(statement, 4)).timeIntervalSince1970
        JSONText.appendTimestamp(unixSeconds: JSONText.wholeSeconds(createdAt), to: &buffer)
        append(#"","event_metadata":"#, to: &buffer)
        try withText(statement, column: 3) { buffer.append(contentsOf: $0) }
        append(#","event_type":"#, to: &buffer)
        try withText(statement, column: 1) { JSONText.appendString(utf8: $0, to: &buffer) }
        append(#","id":"#, to: &buffer)
        JSONText.appendInteger(sqlite3_column_int64(statement, 0), to: &buffer)
        append(#","user_id":"#, to: &buffer)
        if sqlite3_column_type(statement, 2) == SQLITE_NULL {
            append("null", to: &buffer)
        } else {
            JSONText.appendInteger(sqlite3_column_int64(statement, 2), to: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// A literal's bytes, copied at once (through `String.UTF8View` it cost three times as much).
    private static func append(_ literal: StaticString, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A text column as GRDB's `String` decoding reads it (`String(cString:)`: the bytes up to the
    /// first NUL, invalid UTF-8 repaired). For valid UTF-8 without a NUL, which is every row
    /// ``AuditLog`` writes, that is the stored bytes themselves, lent without a copy; anything else
    /// (a row written behind our back) goes through the `String` as before.
    private static func withText(
        _ statement: SQLiteStatement, column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) throws {
        guard let start = sqlite3_column_text(statement, column) else {
            // NOT NULL in the schema; out of memory is the other way to get here.
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "audit_events: NULL where text belongs")
        }
        let bytes = UnsafeBufferPointer(start: start, count: Int(sqlite3_column_bytes(statement, column)))
        if isPlainUTF8(bytes) {
            body(bytes)
        } else {
            var text = String(cString: start)
            text.withUTF8(body)
        }
    }

    /// Whether `bytes` are valid UTF-8 (RFC 3629: no overlong forms, surrogates or values past
    /// U+10FFFF) without a NUL. ASCII, the usual case, is checked eight bytes at a time.
    static func isPlainUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while index < count {
            if count - index >= 8 {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let highBits: UInt64 = 0x8080_8080_8080_8080
                // No byte with its high bit set, and none zero (the classic "has a zero byte" test).
                if word & highBits == 0 && (word &- 0x0101_0101_0101_0101) & ~word & highBits == 0 {
                    index += 8
                    continue
                }
            }
            let lead = base[index]
            if lead < 0x80 {
                if lead == 0 { return false }
                index += 1
                continue
            }
            // The length of the sequence and the range of its second byte (RFC 3629, table 3-7 of
            // the Unicode standard); the bytes after the second are 0x80...0xBF.
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                second = 0x80...0x9F
            case 0xF0:
                length = 4
                second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                second = 0x80...0x8F
            default: return false
            }
            guard count - index >= length, second.contains(base[index + 1]) else { return false }
            for offset in 2..<length where base[index + offset] & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }
}
