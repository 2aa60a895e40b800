import Foundation

/// Who performs an admin action: the HTTP admin (with address and agent) or `cli:<unix user>`.
public struct AdminActor: Sendable {
    public var name: String
    public var clientAddress: String?
    public var userAgent: String?

    public init(name: String, clientAddress: String? = nil, userAgent: String? = nil) {
        self.name = name
        self.clientAddress = clientAddress
        self.userAgent = userAgent
    }

    /// The HTTP admin, calling from `origin`.
    public init(name: String, origin: ClientOrigin) {
        self.init(name: name, clientAddress: origin.clientAddress, userAgent: origin.userAgent)
    }

    func metadata(_ extra: [String: AuditValue]) -> [String: AuditValue] {
        var metadata = extra
        metadata["admin"] = .string(name)
        if let clientAddress { metadata["ip"] = .string(clientAddress) }
        if let userAgent { metadata["user_agent"] = .string(String(userAgent.prefix(512))) }
        return metadata
    }
}

/// A live session as admins see it: a handle, never the session id.
public struct SessionListing: Sendable, Encodable, Equatable {
    public struct Owner: Sendable, Encodable, Equatable {
        public var hhUserID: String
        public var fullName: String?
        public var email: String?
        enum CodingKeys: String, CodingKey {
            case email
            case hhUserID = "hh_user_id"
            case fullName = "full_name"
        }

        /// Every key is always present (`"email": null`), as the contract's shape has it.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(hhUserID, forKey: .hhUserID)
            try container.encode(fullName, forKey: .fullName)
            try container.encode(email, forKey: .email)
        }
    }
    public var id: String
    public var userID: Int64
    public var user: Owner
    public var createdAt: Date
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case id, user
        case userID = "user_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }
}

/// The admin operations, shared by the HTTP admin API and the `hh-auth` CLI so both write the same
/// audit events and end sessions the same way.
public struct Administration: Sendable {
    let storage: any StorageEngine
    let termination: SessionTermination

    public static let maxCommentLength = 500

    /// Allows the id (or reactivates it). A `nil` comment keeps the old one; `nil` groups keep the
    /// entry's groups, `[]` clears them, a list replaces them. The audit event records the groups
    /// the entry has afterwards.
    @discardableResult
    public func allow(hhUserID: String, comment: String?, groups: [String]? = nil, by actor: AdminActor) throws
        -> AllowedUser
    {
        guard HHUserID.isValid(hhUserID) else { throw AdminError.invalidUserID }
        guard (comment?.count ?? 0) <= Self.maxCommentLength else { throw AdminError.commentTooLong }
        let groups = try groups.map(WhitelistGroups.normalized)
        return try storage.write { tx in
            let entry = try tx.whitelist.allow(hhUserID, comment: comment, groups: groups)
            try tx.audit.record(
                AuditEvent(
                    .userAllowed, userID: try tx.users.find(hhUserID: hhUserID)?.id,
                    metadata: actor.metadata([
                        "hh_user_id": .string(hhUserID), "groups": .string(entry.groups.joined(separator: ",")),
                    ])))
            return entry
        }
    }

    /// Soft-deletes the id and ends the user's sessions; `nil` when the id was never listed.
    public func remove(hhUserID: String, by actor: AdminActor) throws -> Int? {
        guard HHUserID.isValid(hhUserID) else { throw AdminError.invalidUserID }
        return try storage.write { tx -> Int? in
            // The user first, then the entry, in the order a sign-in or an exchange takes them
            // (see ``WhitelistWrites/isAllowedHoldingEntry(_:)``): one under way finishes first,
            // and its session or code is ended below.
            if let known = try tx.users.rowID(hhUserID: hhUserID) { try tx.users.lock(id: known) }
            guard try tx.whitelist.remove(hhUserID) else { return nil }
            // Read after the entry changed: a first sign-in that held the entry has committed its user.
            let user = try tx.users.find(hhUserID: hhUserID)
            let ended = try user.map { try termination.endAll(userID: $0.id, in: tx) } ?? 0
            try tx.audit.record(
                AuditEvent(
                    .userRemoved, userID: user?.id,
                    metadata: actor.metadata([
                        "hh_user_id": .string(hhUserID), "sessions_ended": .integer(Int64(ended)),
                    ])))
            return ended
        }
    }

    /// Ends one session by handle or raw id; false when there is no such live session.
    public func endSession(_ handleOrID: String, by actor: AdminActor) throws -> Bool {
        try storage.write { tx -> Bool in
            guard let session = try tx.sessions.find(handleOrID: handleOrID) else { return false }
            try termination.end(session, in: tx)
            try tx.audit.record(
                AuditEvent(
                    .sessionTerminated, userID: session.userID,
                    metadata: actor.metadata(["session": .string(session.handle)])))
            return true
        }
    }

    /// Ends every session of one HH user, or of everyone when `hhUserID` is nil; returns the count.
    public func endSessions(hhUserID: String?, by actor: AdminActor) throws -> Int {
        try storage.write { tx in
            let userIDs: [Int64]
            if let hhUserID {
                userIDs = try tx.users.find(hhUserID: hhUserID).map { [$0.id] } ?? []
            } else {
                userIDs = try tx.sessions.userIDs()
            }
            var total = 0
            for userID in userIDs {
                let ended = try termination.endAll(userID: userID, in: tx)
                total += ended
                if ended > 0 {
                    try tx.audit.record(
                        AuditEvent(
                            .sessionTerminated, userID: userID,
                            metadata: actor.metadata(["sessions_ended": .integer(Int64(ended))])))
                }
            }
            return total
        }
    }
}

/// Admin input the domain refuses.
public enum AdminError: Error, Equatable {
    case invalidUserID
    case commentTooLong
    /// A group name is not `[a-z0-9][a-z0-9_-]{0,31}` (``WhitelistGroups``).
    case invalidGroupName
    /// More than ``WhitelistGroups/maxCount`` groups for one entry.
    case tooManyGroups
}
