import Foundation

/// The stores the PostgreSQL engine does not have yet (issue 14 builds them one group at a time):
/// every operation throws ``StorageFailure/Kind/other``. Nothing runs the service on PostgreSQL
/// until they exist (`DATABASE_URL` is not read yet); this keeps each step a whole engine.
struct PostgreSQLPendingStores: AuditReads, AuditWrites {
    private func pending() -> StorageFailure {
        StorageFailure(.other, cause: "this store is not built on PostgreSQL yet")
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
