import PostgreSQL

/// A read transaction of the PostgreSQL engine: the thread's connection inside
/// ``PostgreSQLEngine/read(_:)``.
struct PostgreSQLReadTransaction: StoreReads {
    let connection: PGConnection
    let stores: StoreSet

    var sessions: any SessionReads { PostgreSQLSessions(connection: connection, stores: stores) }
    var users: any UserReads { PostgreSQLUsers(connection: connection, stores: stores) }
    var whitelist: any WhitelistReads { PostgreSQLWhitelist(connection: connection, stores: stores) }
    var states: any LoginStateReads { PostgreSQLLoginStates(connection: connection, stores: stores) }
    var codes: any ExchangeCodeReads { PostgreSQLExchangeCodes(connection: connection, stores: stores) }
    var tokens: any HHTokenReads { PostgreSQLHHTokens(connection: connection, stores: stores) }
    var revocations: any RevocationReads {
        PostgreSQLRevocations(connection: connection, stores: stores, afterCommit: nil)
    }
    var audit: any AuditReads { PostgreSQLAudit(connection: connection, stores: stores) }
}

/// A write transaction of the PostgreSQL engine: the thread's connection inside
/// ``PostgreSQLEngine/write(_:)``, the audit events to append before it commits, and what to do
/// once it committed.
struct PostgreSQLWriteTransaction: StoreWrites {
    let connection: PGConnection
    let stores: StoreSet
    let afterCommit: AfterCommit
    let appends: PostgreSQLAuditAppends

    init(connection: PGConnection, stores: StoreSet, afterCommit: AfterCommit) {
        self.connection = connection
        self.stores = stores
        self.afterCommit = afterCommit
        appends = PostgreSQLAuditAppends(connection: connection)
    }

    var sessions: any SessionWrites { PostgreSQLSessions(connection: connection, stores: stores) }
    var users: any UserWrites { PostgreSQLUsers(connection: connection, stores: stores) }
    var whitelist: any WhitelistWrites { PostgreSQLWhitelist(connection: connection, stores: stores) }
    var states: any LoginStateWrites { PostgreSQLLoginStates(connection: connection, stores: stores) }
    var codes: any ExchangeCodeWrites { PostgreSQLExchangeCodes(connection: connection, stores: stores) }
    var tokens: any HHTokenWrites { PostgreSQLHHTokens(connection: connection, stores: stores) }
    var revocations: any RevocationWrites {
        PostgreSQLRevocations(connection: connection, stores: stores, afterCommit: afterCommit)
    }
    var audit: any AuditWrites { PostgreSQLAudit(connection: connection, stores: stores, appends: appends) }
}
