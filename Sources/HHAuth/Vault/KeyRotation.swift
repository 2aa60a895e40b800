import Foundation

/// Re-encrypts stored HH tokens under the current key, a batch per transaction, so the command can
/// be interrupted and rerun; the service keeps decrypting with the old keys meanwhile.
public struct KeyRotation: Sendable {
    let database: AppDatabase
    let tokens: HHTokenStore
    let revocations: RevocationQueue
    let vault: TokenVault
    let audit: AuditLog

    public init(services: DomainServices) {
        self.database = services.database
        self.tokens = services.tokens
        self.revocations = services.revocations
        self.vault = services.vault
        self.audit = services.audit
    }

    /// Returns how many token pairs were moved to the current key.
    public func rotate(actor: AdminActor, batchSize: Int = 100) throws -> Int {
        var moved = 0
        while true {
            let batch = try database.write { db in try tokens.resealUnderCurrentKey(limit: batchSize, in: db) }
            moved += batch
            if batch < batchSize { break }
        }
        moved += try rotateQueued(batchSize: batchSize)
        _ = try database.write { db in
            try audit.record(
                AuditEvent(
                    .keysRotated,
                    metadata: actor.metadata(["count": .integer(Int64(moved)), "key_id": .string(vault.currentKey.id)])),
                in: db)
        }
        return moved
    }

    /// Pairs waiting in the ``RevocationQueue`` are sealed like stored ones, and must outlive the
    /// old key as well. The cursor on the queue's ids keeps a pair no key opens from being read again.
    private func rotateQueued(batchSize: Int) throws -> Int {
        var moved = 0
        var after: Int64 = 0
        while true {
            let (batch, last) = try database.write { db in
                try revocations.resealUnderCurrentKey(after: after, limit: batchSize, in: db)
            }
            moved += batch
            if last == after { return moved }
            after = last
        }
    }
}
