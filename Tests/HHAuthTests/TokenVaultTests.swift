import Foundation
import Testing

@testable import HHAuth

@Suite("TokenVault and EncryptionKey")
struct TokenVaultTests {
    let key = Fixtures.key(1)
    let oldKey = Fixtures.key(2)

    @Test func sealThenOpenRoundTrips() throws {
        let vault = TokenVault(current: key)
        let plaintext = "access-токен-🎉-\(String(repeating: "x", count: 300))"
        let sealed = try vault.seal(plaintext, userID: 7, field: "access")
        #expect(try vault.open(sealed, keyID: key.id, userID: 7, field: "access") == plaintext)
        #expect(sealed.range(of: Data(plaintext.utf8)) == nil)
        #expect(sealed.range(of: Data("access-".utf8)) == nil)
    }

    @Test func sealingTwiceGivesDifferentCiphertexts() throws {
        let vault = TokenVault(current: key)
        #expect(try vault.seal("same", userID: 1, field: "access") != vault.seal("same", userID: 1, field: "access"))
    }

    @Test func ciphertextIsBoundToUserAndField() throws {
        let vault = TokenVault(current: key)
        let sealed = try vault.seal("secret", userID: 7, field: "access")
        #expect(throws: VaultError.cannotDecrypt) { try vault.open(sealed, keyID: key.id, userID: 8, field: "access") }
        #expect(throws: VaultError.cannotDecrypt) { try vault.open(sealed, keyID: key.id, userID: 7, field: "refresh") }
    }

    @Test func tamperedOrTruncatedCiphertextFails() throws {
        let vault = TokenVault(current: key)
        var sealed = try vault.seal("secret", userID: 7, field: "access")
        sealed[sealed.count / 2] ^= 0x01
        #expect(throws: VaultError.cannotDecrypt) { try vault.open(sealed, keyID: key.id, userID: 7, field: "access") }
        #expect(throws: VaultError.cannotDecrypt) {
            try vault.open(Data([1, 2, 3]), keyID: key.id, userID: 7, field: "access")
        }
    }

    @Test func unknownKeyIdIsReported() throws {
        let vault = TokenVault(current: key)
        let sealed = try vault.seal("secret", userID: 7, field: "access")
        #expect(throws: VaultError.unknownKey("deadbeef")) {
            try vault.open(sealed, keyID: "deadbeef", userID: 7, field: "access")
        }
        #expect(!vault.knows(keyID: "deadbeef"))
        #expect(vault.knows(keyID: key.id))
    }

    @Test func oldKeysStillDecrypt() throws {
        let sealedUnderOld = try TokenVault(current: oldKey).seal("old token", userID: 3, field: "refresh")
        let rotated = TokenVault(current: key, old: [oldKey])
        #expect(rotated.currentKey == key)
        #expect(try rotated.open(sealedUnderOld, keyID: oldKey.id, userID: 3, field: "refresh") == "old token")
        #expect(throws: VaultError.unknownKey(oldKey.id)) {
            try TokenVault(current: key).open(sealedUnderOld, keyID: oldKey.id, userID: 3, field: "refresh")
        }
        // The key id names the key: the old ciphertext does not open under the new key's id.
        #expect(throws: VaultError.cannotDecrypt) {
            try rotated.open(sealedUnderOld, keyID: key.id, userID: 3, field: "refresh")
        }
    }

    @Test func keyIdIsStableShortAndKeySpecific() throws {
        let bytes = Data((0..<32).map { UInt8(0xF8 | ($0 % 8)) })
        let a = EncryptionKey(bytes: bytes)
        #expect(a.id == EncryptionKey(bytes: bytes).id)
        #expect(a.id.count == 8)
        #expect(a.id.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(a.id != key.id)
        let base64 = bytes.base64EncodedString()
        let base64URL = base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(EncryptionKey(encoded: base64)?.id == a.id)
        #expect(EncryptionKey(encoded: base64URL)?.id == a.id)
        #expect(EncryptionKey(encoded: " \(base64)\n")?.id == a.id)
        #expect(!a.id.isEmpty && !base64.contains(a.id))
    }

    @Test(arguments: [31, 33, 16, 0])
    func keysOfTheWrongLengthAreRefused(count: Int) {
        #expect(EncryptionKey(encoded: Data(repeating: 5, count: count).base64EncodedString()) == nil)
    }

    @Test func garbageKeyTextIsRefused() {
        #expect(EncryptionKey(encoded: "this is not base64!!") == nil)
    }
}
