import Foundation

/// A filter over the audit trail, newest first.
public struct AuditFilter: Sendable, Equatable {
    public var eventType: String?
    public var userID: Int64?
    public var since: Date?
    public var until: Date?

    public init(eventType: String? = nil, userID: Int64? = nil, since: Date? = nil, until: Date? = nil) {
        self.eventType = eventType
        self.userID = userID
        self.since = since
        self.until = until
    }
}

/// A stored audit event as the admin API and the CLI show it.
public struct StoredAuditEvent: Sendable, Encodable, Equatable {
    public var id: Int64
    public var eventType: String
    public var userID: Int64?
    /// The metadata exactly as stored: canonical JSON (sorted keys), so pages can copy it through.
    public var metadataJSON: String
    public var createdAt: Date

    /// The metadata decoded, for callers that look inside it.
    public var metadata: [String: AuditValue] {
        (try? Self.metadataDecoder.decode([String: AuditValue].self, from: Data(metadataJSON.utf8))) ?? [:]
    }

    enum CodingKeys: String, CodingKey {
        case id
        case eventType = "event_type"
        case userID = "user_id"
        case metadata = "event_metadata"
        case createdAt = "created_at"
    }

    /// Every key is always present (`"user_id": null`), as the contract's shape has it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(eventType, forKey: .eventType)
        try container.encode(userID, forKey: .userID)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(createdAt, forKey: .createdAt)
    }

    private static let metadataDecoder = JSONDecoder()
}
