import HHAuth

/// A database doctor has opened read-only and found with this binary's schema, on either engine:
/// what the key check reads (``EncryptionKeyCheck``).
enum InspectedDatabase {
    case sqlite(DatabaseInspection)
    case postgreSQL(PostgreSQLInspection)

    /// The keys the stored pairs are sealed under, read in one snapshot (``StoredTokenCheck``).
    func keysInUse(_ check: StoredTokenCheck) throws -> [StoredTokenCheck.KeyUse] {
        switch self {
        case .sqlite(let inspection): try check.keysInUse(in: inspection)
        case .postgreSQL(let inspection): try check.keysInUse(in: inspection)
        }
    }
}
