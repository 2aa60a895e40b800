import GRDB

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
