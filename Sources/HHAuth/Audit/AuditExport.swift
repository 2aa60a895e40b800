import Foundation
import HTTPCore

/// Streams audit events as JSON Lines or CSV without holding them in memory.
///
/// Metadata is stored as canonical JSON already, so it is copied through rather than decoded and
/// re-encoded: that is what keeps an export of millions of events fast.
public struct AuditExport: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case jsonl
        case csv
    }

    public init() {}
}

/// RFC 3339 strings for Unix times, formatting each distinct second once.
struct TimestampCache {
    private var second = Int64.min
    private var text = ""

    mutating func string(for time: Double) -> String {
        let whole = JSONText.wholeSeconds(time)
        if whole != second {
            second = whole
            text = JSONText.timestamp(unixSeconds: whole)
        }
        return text
    }
}

enum CSVText {
    /// Quotes every field that needs it; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a
    /// spreadsheet does not run it as a formula.
    static func appendField(_ text: String, to buffer: inout [UInt8]) {
        var field = text
        if let first = field.first, "=+-@".contains(first) { field = "'" + field }
        let special: Set<UInt8> = [44, 34, 10, 13]
        let needsQuotes = field.utf8.contains { special.contains($0) }
        guard needsQuotes else {
            buffer += Array(field.utf8)
            return
        }
        buffer.append(34)
        for byte in field.utf8 {
            if byte == 34 { buffer.append(34) }
            buffer.append(byte)
        }
        buffer.append(34)
    }
}
