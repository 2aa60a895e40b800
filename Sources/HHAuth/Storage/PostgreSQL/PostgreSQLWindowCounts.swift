import Foundation
import PostgreSQL
import WorkerThreads

/// The limits' counts in `rate_counts`, shared by every node (``WindowCountStore``): one
/// `INSERT … ON CONFLICT … DO UPDATE … RETURNING` adds a batch and answers its totals. Windows
/// older than ``SharedWindowCounter/keptSeconds`` are deleted, by each node at most once a minute.
final class PostgreSQLWindowCounts: WindowCountStore {
    /// The most keys one statement sends.
    static let maxKeysPerStatement = 1_000
    private let connection: PostgreSQLDedicatedConnection
    /// The newest window this node last pruned at.
    private let prunedAt = Lock(Int.min)

    init(_ connectionString: PGConnectionString, defaults: PGConnectionDefaults = .dedicated) {
        connection = PostgreSQLDedicatedConnection(connectionString, defaults: defaults)
    }

    func add(_ counts: [WindowCountKey: Int]) throws -> [WindowCountKey: Int] {
        guard !counts.isEmpty else { return [:] }
        // In one order on every node: two batches lock their rows in the same order, never in a cycle.
        let keys = counts.keys.sorted { ($0.scope, $0.key, $0.window) < ($1.scope, $1.key, $1.window) }
        // At most `maxKeysPerStatement` keys a statement: a flush after a flood of clients is
        // several bounded statements, not one of any size; in one transaction, so a failure adds
        // nothing (the counter sends it all again).
        let batches = stride(from: 0, to: keys.count, by: Self.maxKeysPerStatement).map {
            keys[$0..<min($0 + Self.maxKeysPerStatement, keys.count)]
        }
        let rows = try connection.use { connection in
            try connection.transaction { tx in
                try batches.flatMap { batch in try Self.add(batch, counts: counts, on: tx) }
            }
        }
        var totals: [WindowCountKey: Int] = [:]
        for row in rows {
            let key = WindowCountKey(
                scope: try row.string(0) ?? "", key: try row.string(1) ?? "", window: Int(try row.int64(2) ?? 0))
            totals[key] = Int(try row.int64(3) ?? 0)
        }
        if let newest = keys.map(\.window).max() { try pruneIfDue(newest: newest) }
        return totals
    }

    /// One statement adding `batch`'s counts; the rows it answers are their totals.
    private static func add(
        _ batch: ArraySlice<WindowCountKey>, counts: [WindowCountKey: Int], on connection: PGConnection
    )
        throws -> [PGRow]
    {
        // Arrays as their text form ('{…}'): one statement for the batch.
        Array(
            try connection.execute(
                """
                INSERT INTO rate_counts (scope, key, window_start, count)
                SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
                ON CONFLICT (scope, key, window_start) DO UPDATE SET count = rate_counts.count + excluded.count
                RETURNING scope, key, window_start, count
                """,
                [
                    .text(array(batch.map(\.scope))), .text(array(batch.map(\.key))),
                    .text(array(batch.map { String($0.window) })),
                    .text(array(batch.map { String(counts[$0]!) })),
                ]))
    }

    private func pruneIfDue(newest: Int) throws {
        let due = prunedAt.withLock { prunedAt in
            guard newest >= prunedAt &+ 60 else { return false }
            prunedAt = newest
            return true
        }
        guard due else { return }
        try connection.use { connection in
            _ = try connection.execute(
                "DELETE FROM rate_counts WHERE window_start < $1",
                [.int64(Int64(newest - SharedWindowCounter.keptSeconds))])
        }
    }

    /// A PostgreSQL array literal of `values`, each quoted.
    static func array(_ values: [String]) -> String {
        let quoted = values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}
