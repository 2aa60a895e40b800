import Crypto
import Foundation

/// Writes audit events inside the caller's transaction, so an event exists exactly when the change
/// it describes does. Each row stores a SHA-256 chained to the previous row's hash, which makes
/// edits and deletions made behind our back detectable (`hh-auth audit verify`).
public struct AuditLog: Sendable {
    let clock: any WallClock

    public init(clock: any WallClock) {
        self.clock = clock
    }

    /// The hash that precedes the first event.
    static let genesis = String(repeating: "0", count: 64)

    static let metadataEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func chainHash(
        previous: String, id: Int64, type: String, userID: Int64?, metadata: String, createdAt: Double
    ) -> String {
        let text = [previous, String(id), type, userID.map(String.init) ?? "", metadata, String(createdAt)].joined(
            separator: "\u{1F}")
        return Hex.encode(SHA256.hash(data: Data(text.utf8)))
    }
}
