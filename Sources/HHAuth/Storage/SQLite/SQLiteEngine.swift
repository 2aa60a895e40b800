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
