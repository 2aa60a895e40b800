import Foundation
import PostgreSQL

/// A schema of a test's own in a database of the shared cluster (``TestCluster/database(_:)``):
/// a connection made with ``conninfo`` finds its tables there first (`search_path`), so tests
/// that each migrate a whole schema run side by side without a database apiece (a `CREATE
/// DATABASE` costs far more than a `CREATE SCHEMA`). Dropped, with everything in it, when the
/// test lets go of it.
public final class TestSchema: Sendable {
    /// The schema's name: `t_` and random hex.
    public let name: String
    /// The conninfo of the database with `search_path` set to the schema.
    public let conninfo: String
    /// The same as a `postgresql://` URL (what `DATABASE_URL` takes).
    public let url: String
    private let databaseConninfo: String

    /// A new schema in the shared cluster's database `database` (made on first use).
    public init(database: String = "hh_auth_tests") throws {
        databaseConninfo = try TestCluster.database(database)
        name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let admin = try TestCluster.connect(databaseConninfo)
        defer { admin.close() }
        try admin.execute("CREATE SCHEMA \(name)")
        conninfo = databaseConninfo + " options=-csearch_path=\(name)"
        url =
            try TestCluster.shared().url.replacingOccurrences(of: "@/postgres?", with: "@/\(database)?")
            + "&options=-csearch_path%3D\(name)"
    }

    /// A new connection to the database, its `search_path` the schema.
    public func connect() throws -> PGConnection { try PGConnection(conninfo) }

    deinit {
        // Best effort: the cluster goes at the end of the process anyway.
        if let admin = try? PGConnection(databaseConninfo) {
            _ = try? admin.execute("DROP SCHEMA IF EXISTS \(name) CASCADE")
            admin.close()
        }
    }
}
