import Foundation

/// The stores the PostgreSQL engine does not have yet (issue 14 builds them one group at a time):
/// every operation throws ``StorageFailure/Kind/other``. Nothing runs the service on PostgreSQL
/// until they exist (`DATABASE_URL` is not read yet); this keeps each step a whole engine.
struct PostgreSQLPendingStores: HHTokenWrites, RevocationWrites, AuditReads, AuditWrites {
    private func pending() -> StorageFailure {
        StorageFailure(.other, cause: "this store is not built on PostgreSQL yet")
    }

    // HH tokens
    func load(userID: Int64) throws -> HHTokenRecord? { throw pending() }
    func leaseIsTakable(userID: Int64, owner: String) throws -> Bool { throw pending() }
    func orphanedUserIDs(limit: Int) throws -> [Int64] { throw pending() }
    func keyIDsInUse() throws -> [String] { throw pending() }
    func save(userID: Int64, accessToken: String, refreshToken: String, expiresAt: Date) throws { throw pending() }
    func saveRefreshed(_ rotated: RotatedTokenPair) throws -> HHTokenStore.RefreshedSave { throw pending() }
    func delete(userID: Int64, version: Int64) throws -> Bool { throw pending() }
    func acquireLease(userID: Int64, version: Int64, owner: String, seconds: Double) throws -> Bool {
        throw pending()
    }
    func releaseLease(userID: Int64, owner: String) throws { throw pending() }
    func resealUnderCurrentKey(limit: Int) throws -> Int { throw pending() }

    // Revocations
    func count() throws -> Int { throw pending() }
    @discardableResult func enqueueStored(userID: Int64) throws -> Bool { throw pending() }
    func enqueue(_ record: HHTokenRecord) throws { throw pending() }
    func due(limit: Int) throws -> (entries: [RevocationQueue.Entry], unreadable: Int) { throw pending() }
    func remove(id: Int64) throws { throw pending() }
    func postpone(_ entry: RevocationQueue.Entry, replacement: HHTokenRecord?) throws { throw pending() }
    func resealUnderCurrentKey(after: Int64, limit: Int) throws -> (resealed: Int, lastID: Int64) {
        throw pending()
    }

    // Audit
    func page(_ filter: AuditFilter, limit: Int, offset: Int) throws -> (events: [StoredAuditEvent], total: Int) {
        throw pending()
    }
    func appendPageJSON(_ filter: AuditFilter, limit: Int, offset: Int, to json: inout [UInt8]) throws -> Int {
        throw pending()
    }
    func export(format: AuditExport.Format, since: Date?, write: ([UInt8]) throws -> Void) throws -> Int {
        throw pending()
    }
    func verify() throws -> AuditChain.Verdict { throw pending() }
    @discardableResult func record(_ event: AuditEvent) throws -> Int64 { throw pending() }
    func prune(before: Date, actor: AdminActor) throws -> Int { throw pending() }
}
