import Foundation

/// Re-encrypts stored HH tokens under the current key, a batch per transaction, so the command can
/// be interrupted and rerun; the service keeps decrypting with the old keys meanwhile.
public struct KeyRotation: Sendable {
    let storage: any StorageEngine
    let vault: TokenVault

    public init(services: DomainServices) {
        self.storage = services.storage
        self.vault = services.vault
    }

    /// Returns how many token pairs were moved to the current key.
    public func rotate(actor: AdminActor, batchSize: Int = 100) throws -> Int {
        var moved = 0
        while true {
            let batch = try storage.write { tx in try tx.tokens.resealUnderCurrentKey(limit: batchSize) }
            moved += batch
            if batch < batchSize { break }
        }
        moved += try rotateQueued(batchSize: batchSize)
        _ = try storage.write { tx in
            try tx.audit.record(
                AuditEvent(
                    .keysRotated,
                    metadata: actor.metadata(["count": .integer(Int64(moved)), "key_id": .string(vault.currentKey.id)]))
            )
        }
        return moved
    }

    /// Pairs waiting in the ``RevocationQueue`` are sealed like stored ones, and must outlive the
    /// old key as well. The cursor on the queue's ids keeps a pair no key opens from being read again.
    private func rotateQueued(batchSize: Int) throws -> Int {
        var moved = 0
        var after: Int64 = 0
        while true {
            let (batch, last) = try storage.write { tx in
                try tx.revocations.resealUnderCurrentKey(after: after, limit: batchSize)
            }
            moved += batch
            if last == after { return moved }
            after = last
        }
    }
}
