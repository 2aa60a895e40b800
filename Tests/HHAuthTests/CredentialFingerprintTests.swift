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

    /// One keyed HMAC shared by every worker thread (`@unchecked Sendable`, relying on the hash
    /// state being copied on a shared copy's first update, as swift-crypto 3.12 does): many threads
    /// at once each get exactly the MAC a fresh HMAC gives for their own input.
    @Test func oneKeyedHMACSharedByManyThreadsGivesEachItsOwnMAC() async {
        let key = SymmetricKey(size: .bits256)
        let shared = CredentialFingerprinter(key: key)
        let (workers, rounds) = (8, 2_000)
        // The expected MACs, each from a fresh HMAC on this one thread.
        var expected: [[CredentialFingerprint]] = []
        for worker in 0..<workers {
            expected.append(
                (0..<rounds).map { round in
                    CredentialFingerprinter(key: key).fingerprint(
                        address: "198.51.100.\(worker)", username: "admin", password: "secret-\(worker)-\(round)")
                })
        }
        let reference = expected
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    (0..<rounds).filter { round in
                        shared.fingerprint(
                            address: "198.51.100.\(worker)", username: "admin", password: "secret-\(worker)-\(round)")
                            != reference[worker][round]
                    }.count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
