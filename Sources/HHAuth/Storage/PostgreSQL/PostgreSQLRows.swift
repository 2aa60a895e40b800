import Foundation
import PostgreSQL

/// Reading the domain's columns off a ``PGRow`` by position: NOT NULL columns as plain values (a
/// NULL there is a schema this binary does not know, thrown as ``PGError/Kind/invalidValue``).
extension PGRow {
    func integer(_ column: Int) throws(PGError) -> Int64 {
        guard let value = try int64(column) else { throw Self.null(column) }
        return value
    }

    func real(_ column: Int) throws(PGError) -> Double {
        guard let value = try double(column) else { throw Self.null(column) }
        return value
    }

    func text(_ column: Int) throws(PGError) -> String {
        guard let value = try string(column) else { throw Self.null(column) }
        return value
    }

    func flag(_ column: Int) throws(PGError) -> Bool {
        guard let value = try bool(column) else { throw Self.null(column) }
        return value
    }

    func data(_ column: Int) throws(PGError) -> Data? {
        try bytes(column).map { Data($0) }
    }

    private static func null(_ column: Int) -> PGError {
        PGError(.invalidValue, "column \(column) is NULL")
    }
}

extension PGParameter {
    /// A `bytea` parameter from `Data`.
    static func blob(_ data: Data) -> PGParameter { .bytea(Array(data)) }
}

/// The domain's rows from PostgreSQL, by the positions of their `columns` select lists.
extension Session {
    static let pgColumns = "id, handle, user_id, kind, created_at, expires_at"

    init(pgRow row: PGRow) throws {
        rowID = try row.integer(0)
        handle = try row.text(1)
        userID = try row.integer(2)
        // A kind this version does not know reads as a program's (as on SQLite).
        kind = try row.string(3).flatMap(SessionKind.init(rawValue:)) ?? .program
        createdAt = Date(timeIntervalSince1970: try row.real(4)).wholeSeconds
        expiresAt = Date(timeIntervalSince1970: try row.real(5)).wholeSeconds
    }
}

extension User {
    static let pgColumns = "id, hh_user_id, email, full_name, is_active, created_at, updated_at"

    init(pgRow row: PGRow, from first: Int = 0) throws {
        id = try row.integer(first)
        hhUserID = try row.text(first + 1)
        email = try row.string(first + 2)
        fullName = try row.string(first + 3)
        isActive = try row.flag(first + 4)
        createdAt = Date(timeIntervalSince1970: try row.real(first + 5)).wholeSeconds
        updatedAt = Date(timeIntervalSince1970: try row.real(first + 6)).wholeSeconds
    }
}

extension AllowedUser {
    static let pgColumns = "id, hh_user_id, comment, groups, is_active, created_at"

    init(pgRow row: PGRow) throws {
        id = try row.integer(0)
        hhUserID = try row.text(1)
        comment = try row.string(2)
        groups = WhitelistGroups.names(stored: try row.text(3))
        isActive = try row.flag(4)
        createdAt = Date(timeIntervalSince1970: try row.real(5)).wholeSeconds
    }
}
