import Crypto
import Foundation

/// Seals HH tokens with AES-256-GCM. New tokens use the current key; older keys only decrypt,
/// while `hh-auth keys rotate` moves everything to the current one.
///
/// The associated data binds each ciphertext to its user and field, so a ciphertext copied into
/// another row or column fails to open instead of handing out someone else's token.
public struct TokenVault: Sendable {
    public let currentKey: EncryptionKey
    private let keysByID: [String: EncryptionKey]

    public init(current: EncryptionKey, old: [EncryptionKey] = []) {
        self.currentKey = current
        var keys: [String: EncryptionKey] = [:]
        for key in old { keys[key.id] = key }
        keys[current.id] = current
        self.keysByID = keys
    }

    public func knows(keyID: String) -> Bool { keysByID[keyID] != nil }

    /// Every key, the current one first.
    public var keys: [EncryptionKey] {
        [currentKey] + keysByID.values.filter { $0.id != currentKey.id }.sorted { $0.id < $1.id }
    }

    public func seal(_ plaintext: String, userID: Int64, field: String) throws -> Data {
        let box = try AES.GCM.seal(
            Data(plaintext.utf8), using: currentKey.key, authenticating: Self.context(userID, field))
        guard let combined = box.combined else { throw VaultError.sealFailed }
        return combined
    }

    public func open(_ ciphertext: Data, keyID: String, userID: Int64, field: String) throws -> String {
        guard let key = keysByID[keyID] else { throw VaultError.unknownKey(keyID) }
        do {
            let box = try AES.GCM.SealedBox(combined: ciphertext)
            let plaintext = try AES.GCM.open(box, using: key.key, authenticating: Self.context(userID, field))
            return String(decoding: plaintext, as: UTF8.self)
        } catch {
            throw VaultError.cannotDecrypt
        }
    }

    /// A pair as it is stored (both tokens sealed under `keyID` for `userID`), opened; nil when
    /// either half does not open (a key no longer known, or bytes that are not ours), which the
    /// callers count or skip instead of failing a whole batch.
    func openPair(access: Data, refresh: Data, keyID: String, userID: Int64) -> (access: String, refresh: String)? {
        guard let openedAccess = try? open(access, keyID: keyID, userID: userID, field: "access"),
            let openedRefresh = try? open(refresh, keyID: keyID, userID: userID, field: "refresh")
        else { return nil }
        return (openedAccess, openedRefresh)
    }

    /// Both tokens of a pair sealed under the current key, as every store keeps them.
    func sealPair(access: String, refresh: String, userID: Int64) throws -> (access: Data, refresh: Data) {
        (try seal(access, userID: userID, field: "access"), try seal(refresh, userID: userID, field: "refresh"))
    }

    /// `hh-auth/v1/<user id>/<field>`.
    static func context(_ userID: Int64, _ field: String) -> Data {
        Data("hh-auth/v1/\(userID)/\(field)".utf8)
    }
}

/// Why a token could not be sealed or opened. Never carries key material.
public enum VaultError: Error, CustomStringConvertible, Equatable {
    case sealFailed
    case unknownKey(String)
    case cannotDecrypt

    public var description: String {
        switch self {
        case .sealFailed: "could not encrypt a token"
        case .unknownKey(let id):
            "a token is encrypted under key \(id), which is neither ENCRYPTION_KEY nor in ENCRYPTION_OLD_KEYS"
        case .cannotDecrypt: "a stored token does not decrypt with its key"
        }
    }
}
