import Foundation
import PostgreSQL

/// ``UserWrites`` on PostgreSQL: ``UserStore``'s operations on `users`, run on the transaction's
/// connection.
struct PostgreSQLUsers: UserWrites {
    let connection: PGConnection
    let stores: StoreSet

    func find(id: Int64) throws -> User? {
        try connection.execute("SELECT \(User.pgColumns) FROM users WHERE id = $1", [.int64(id)]).first.map {
            try User(pgRow: $0)
        }
    }

    func rowID(hhUserID: String) throws -> Int64? {
        try connection.execute("SELECT id FROM users WHERE hh_user_id = $1", [.text(hhUserID)]).first?.int64(0)
    }

    func find(hhUserID: String) throws -> User? {
        try connection.execute("SELECT \(User.pgColumns) FROM users WHERE hh_user_id = $1", [.text(hhUserID)]).first
            .map { try User(pgRow: $0) }
    }

    func upsert(_ profile: HHProfile) throws -> User {
        let now = stores.users.clock.now().timeIntervalSince1970
        let rows = try connection.execute(
            """
            INSERT INTO users (hh_user_id, email, full_name, is_active, created_at, updated_at)
            VALUES ($1, $2, $3, true, $4, $4)
            ON CONFLICT (hh_user_id) DO UPDATE SET email = excluded.email, full_name = excluded.full_name,
                is_active = true, updated_at = excluded.updated_at
            RETURNING \(User.pgColumns)
            """,
            [.text(profile.id), PGParameter(profile.email), PGParameter(profile.fullName), .double(now)])
        guard let row = rows.first else { throw PGError(.other, "the user was not returned") }
        return try User(pgRow: row)
    }

    func lock(id: Int64) throws {
        try connection.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [.int64(id)])
    }
}
