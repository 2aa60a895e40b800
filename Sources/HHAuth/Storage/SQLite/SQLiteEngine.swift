import Foundation
import GRDB

/// The SQLite engine: ``AppDatabase``'s pool for writes, each worker thread's own read-only
/// connection for reads (``ThreadReaders``), and the stores' GRDB code in its transactions.
public struct SQLiteEngine: StorageEngine {
    /// The database file's owner.
    public let database: AppDatabase
    let stores: StoreSet
    public let sessionReads: any SessionReadPath

    public init(database: AppDatabase, stores: StoreSet) {
        self.database = database
        self.stores = stores
        self.sessionReads = SQLiteSessionReadPath(database: database)
    }

    public func read<T>(_ body: (any StoreReads) throws -> T) throws -> T {
        try database.read { db in try body(SQLiteReadTransaction(db: db, stores: stores)) }
    }

    public func write<T>(_ body: (any StoreWrites) throws -> T) throws -> T {
        try database.write { db in try body(SQLiteWriteTransaction(db: db, stores: stores)) }
    }
}

/// A read transaction of the SQLite engine: GRDB's `Database` inside ``AppDatabase/read(_:)``.
struct SQLiteReadTransaction: StoreReads {
    let db: Database
    let stores: StoreSet

    var sessions: any SessionReads { SQLiteSessions(db: db, stores: stores) }
    var users: any UserReads { SQLiteUsers(db: db, stores: stores) }
    var whitelist: any WhitelistReads { SQLiteWhitelist(db: db, stores: stores) }
    var states: any LoginStateReads { SQLiteLoginStates(db: db, stores: stores) }
    var codes: any ExchangeCodeReads { SQLiteExchangeCodes(db: db, stores: stores) }
    var tokens: any HHTokenReads { SQLiteHHTokens(db: db, stores: stores) }
    var revocations: any RevocationReads { SQLiteRevocations(db: db, stores: stores) }
    var audit: any AuditReads { SQLiteAudit(db: db, stores: stores) }
}

/// A write transaction of the SQLite engine: GRDB's `Database` inside ``AppDatabase/write(_:)``.
struct SQLiteWriteTransaction: StoreWrites {
    let db: Database
    let stores: StoreSet

    var sessions: any SessionWrites { SQLiteSessions(db: db, stores: stores) }
    var users: any UserWrites { SQLiteUsers(db: db, stores: stores) }
    var whitelist: any WhitelistWrites { SQLiteWhitelist(db: db, stores: stores) }
    var states: any LoginStateWrites { SQLiteLoginStates(db: db, stores: stores) }
    var codes: any ExchangeCodeWrites { SQLiteExchangeCodes(db: db, stores: stores) }
    var tokens: any HHTokenWrites { SQLiteHHTokens(db: db, stores: stores) }
    var revocations: any RevocationWrites { SQLiteRevocations(db: db, stores: stores) }
    var audit: any AuditWrites { SQLiteAudit(db: db, stores: stores) }
}
