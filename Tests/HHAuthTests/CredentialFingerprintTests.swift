import Crypto
import Foundation
import Testing

@testable import HHAuth

/// What the admin's verification cache is keyed by: the address block, the username and the
/// password, all three, under a per-process key.
@Suite("Admin credential fingerprints")
struct CredentialFingerprintTests {
    let fingerprints = CredentialFingerprinter()

    private func print(_ address: String, _ username: String, _ password: String) -> CredentialFingerprint {
        fingerprints.fingerprint(address: address, username: username, password: password)
    }

    @Test func theSameCredentialsFromTheSameBlockGiveTheSameFingerprint() {
        #expect(print("203.0.113.7", "admin", "secret") == print("203.0.113.7", "admin", "secret"))
        // One IPv6 /64 is one block, and an IPv4-mapped address is its IPv4 address.
        #expect(print("2001:db8:1:2::1", "admin", "secret") == print("2001:db8:1:2:ffff::9", "admin", "secret"))
        #expect(print("::ffff:203.0.113.7", "admin", "secret") == print("203.0.113.7", "admin", "secret"))
    }

    @Test func anyFieldThatDiffersGivesAnotherFingerprint() {
        let base = print("203.0.113.7", "admin", "secret")
        #expect(print("203.0.113.8", "admin", "secret") != base)
        #expect(print("2001:db8:1:3::1", "admin", "secret") != print("2001:db8:1:2::1", "admin", "secret"))
        #expect(print("203.0.113.7", "Admin", "secret") != base)
        #expect(print("203.0.113.7", "admin", "secret ") != base)
        #expect(print("203.0.113.7", "admin", "") != print("203.0.113.7", "admin", "\u{0}"))
        // Bytes cannot move from one field to the next: each goes in behind its length.
        #expect(print("203.0.113.7", "admin\u{0}se", "cret") != print("203.0.113.7", "admin", "se\u{0}cret"))
        #expect(print("203.0.113.7", "ad", "minsecret") != print("203.0.113.7", "admin", "secret"))
    }

    /// Another process (another key) never gives the same fingerprint; one key gives the HMAC of
    /// the length-prefixed fields.
    @Test func theKeyIsPerProcessAndTheMACIsHMACSHA256() {
        #expect(
            CredentialFingerprinter().fingerprint(address: "a", username: "b", password: "c") != print("a", "b", "c"))
        let key = SymmetricKey(size: .bits256)
        var input = Data()
        for field in ["203.0.113.7", "admin", "secret"] {
            withUnsafeBytes(of: UInt64(field.utf8.count).littleEndian) { input.append(contentsOf: $0) }
            input.append(contentsOf: Array(field.utf8))
        }
        let expected = HMAC<SHA256>.authenticationCode(for: input, using: key)
        let made = CredentialFingerprinter(key: key).fingerprint(
            address: "203.0.113.7", username: "admin", password: "secret")
        #expect(made == expected.withUnsafeBytes { CredentialFingerprint($0) })
    }
}
