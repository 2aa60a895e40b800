import Foundation
import HHAuth

/// Check 2: the database `DATABASE_PATH` names opens (it must exist: doctor never creates one), its
/// migrations are this binary's, SQLite finds it intact, and it is in WAL mode. Read-only
/// throughout (``DatabaseInspection``): nothing is migrated or switched, so a schema that is behind
/// shows as behind.
struct DatabaseCheck {
    struct Outcome {
        var findings: [DoctorFinding]
        /// Open and with this binary's schema: what the key check reads.
        var current: InspectedDatabase?
        /// When the newest audit event was written, for the clock check.
        var newestAuditEvent: Date?
    }

    /// Above this size `quick_check` runs instead of `integrity_check`, which reads every index
    /// against its table and takes minutes on a file of gigabytes.
    static let quickCheckAboveBytes: Int64 = 512 << 20

    let path: String?
    let fullIntegrityCheck: Bool

    func run() -> Outcome {
        guard let path, !path.isEmpty else { return Self.notOpened(DatabasePathRefusal.unset) }
        // Not even read-only: SQLite may make the -shm file as whoever opens first.
        if let found = DatabaseOwner.foreignOwner(of: path) {
            return Self.notOpened(
                "\(found.subject) belongs to \(found.owner), and doctor runs as root",
                remedy: "run it as that user, as the other commands: sudo -u \(found.owner) hh-auth doctor")
        }
        let inspection: DatabaseInspection
        do {
            inspection = try DatabaseInspection(path: path)
        } catch {
            return Self.notOpened(
                DatabasePathRefusal.line(for: error, path: path) ?? "DATABASE_PATH: \(path): \(error)")
        }
        var findings = [DoctorFinding.ok("database", "\(path) opens (\(Self.size(inspection.fileSize)); read-only)")]
        let schema = Self.migrations(inspection)
        findings.append(schema.finding)
        findings.append(integrity(inspection))
        findings.append(Self.journal(inspection))
        return Outcome(
            findings: findings, current: schema.isCurrent ? .sqlite(inspection) : nil,
            newestAuditEvent: try? inspection.newestAuditEventTime())
    }

    static func notOpened(
        _ problem: String,
        remedy: String =
            "set DATABASE_PATH to the database `serve` uses (the shipped unit's: /var/lib/hh-auth/hh-auth.sqlite3); doctor never creates one"
    ) -> Outcome {
        Outcome(
            findings: [DoctorFinding.fail("database", problem, remedy)]
                + ["migrations", "integrity", "journal"].map { DoctorFinding.notChecked($0, needs: "database") })
    }

    private static func migrations(_ inspection: DatabaseInspection) -> (finding: DoctorFinding, isCurrent: Bool) {
        let schema: SchemaStatus
        do {
            schema = try inspection.schemaStatus()
        } catch {
            return (.fail("migrations", "cannot read them: \(error)", "see that the file is readable"), false)
        }
        return (migrationsFinding(schema), schema.isCurrent)
    }

    /// The `migrations` line for a database's schema, on either engine.
    static func migrationsFinding(_ schema: SchemaStatus) -> DoctorFinding {
        if !schema.unknown.isEmpty {
            return .fail(
                "migrations",
                "a newer hh-auth migrated this database (\(list(schema.unknown)), unknown to \(HHAuthVersion.current)); serve refuses it",
                "run the newer binary, or restore the `hh-auth backup` taken before the upgrade")
        }
        if !schema.missing.isEmpty {
            return .fail(
                "migrations",
                "\(schema.missing.count) of this binary's migrations not applied: \(list(schema.missing))",
                "take an `hh-auth backup`, then restart the service (serve migrates as it starts) or run `hh-auth migrate`"
            )
        }
        return .ok("migrations", "current (\(schema.applied.count) of \(schema.known.count) applied)")
    }

    private func integrity(_ inspection: DatabaseInspection) -> DoctorFinding {
        let size = inspection.fileSize
        let depth: IntegrityCheckDepth = fullIntegrityCheck || size <= Self.quickCheckAboveBytes ? .full : .quick
        let note =
            depth == .quick
            ? " (the file is over \(Self.size(Self.quickCheckAboveBytes)); --full-integrity-check runs integrity_check)"
            : ""
        do {
            let problems = try inspection.integrityProblems(depth)
            guard problems.isEmpty else {
                return .fail(
                    "integrity", "\(depth.rawValue) found: \(problems.joined(separator: "; "))",
                    "stop the service and restore the newest `hh-auth backup` (each is integrity-checked as it is written); keep this file for a post-mortem"
                )
            }
            return .ok("integrity", "\(depth.rawValue): ok\(note)")
        } catch {
            return .fail("integrity", "\(depth.rawValue) could not run: \(error)", "see that the file is readable")
        }
    }

    private static func journal(_ inspection: DatabaseInspection) -> DoctorFinding {
        do {
            let mode = try inspection.journalMode()
            guard mode == "wal" else {
                return .fail(
                    "journal", "journal mode is \(mode), not WAL",
                    "start `serve` once (it switches the file to WAL), or with the service stopped: sqlite3 <file> 'PRAGMA journal_mode=WAL'"
                )
            }
            return .ok("journal", "WAL")
        } catch {
            return .fail("journal", "cannot read the journal mode: \(error)", "see that the file is readable")
        }
    }

    private static func list(_ migrations: [String]) -> String { migrations.joined(separator: ", ") }

    static func size(_ bytes: Int64) -> String {
        if bytes >= 1 << 30 { return String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
        return "\(bytes / 1024) KiB"
    }
}
