import Foundation
import HHAuth

/// Check 2 on PostgreSQL (`DATABASE_URL`): the server answers, and the database's migrations are
/// this binary's. One connection, reads only (``PostgreSQLInspection``): nothing is migrated.
/// What the SQLite check does with the file itself has no counterpart here, and the lines say so:
/// the server keeps its own pages and write-ahead log (`integrity`, `journal`). A database with
/// this binary's schema goes on to the key check (``EncryptionKeyCheck``) as on SQLite.
struct PostgreSQLDatabaseCheck {
    let connectionString: String

    func run() -> DatabaseCheck.Outcome {
        let location = DatabaseSelection.masked(connectionString)
        let inspection: PostgreSQLInspection
        let version: String
        do {
            inspection = try PostgreSQLInspection(connectionString: connectionString)
            version = try inspection.serverVersion()
        } catch {
            return DatabaseCheck.Outcome(
                findings: [
                    DoctorFinding.fail(
                        "database", "DATABASE_URL: cannot use the database at \(location): \(error)",
                        "see that the server runs and takes this URL's user from this host: psql with its host, "
                            + "database and user in PGHOST, PGDATABASE and PGUSER (or a PGSERVICE entry) and the "
                            + "password in ~/.pgpass or PGPASSWORD, not on the command line")
                ] + ["migrations", "integrity", "journal"].map { DoctorFinding.notChecked($0, needs: "database") })
        }
        var findings = [DoctorFinding.ok("database", "PostgreSQL \(version) at \(location) answers (read-only)")]
        let schema = Self.migrations(inspection, location)
        findings.append(schema.finding)
        findings.append(
            .ok(
                "integrity",
                "not run on PostgreSQL: the server checks its own pages; `hh-auth audit verify` checks the audit chain")
        )
        findings.append(.ok("journal", "not applicable on PostgreSQL: the server keeps its write-ahead log"))
        return DatabaseCheck.Outcome(
            findings: findings, current: schema.isCurrent ? .postgreSQL(inspection) : nil,
            newestAuditEvent: try? inspection.newestAuditEventTime())
    }

    private static func migrations(_ inspection: PostgreSQLInspection, _ location: String) -> (
        finding: DoctorFinding, isCurrent: Bool
    ) {
        let schema: SchemaStatus?
        do {
            schema = try inspection.schemaStatus()
        } catch {
            return (
                .fail("migrations", "cannot read them: \(error)", "see that the URL's user may read the database"),
                false
            )
        }
        guard let schema else {
            return (
                .fail(
                    "migrations", DatabaseURLRefusal.noSchema(location),
                    "run `hh-auth migrate` (or start `serve`, which migrates as it starts) with this DATABASE_URL"),
                false
            )
        }
        return (DatabaseCheck.migrationsFinding(schema), schema.isCurrent)
    }
}
