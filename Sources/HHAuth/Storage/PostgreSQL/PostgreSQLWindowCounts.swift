import Foundation
import PostgreSQL
import WorkerThreads

/// The limits' counts in `rate_counts`, shared by every node (``WindowCountStore``): one
/// `INSERT … ON CONFLICT … DO UPDATE … RETURNING` adds a batch and answers its totals. Windows
/// older than ``SharedWindowCounter/keptSeconds`` are deleted, by each node at most once a minute.
final class PostgreSQLWindowCounts: WindowCountStore {
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
        // Arrays as their text form ('{…}'), so the batch is one statement whatever its size.
        let rows = try connection.use { connection in
            try connection.execute(
                """
                INSERT INTO rate_counts (scope, key, window_start, count)
                SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
                ON CONFLICT (scope, key, window_start) DO UPDATE SET count = rate_counts.count + excluded.count
                RETURNING scope, key, window_start, count
                """,
                [
                    .text(Self.array(keys.map(\.scope))), .text(Self.array(keys.map(\.key))),
                    .text(Self.array(keys.map { String($0.window) })),
                    .text(Self.array(keys.map { String(counts[$0]!) })),
                ])
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
