import Foundation
import Testing

@testable import HHAuth

/// Bytes that live in databases: a change to either would orphan every stored session or token.
@Suite("Stored forms")
struct StoredFormTests {
    @Test func secretsAreStoredAsTheirSHA256() {
        #expect(
            SecretToken.hash("abc").map { String(format: "%02x", $0) }.joined()
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SecretToken.hash("").count == 32)
        #expect(
            SecretToken.hash("Иван").map { String(format: "%02x", $0) }.joined()
                == "cc0781950ffebec65a7f552e099f5111dc6526384615f13801e3f0d25b38e960")
    }

    @Test func tokenCiphertextsAreBoundToUserAndField() {
        #expect(TokenVault.context(42, "access_token") == Data("hh-auth/v1/42/access_token".utf8))
        #expect(TokenVault.context(-1, "refresh_token") == Data("hh-auth/v1/-1/refresh_token".utf8))
    }
}
