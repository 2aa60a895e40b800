import Foundation
import HTTPCore

/// One entry of the append-only audit trail. Metadata never holds a token, secret or session id.
public struct AuditEvent: Sendable, Equatable {
    public var type: AuditEventType
    public var userID: Int64?
    public var metadata: [String: AuditValue]

    public init(_ type: AuditEventType, userID: Int64? = nil, metadata: [String: AuditValue] = [:]) {
        self.type = type
        self.userID = userID
        self.metadata = metadata
    }

    /// An event a client caused: carries the client address nginx saw and the user agent.
    public init(
        _ type: AuditEventType, userID: Int64? = nil, origin: ClientOrigin, metadata: [String: AuditValue] = [:]
    ) {
        var merged = metadata
        merged["ip"] = .string(origin.clientAddress)
        merged["user_agent"] = .string(String(origin.userAgent.prefix(512)))
        self.init(type, userID: userID, metadata: merged)
    }
}

/// The kinds of audit event.
public struct AuditEventType: RawRepresentable, Sendable, Equatable, Hashable, Codable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let login = Self(rawValue: "login")
    public static let loginFailed = Self(rawValue: "login_failed")
    public static let sessionCreated = Self(rawValue: "session_created")
    public static let logout = Self(rawValue: "logout")
    public static let tokenRefresh = Self(rawValue: "token_refresh")
    public static let tokenRefreshFailed = Self(rawValue: "token_refresh_failed")
    public static let userAllowed = Self(rawValue: "user_allowed")
    public static let userRemoved = Self(rawValue: "user_removed")
    public static let sessionTerminated = Self(rawValue: "session_terminated")
    public static let adminAuthFailed = Self(rawValue: "admin_auth_failed")
    public static let auditPruned = Self(rawValue: "audit_pruned")
    public static let keysRotated = Self(rawValue: "keys_rotated")
}

/// A metadata value: text or a whole number.
public enum AuditValue: Sendable, Equatable, Codable {
    case string(String)
    case integer(Int64)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            self = .integer(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .integer(let number): try container.encode(number)
        }
    }
}

extension AuditValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
}
