import Crypto
import Foundation

/// A 256-bit AES key with a short public id, so each ciphertext names the key that made it and
/// keys can rotate without guessing.
public struct EncryptionKey: Sendable, Equatable {
    private let bytes: Data
    /// The AES key. Rebuilt on use: `SymmetricKey` is not `Sendable`, its bytes are.
    public var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// 8 hex digits derived from the key; safe to store and log.
    public let id: String

    /// Accepts 32 bytes as base64 or base64url, padded or not (a Fernet key of the original
    /// service is exactly that).
    public init?(encoded text: String) {
        var normalized = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while normalized.count % 4 != 0 { normalized += "=" }
        guard let data = Data(base64Encoded: normalized), data.count == 32 else { return nil }
        self.init(bytes: data)
    }

    public init(bytes: Data) {
        self.bytes = bytes
        let digest = SHA256.hash(data: Data("hh-auth key id".utf8) + bytes)
        self.id = Hex.encode(digest.prefix(4))
    }

    public static func == (lhs: EncryptionKey, rhs: EncryptionKey) -> Bool { lhs.id == rhs.id }
}
