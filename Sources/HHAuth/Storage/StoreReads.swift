/// What a read transaction (``StorageEngine/read(_:)``) offers: the stores' reads, all from one
/// snapshot.
public protocol StoreReads {
    var sessions: any SessionReads { get }
    var users: any UserReads { get }
    var whitelist: any WhitelistReads { get }
    var states: any LoginStateReads { get }
    var codes: any ExchangeCodeReads { get }
    var tokens: any HHTokenReads { get }
    var revocations: any RevocationReads { get }
    var audit: any AuditReads { get }
}

/// What a write transaction (``StorageEngine/write(_:)``) offers: every store operation, reads
/// included, inside the one transaction.
public protocol StoreWrites {
    var sessions: any SessionWrites { get }
    var users: any UserWrites { get }
    var whitelist: any WhitelistWrites { get }
    var states: any LoginStateWrites { get }
    var codes: any ExchangeCodeWrites { get }
    var tokens: any HHTokenWrites { get }
    var revocations: any RevocationWrites { get }
    var audit: any AuditWrites { get }
}
