import Foundation
import PostgreSQL

/// The session routes' reads on PostgreSQL: each one statement, prepared once on the worker
/// thread's own connection (`PQprepare`) and run with `PQexecPrepared`, one round trip per
/// lookup. A single statement is its own snapshot, as on SQLite. A connection found broken is
/// reconnected and the read run again once (a read repeats safely).
///
/// With a `cache` (``SessionReadCache``, `serve` with `SESSION_CACHE_MS` above 0), a live
/// session's answer is remembered and given again without a round trip while the cache may
/// answer; each statement also selects the session's expiry (its last column) for that.
struct PostgreSQLSessionReadPath: SessionReadPath {
    let connections: PostgreSQLThreadConnections
    let errors: DatabaseErrorMetrics?
    var cache: SessionReadCache?

    func token(idHash: Data, now: Double, programOnly: Bool) throws -> (
        userID: Int64, token: SessionLookup.SealedToken?
    )? {
        let statement = programOnly ? Self.programSessionsToken : Self.anySessionsToken
        let key = SessionReadCache.Key(read: .token(programOnly: programOnly), idHash: idHash)
        guard case .token(let userID, let token)? = try answer(key, statement, now, read: Self.token(of:)) else {
            return nil
        }
        return (userID, token)
    }

    func user(idHash: Data, now: Double) throws -> User? {
        let key = SessionReadCache.Key(read: .user, idHash: idHash)
        guard case .user(let user)? = try answer(key, Self.programSessionsUser, now, read: Self.user(of:)) else {
            return nil
        }
        return user
    }

    func identity(idHash: Data, now: Double, withToken: Bool) throws -> SessionIdentity? {
        let key = SessionReadCache.Key(read: withToken ? .identityAndToken : .identity, idHash: idHash)
        let statement = withToken ? Self.identityAndTokenOfAnySession : Self.identityOfAnySession
        guard case .identity(let identity)? = try answer(key, statement, now, read: Self.identity(of:)) else {
            return nil
        }
        return identity
    }

    /// The answer from the cache, or from the statement's first row (`read` makes the answer and
    /// names its user), remembered when the cache may keep it.
    private func answer(
        _ key: SessionReadCache.Key, _ statement: (name: String, sql: String), _ now: Double,
        read: (PGRow) throws -> (answer: SessionReadCache.Answer, userID: Int64)
    ) throws -> SessionReadCache.Answer? {
        if let remembered = cache?.answer(key, now: now) { return remembered }
        let ticket = cache?.ticket()
        guard let row = try firstRow(statement, key.idHash, now) else { return nil }
        let (answer, userID) = try read(row)
        cache?.store(
            answer, for: key, userID: userID, sessionExpiresAt: try row.real(row.result.columnCount - 1), ticket: ticket
        )
        return answer
    }

    private static func token(of row: PGRow) throws -> (answer: SessionReadCache.Answer, userID: Int64) {
        let userID = try row.integer(0)
        return (.token(userID: userID, token: try sealedToken(row, from: 1)), userID)
    }

    /// The sealed token in the row's four columns from `first` (`nil` when the left join found none).
    fileprivate static func sealedToken(_ row: PGRow, from first: Int) throws -> SessionLookup.SealedToken? {
        guard let keyID = try row.string(first), let access = try row.data(first + 1) else { return nil }
        return SessionLookup.SealedToken(
            keyID: keyID, accessToken: access, expiresAt: Date(timeIntervalSince1970: try row.real(first + 2)),
            version: try row.integer(first + 3))
    }

    private static func user(of row: PGRow) throws -> (answer: SessionReadCache.Answer, userID: Int64) {
        let user = try User(pgRow: row)
        return (.user(user), user.id)
    }

    private static func identity(of row: PGRow) throws -> (answer: SessionReadCache.Answer, userID: Int64) {
        let identity = try SessionIdentity(pgRow: row)
        return (.identity(identity), identity.userID)
    }

    /// The first row of the prepared `statement` for the session's hash and now.
    private func firstRow(_ statement: (name: String, sql: String), _ idHash: Data, _ now: Double) throws -> PGRow? {
        let parameters: [PGParameter] = [.blob(idHash), .double(now)]
        do {
            return try Self.run(statement, parameters, on: try connections.connection()).first
        } catch let error as PGError where error.kind == .connectionLost {
            do {
                return try Self.run(statement, parameters, on: try connections.reconnected()).first
            } catch let error as PGError {
                throw counted(error)
            }
        } catch let error as PGError {
            throw counted(error)
        }
    }

    private static func run(
        _ statement: (name: String, sql: String), _ parameters: [PGParameter], on connection: PGConnection
    ) throws -> PGResult {
        try connection.prepare(statement.name, statement.sql)
        return try connection.executePrepared(statement.name, parameters)
    }

    private func counted(_ error: PGError) -> StorageFailure {
        let failure = StorageFailure(error)
        errors?.count(failure)
        return failure
    }

    private static let anySessionsTokenSQL = """
        SELECT s.user_id, t.key_id, t.access_token, t.expires_at, t.version, s.expires_at
        FROM sessions s LEFT JOIN hh_tokens t ON t.user_id = s.user_id
        WHERE s.id_hash = $1 AND s.expires_at > $2
        """
    private static let programOnly = " AND s.kind = 'program'"
    private static let anySessionsToken = (name: "hh_session_token", sql: anySessionsTokenSQL)
    private static let programSessionsToken = (name: "hh_program_session_token", sql: anySessionsTokenSQL + programOnly)
    private static let programSessionsUser = (
        name: "hh_program_session_user",
        sql: """
        SELECT u.id, u.hh_user_id, u.email, u.full_name, u.is_active, u.created_at, u.updated_at, s.expires_at
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id_hash = $1 AND s.expires_at > $2
        """ + programOnly
    )
    private static let identityOfAnySession = (
        name: "hh_session_identity",
        sql: """
        SELECT s.user_id, s.kind, s.last_seen_at, s.handle, u.hh_user_id, u.email, u.full_name, a.groups,
            s.expires_at
        FROM sessions s JOIN users u ON u.id = s.user_id
        JOIN allowed_users a ON a.hh_user_id = u.hh_user_id AND a.is_active
        WHERE s.id_hash = $1 AND s.expires_at > $2
        """
    )
    /// With `VERIFY_PASS_ACCESS_TOKEN`: the identity and the token in one statement, not two.
    private static let identityAndTokenOfAnySession = (
        name: "hh_session_identity_token",
        sql: """
        SELECT s.user_id, s.kind, s.last_seen_at, s.handle, u.hh_user_id, u.email, u.full_name, a.groups,
            t.key_id, t.access_token, t.expires_at, t.version, s.expires_at
        FROM sessions s JOIN users u ON u.id = s.user_id
        JOIN allowed_users a ON a.hh_user_id = u.hh_user_id AND a.is_active
        LEFT JOIN hh_tokens t ON t.user_id = s.user_id
        WHERE s.id_hash = $1 AND s.expires_at > $2
        """
    )
}

extension SessionIdentity {
    /// From a row of the identity statement's select list.
    fileprivate init(pgRow row: PGRow) throws {
        userID = try row.integer(0)
        // A kind this version does not know is held to the browser's rules (idle timeout).
        kind = try row.string(1).flatMap(SessionKind.init(rawValue:)) ?? .browser
        lastSeenAt = try row.double(2)
        sessionHandle = try row.text(3)
        hhUserID = try row.text(4)
        email = try row.string(5)
        fullName = try row.string(6)
        groups = WhitelistGroups.names(stored: try row.text(7))
        // The statement with the token has its four columns before the expiry (the last).
        token = row.result.columnCount > 9 ? try PostgreSQLSessionReadPath.sealedToken(row, from: 8) : nil
    }
}
