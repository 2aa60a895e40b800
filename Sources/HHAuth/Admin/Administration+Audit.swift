import Foundation

/// Reading, exporting, verifying and pruning the audit trail: for the admin API and `hh-auth audit`.
extension Administration {
    /// Events matching `filter`, newest first (see ``AuditQuery``).
    public func auditPage(_ filter: AuditFilter, limit: Int, offset: Int) throws -> ListingPage<StoredAuditEvent> {
        let page = try storage.read { tx in try tx.audit.page(filter, limit: limit, offset: offset) }
        return ListingPage(items: page.events, total: page.total)
    }

    /// The same page as the admin API sends it: the events appended to `json` as a JSON array
    /// (see ``AuditQuery/appendPageJSON(_:limit:offset:in:to:)``); returns the total.
    public func appendAuditPageJSON(_ filter: AuditFilter, limit: Int, offset: Int, to json: inout [UInt8]) throws
        -> Int
    {
        try storage.read { tx in
            try tx.audit.appendPageJSON(filter, limit: limit, offset: offset, to: &json)
        }
    }

    /// Streams every event at or after `since`, oldest first, through `write` in chunks (see
    /// ``AuditExport``); returns how many there were.
    @discardableResult
    public func exportAudit(format: AuditExport.Format, since: Date?, write: ([UInt8]) throws -> Void) throws -> Int {
        try storage.read { tx in try tx.audit.export(format: format, since: since, write: write) }
    }

    /// Checks the hash chain (see ``AuditChain/verify(in:)``).
    public func verifyAudit() throws -> AuditChain.Verdict {
        try storage.read { tx in try tx.audit.verify() }
    }

    /// Deletes the events older than `before` and records who did (see ``AuditChain/prune(before:actor:in:)``).
    public func pruneAudit(before: Date, by actor: AdminActor) throws -> Int {
        try storage.write { tx in try tx.audit.prune(before: before, actor: actor) }
    }
}
