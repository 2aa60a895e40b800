import GRDB

/// How thoroughly ``DatabaseInspection/integrityProblems(_:)`` looks.
public enum IntegrityCheckDepth: String, Sendable {
    /// `PRAGMA integrity_check`: every page, every index against its table.
    case full = "integrity_check"
    /// `PRAGMA quick_check`: the same without comparing indexes to their tables; far faster on a
    /// big file.
    case quick = "quick_check"
}

extension DatabaseInspection {
    /// What SQLite's check finds wrong, at most `limit` lines; empty when it says `ok`.
    public func integrityProblems(_ depth: IntegrityCheckDepth, limit: Int = 10) throws -> [String] {
        let lines = try read { db in try String.fetchAll(db, sql: "PRAGMA \(depth.rawValue)(\(max(limit, 1)))") }
        return lines == ["ok"] ? [] : lines
    }
}
