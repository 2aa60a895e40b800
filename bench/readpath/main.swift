// Instruction counts of the session lookups (issue 10): prepared statements on a raw per-thread
// connection against a read-only GRDB DatabaseQueue per thread. Built and run under callgrind by
// bench/readpath/run.sh; not part of the package.
//
//   readpath-bench seed DB USERS SESSIONS       fill a migrated database (hh-auth migrate)
//   readpath-bench run DB VARIANT QUERY N       N lookups of random sessions, after a warm-up
//
// VARIANT: raw (before issue 10: b132c91's files, which run.sh takes from git, its own sqlite3_open_v2 connection beside a
// GRDB queue per thread) | one (what the service does now: Sources/HHAuth/Storage/ThreadConnection
// and PreparedStatement, the statements prepared on the thread's one read-only GRDB connection) |
// grdb (unsafeRead + cachedStatement + Row cursor on a read-only DatabaseQueue) | grdb-columns
// (the same without a Row) | grdb-read (GRDB's transactional read, for reference). QUERY: token | user (the SQL of SessionLookup).
// Only `readpath_measured` is counted (callgrind --toggle-collect); session id hashes are taken
// from the database beforehand (SHA-256 of the id is the same work on every path).
import Foundation
import GRDB
import GRDBSQLite

let tokenSQL = """
    SELECT s.user_id, t.key_id, t.access_token, t.expires_at, t.version
    FROM sessions s LEFT JOIN hh_tokens t ON t.user_id = s.user_id
    WHERE s.id_hash = ? AND s.expires_at > ?
    """
let userSQL = """
    SELECT u.id, u.hh_user_id, u.email, u.full_name, u.is_active, u.created_at, u.updated_at
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id_hash = ? AND s.expires_at > ?
    """

struct SealedToken {
    var keyID: String
    var accessToken: Data
    var expiresAt: Date
    var version: Int64
}

struct User {
    var id: Int64
    var hhUserID: String
    var email: String?
    var fullName: String?
    var isActive: Bool
    var createdAt: Date
    var updatedAt: Date
}

/// What one lookup returns, folded into a number so the work cannot be optimized away.
protocol Lookups {
    func token(_ hash: Data) throws -> Int64
    func user(_ hash: Data) throws -> Int64
}

func digest(_ token: (userID: Int64, token: SealedToken?)?) -> Int64 {
    guard let token else { return 0 }
    return token.userID &+ Int64(token.token?.accessToken.count ?? 0) &+ (token.token?.version ?? 0)
}

func digest(_ user: User?) -> Int64 {
    guard let user else { return 0 }
    return user.id &+ Int64(user.hhUserID.utf8.count) &+ Int64(user.email?.utf8.count ?? 0)
        &+ Int64(user.updatedAt.timeIntervalSince1970)
}

/// A per-thread slot as the service keeps it (pthread key), so both paths pay the same lookup.
final class ThreadSlot<Value: AnyObject> {
    private var key = pthread_key_t()
    private let make: () throws -> Value
    init(_ make: @escaping () throws -> Value) {
        self.make = make
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        }
    }
    func value() throws -> Value {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! Value
        }
        let value = try make()
        pthread_setspecific(key, Unmanaged.passRetained(value as AnyObject).toOpaque())
        return value
    }
}

/// The baseline: BaselineConnection + BaselineStatement (ThreadConnection + PreparedStatement
/// before issue 10), as SessionLookup used them.
struct RawLookups: Lookups {
    let slot: ThreadSlot<BaselineConnection>

    func token(_ hash: Data) throws -> Int64 {
        let connection = try slot.value()
        let found = try connection.statement(tokenSQL).run([.blob(hash), .real(Date().timeIntervalSince1970)]) {
            row -> (userID: Int64, token: SealedToken?) in
            let userID = row.integer(0)
            guard !row.isNull(1), let keyID = row.text(1), let access = row.blob(2) else { return (userID, nil) }
            return (
                userID,
                SealedToken(
                    keyID: keyID, accessToken: access, expiresAt: Date(timeIntervalSince1970: row.real(3)),
                    version: row.integer(4))
            )
        }
        return digest(found)
    }

    func user(_ hash: Data) throws -> Int64 {
        let connection = try slot.value()
        let found = try connection.statement(userSQL).run([.blob(hash), .real(Date().timeIntervalSince1970)]) { row in
            User(
                id: row.integer(0), hhUserID: row.text(1) ?? "", email: row.text(2), fullName: row.text(3),
                isActive: row.integer(4) != 0, createdAt: Date(timeIntervalSince1970: row.real(5)),
                updatedAt: Date(timeIntervalSince1970: row.real(6)))
        }
        return digest(found)
    }
}

/// The kept path: the service's ThreadConnection + PreparedStatement, as SessionLookup uses them.
struct OneConnectionLookups: Lookups {
    let slot: ThreadSlot<ThreadConnection>

    func token(_ hash: Data) throws -> Int64 {
        let connection = try slot.value()
        let found = try connection.statement(tokenSQL).run([.blob(hash), .real(Date().timeIntervalSince1970)]) {
            row -> (userID: Int64, token: SealedToken?) in
            let userID = row.integer(0)
            guard !row.isNull(1), let keyID = row.text(1), let access = row.blob(2) else { return (userID, nil) }
            return (
                userID,
                SealedToken(
                    keyID: keyID, accessToken: access, expiresAt: Date(timeIntervalSince1970: row.real(3)),
                    version: row.integer(4))
            )
        }
        return digest(found)
    }

    func user(_ hash: Data) throws -> Int64 {
        let connection = try slot.value()
        let found = try connection.statement(userSQL).run([.blob(hash), .real(Date().timeIntervalSince1970)]) { row in
            User(
                id: row.integer(0), hhUserID: row.text(1) ?? "", email: row.text(2), fullName: row.text(3),
                isActive: row.integer(4) != 0, createdAt: Date(timeIntervalSince1970: row.real(5)),
                updatedAt: Date(timeIntervalSince1970: row.real(6)))
        }
        return digest(found)
    }
}

/// A read-only GRDB DatabaseQueue per thread. `transactional` = GRDB's `read` (BEGIN/COMMIT
/// around the statement); otherwise `unsafeRead`: the one statement is its own read transaction.
/// Rows are GRDB `Row`s from a cursor (the row is read in place, not copied).
struct GRDBLookups: Lookups {
    let slot: ThreadSlot<DatabaseQueue>
    let transactional: Bool

    private func access<T>(_ body: (Database) throws -> T) throws -> T {
        let queue = try slot.value()
        return transactional ? try queue.read(body) : try queue.unsafeRead(body)
    }

    func token(_ hash: Data) throws -> Int64 {
        let found = try access { db -> (userID: Int64, token: SealedToken?)? in
            let statement = try db.cachedStatement(sql: tokenSQL)
            let rows = try Row.fetchCursor(statement, arguments: [hash, Date().timeIntervalSince1970])
            guard let row = try rows.next() else { return nil }
            let userID: Int64 = row[0]
            guard let keyID: String = row[1], let access: Data = row[2] else { return (userID, nil) }
            return (
                userID,
                SealedToken(
                    keyID: keyID, accessToken: access, expiresAt: Date(timeIntervalSince1970: row[3]),
                    version: row[4])
            )
        }
        return digest(found)
    }

    func user(_ hash: Data) throws -> Int64 {
        let found = try access { db -> User? in
            let statement = try db.cachedStatement(sql: userSQL)
            let rows = try Row.fetchCursor(statement, arguments: [hash, Date().timeIntervalSince1970])
            guard let row = try rows.next() else { return nil }
            return User(
                id: row[0], hhUserID: row[1], email: row[2], fullName: row[3], isActive: row[4],
                createdAt: Date(timeIntervalSince1970: row[5]), updatedAt: Date(timeIntervalSince1970: row[6]))
        }
        return digest(found)
    }
}

/// As ``GRDBLookups`` with `unsafeRead`, but without a `Row`: a GRDB cursor of the first column
/// steps the statement, and the other columns are decoded from it with GRDB's
/// `StatementColumnConvertible` (a cursor `Row` builds a column-name dictionary per row).
struct GRDBColumnLookups: Lookups {
    let slot: ThreadSlot<DatabaseQueue>

    func token(_ hash: Data) throws -> Int64 {
        let found = try slot.value().unsafeRead { db -> (userID: Int64, token: SealedToken?)? in
            let statement = try db.cachedStatement(sql: tokenSQL)
            let userIDs = try Int64.fetchCursor(statement, arguments: [hash, Date().timeIntervalSince1970])
            guard let userID = try userIDs.next() else { return nil }
            let row = statement.sqliteStatement
            guard let keyID = String.fromStatement(row, atUncheckedIndex: 1),
                let access = Data.fromStatement(row, atUncheckedIndex: 2)
            else { return (userID, nil) }
            return (
                userID,
                SealedToken(
                    keyID: keyID, accessToken: access,
                    expiresAt: Date(timeIntervalSince1970: Double(sqliteStatement: row, index: 3)),
                    version: Int64(sqliteStatement: row, index: 4))
            )
        }
        return digest(found)
    }

    func user(_ hash: Data) throws -> Int64 {
        let found = try slot.value().unsafeRead { db -> User? in
            let statement = try db.cachedStatement(sql: userSQL)
            let ids = try Int64.fetchCursor(statement, arguments: [hash, Date().timeIntervalSince1970])
            guard let id = try ids.next() else { return nil }
            let row = statement.sqliteStatement
            return User(
                id: id, hhUserID: String(sqliteStatement: row, index: 1),
                email: String.fromStatement(row, atUncheckedIndex: 2),
                fullName: String.fromStatement(row, atUncheckedIndex: 3),
                isActive: Int64(sqliteStatement: row, index: 4) != 0,
                createdAt: Date(timeIntervalSince1970: Double(sqliteStatement: row, index: 5)),
                updatedAt: Date(timeIntervalSince1970: Double(sqliteStatement: row, index: 6)))
        }
        return digest(found)
    }
}

/// The counted part: `count` lookups of sessions picked by a fixed pseudo-random sequence.
@_silgen_name("readpath_measured")
@inline(never)
func measured(_ count: Int, _ hashes: [Data], _ lookup: (Data) throws -> Int64) throws -> Int64 {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var sum: Int64 = 0
    for _ in 0..<count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let hash = hashes[Int((state >> 33) % UInt64(hashes.count))]
        sum &+= try lookup(hash)
    }
    return sum
}

func openPool(_ path: String) throws -> DatabasePool {
    // As AppDatabase opens it: the service always has the pool (and its WAL) open beside the readers.
    var configuration = Configuration()
    configuration.busyMode = .timeout(5)
    configuration.foreignKeysEnabled = true
    return try DatabasePool(path: path, configuration: configuration)
}

func openReadOnlyQueue(_ path: String) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.readonly = true
    configuration.busyMode = .timeout(5)
    configuration.label = "readpath-bench"
    configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -512") }
    return try DatabaseQueue(path: path, configuration: configuration)
}

func seed(path: String, users: Int, sessions: Int) throws {
    let pool = try openPool(path)
    var generator = SystemRandomNumberGenerator()
    func bytes(_ count: Int) -> Data { Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
    let now = Date().timeIntervalSince1970
    try pool.write { db in
        for index in 1...users {
            try db.execute(
                sql: """
                    INSERT INTO users (hh_user_id, email, full_name, is_active, created_at, updated_at)
                    VALUES (?, ?, ?, 1, ?, ?)
                    """,
                arguments: ["\(100_000_000 + index)", "user\(index)@example.com", "User Number \(index)", now, now])
            let userID = db.lastInsertedRowID
            // Sealed like the vault's: AES-GCM nonce + ciphertext + tag around a ~40-byte token.
            try db.execute(
                sql: """
                    INSERT INTO hh_tokens (user_id, key_id, access_token, refresh_token, expires_at, updated_at)
                    VALUES (?, 'k1', ?, ?, ?, ?)
                    """,
                arguments: [userID, bytes(68), bytes(68), now + 1_209_600, now])
        }
        for index in 1...sessions {
            try db.execute(
                sql: """
                    INSERT INTO sessions (id_hash, handle, user_id, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [bytes(32), "s_\(bytes(16).base64EncodedString())", 1 + index % users, now, now + 2_592_000])
        }
    }
}

func run(path: String, variant: String, query: String, count: Int) throws {
    let pool = try openPool(path)
    let hashes = try pool.read { db in try Data.fetchAll(db, sql: "SELECT id_hash FROM sessions") }
    precondition(!hashes.isEmpty, "no sessions: seed first")
    let lookups: any Lookups
    switch variant {
    case "raw":
        lookups = RawLookups(slot: ThreadSlot { try BaselineConnection(path: path, busyTimeoutSeconds: 5) })
    case "one":
        lookups = OneConnectionLookups(slot: ThreadSlot { try ThreadConnection(path: path, busyTimeoutSeconds: 5) })
    case "grdb", "grdb-read":
        lookups = GRDBLookups(slot: ThreadSlot { try openReadOnlyQueue(path) }, transactional: variant == "grdb-read")
    case "grdb-columns":
        lookups = GRDBColumnLookups(slot: ThreadSlot { try openReadOnlyQueue(path) })
    default: fatalError("unknown variant \(variant)")
    }
    let lookup: (Data) throws -> Int64
    switch query {
    case "token": lookup = lookups.token
    case "user": lookup = lookups.user
    default: fatalError("unknown query \(query)")
    }
    // Warm-up: connection opened, statement prepared, pages cached.
    var sum = try measured(0, hashes, lookup)
    for hash in hashes { sum &+= try lookup(hash) }
    let found = try hashes.reduce(0) { $0 + (try lookup($1) != 0 ? 1 : 0) }
    precondition(found == hashes.count, "a seeded session was not found")
    let clock = ContinuousClock()
    let start = clock.now
    sum &+= try measured(count, hashes, lookup)
    let elapsed = clock.now - start
    print("\(variant) \(query): \(count) lookups, \(hashes.count) sessions, \(elapsed) (checksum \(sum))")
    withExtendedLifetime(pool) {}
}

let arguments = CommandLine.arguments
switch arguments.count > 1 ? arguments[1] : "" {
case "seed" where arguments.count == 5:
    try seed(path: arguments[2], users: Int(arguments[3])!, sessions: Int(arguments[4])!)
case "run" where arguments.count == 6:
    try run(path: arguments[2], variant: arguments[3], query: arguments[4], count: Int(arguments[5])!)
default:
    FileHandle.standardError.write(Data("usage: readpath-bench seed DB USERS SESSIONS | run DB VARIANT QUERY N\n".utf8))
    exit(2)
}
