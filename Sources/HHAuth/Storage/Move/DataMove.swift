import Foundation

/// Moves a deployment's data from one database to another (`hh-auth migrate-data`; SQLite to
/// PostgreSQL and back), with the service stopped: every table of ``MovedTable/all`` in id order,
/// ids included, inside one transaction of the target, followed by the id counters and the audit
/// chain's anchor and head (``MovedSequenceState``), then `audit verify` on the target before it
/// commits. Sessions stay alive (their id hashes move), HH pairs stay sealed under the same key
/// (their ciphertexts move), queued revocations keep their attempts.
///
/// The source is never changed and is read in one snapshot; its schema must be this binary's (a
/// newer one is refused, an older one must be migrated first). A running service must not write
/// to it meanwhile: a PostgreSQL source with hh-auth connected is refused, a SQLite one is locked
/// against writers for the copy, or refused while a writer holds its lock (``DataMoveSource``). The target is created or migrated to this
/// binary's schema and must hold no data (a PostgreSQL target's schema is checked before any DDL). Rows are streamed in batches, never a whole
/// table at once. Anything that fails rolls the target's transaction back, and what the move
/// created there (a new file, hh-auth's tables in a schema that held nothing) is removed again,
/// unless something else may have written there meanwhile (``DataMoveLeftover``): the target is
/// left as it was.
public struct DataMove {
    public let source: DataMoveEndpoint
    public let target: DataMoveEndpoint
    /// Rows per read and per insert.
    let batchSize: Int

    public init(from source: DataMoveEndpoint, to target: DataMoveEndpoint) {
        self.init(from: source, to: target, batchSize: 500)
    }

    init(from source: DataMoveEndpoint, to target: DataMoveEndpoint, batchSize: Int) {
        self.source = source
        self.target = target
        self.batchSize = batchSize
    }

    /// What a move copied.
    public struct Report: Sendable, Equatable {
        /// Rows per table, in the order they were copied.
        public var rows: [TableCount]
        /// The events `audit verify` found intact on the target (all of the trail).
        public var verifiedAuditEvents: Int
        /// What the operator should know about how the source was read (a SQLite file that could
        /// not be opened for writing was read without its write lock).
        public var notes: [String] = []
    }

    public struct TableCount: Sendable, Equatable {
        public var table: String
        public var rows: Int
    }

    /// Copies everything and commits; throws ``DataMoveError``, ``StorageError``,
    /// ``StorageFailure`` or the PostgreSQL client's ``PGError`` (whose messages carry no password),
    /// or, where what the move made in the target could not be removed again, a
    /// ``DataMoveLeftover`` around it.
    public func run() throws -> Report {
        var writer: (any DataMoveTarget)?
        do {
            return try move(into: &writer)
        } catch {
            // A writer that took a SQLite source's lock after the check, or a copy that failed,
            // must not leave a new, empty schema behind for the next try to trip over. The source
            // is closed by now: its connection is none of the sessions the removal looks for.
            if let leftover = writer?.removeWhatMigrateCreated() {
                throw DataMoveLeftover(cause: error, leftover: leftover)
            }
            throw error
        }
    }

    /// Everything but the removal of what a failed move made: the source opened here is closed
    /// again when it returns or throws.
    private func move(into writer: inout (any DataMoveTarget)?) throws -> Report {
        let reader = try Self.openSource(source)
        let opened = try Self.openTarget(target)
        writer = opened
        if let identity = opened.identity, identity == reader.identity { throw DataMoveError.sameDatabase }
        try reader.refuseWhileInUse()
        try opened.migrate()
        var report = try reader.withSnapshot { snapshot in
            try opened.withTransaction { transaction in try copy(snapshot, into: transaction) }
        }
        report.notes = reader.notes
        return report
    }

    private func copy(_ snapshot: any DataMoveSnapshot, into transaction: any DataMoveTransaction) throws -> Report {
        if let table = try transaction.firstTableHoldingData(MovedTable.all) {
            throw DataMoveError.targetNotEmpty(table: table)
        }
        var extent = CopiedExtent()
        var counts: [TableCount] = []
        for table in MovedTable.all {
            var count = 0
            try snapshot.rows(of: table, batchSize: batchSize) { batch in
                try transaction.insert(batch, into: table)
                count += batch.count
                extent.note(batch, of: table)
            }
            counts.append(TableCount(table: table.name, rows: count))
        }
        try transaction.restore(try snapshot.sequenceState().covering(extent))
        let copiedEvents = counts.first { $0.table == "audit_events" }?.rows ?? 0
        switch try transaction.verifyAuditChain() {
        case .intact(let count) where count == copiedEvents:
            return Report(rows: counts, verifiedAuditEvents: count)
        case .intact(let count):
            throw DataMoveError.auditCountMismatch(copied: copiedEvents, verified: count)
        case .broken(let id, let checked):
            throw DataMoveError.auditChainBroken(eventID: id, checked: checked)
        }
    }

    private static func openSource(_ endpoint: DataMoveEndpoint) throws -> any DataMoveSource {
        switch endpoint {
        case .sqlite(let path): try SQLiteMoveSource(path: path)
        case .postgreSQL(let connectionString): try PostgreSQLMoveSource(connectionString)
        }
    }

    private static func openTarget(_ endpoint: DataMoveEndpoint) throws -> any DataMoveTarget {
        switch endpoint {
        case .sqlite(let path): SQLiteMoveTarget(path: path, stores: verificationStores())
        case .postgreSQL(let connectionString):
            try PostgreSQLMoveTarget(connectionString, stores: verificationStores())
        }
    }

    /// The stores the target's `audit verify` runs with. Verifying only reads, so the vault's key
    /// is a throwaway that never seals or opens anything: the move copies ciphertexts as they are,
    /// and the service opens them with its own key afterwards.
    static func verificationStores() -> StoreSet {
        let clock = SystemClock()
        let vault = TokenVault(
            current: EncryptionKey(bytes: Data((0..<32).map { _ in UInt8.random(in: .min ... .max) })))
        return StoreSet(
            audit: AuditLog(clock: clock), whitelist: Whitelist(clock: clock), users: UserStore(clock: clock),
            sessions: SessionStore(clock: clock, lifetimeSeconds: 0),
            states: LoginStateStore(clock: clock, lifetimeSeconds: 0, keys: vault.keys),
            codes: ExchangeCodeStore(clock: clock, lifetimeSeconds: 0),
            tokens: HHTokenStore(vault: vault, clock: clock),
            revocations: RevocationQueue(vault: vault, clock: clock, wake: WakeSignal()))
    }
}
