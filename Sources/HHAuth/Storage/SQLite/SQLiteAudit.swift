import Foundation
import GRDB

/// ``AuditReads`` and ``AuditWrites`` on SQLite: ``AuditLog``, ``AuditQuery``, ``AuditExport``
/// and ``AuditChain``'s GRDB code, run in the transaction's `Database`.
struct SQLiteAudit: AuditReads, AuditWrites {
    let db: Database
    let stores: StoreSet
    private var store: AuditLog { stores.audit }
    private var chain: AuditChain { AuditChain(audit: store, clock: store.clock) }

    func page(_ filter: AuditFilter, limit: Int, offset: Int) throws -> (events: [StoredAuditEvent], total: Int) {
        try AuditQuery().page(filter, limit: limit, offset: offset, in: db)
    }

    func appendPageJSON(_ filter: AuditFilter, limit: Int, offset: Int, to json: inout [UInt8]) throws -> Int {
        try AuditQuery().appendPageJSON(filter, limit: limit, offset: offset, in: db, to: &json)
    }

    func export(format: AuditExport.Format, since: Date?, write: ([UInt8]) throws -> Void) throws -> Int {
        try AuditExport().export(format: format, since: since, in: db, write: write)
    }

    func verify() throws -> AuditChain.Verdict { try chain.verify(in: db) }

    func record(_ event: AuditEvent) throws { _ = try store.record(event, in: db) }

    func prune(before: Date, actor: AdminActor) throws -> Int { try chain.prune(before: before, actor: actor, in: db) }
}
