import Dispatch
import Synchronization
import Testing

@testable import HHAuth

@Suite("PasswordHash and ConstantTime")
struct PasswordHashTests {
    /// `crypt_gensalt` shares one static buffer between threads; `make` must not depend on it.
    @Test func makeIsSafeFromManyThreadsAtOnce() {
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let password = "password-\(index)"
            let ok = PasswordHash.make(password).map { PasswordHash.verify(password, against: $0) } ?? false
            if !ok { failures.withLock { $0 += 1 } }
        }
        #expect(failures.withLock { $0 } == 0)
    }

    /// `openssl passwd -6 -salt saltsalt admin`
    static let sha512Admin =
        "$6$saltsalt$ZxoUf1bJzACFdk9GZkBGmxXd3Rq8nUoGjgon4GVoI91SlW41Ew2djlh60PmWr4flwags.7ULrKVSSmnCEsIOj1"
    /// `openssl passwd -5 -salt saltsalt admin`
    static let sha256Admin = "$5$saltsalt$ajilCybiF3oQBEfeTHO1rkbsmz9HcJplt.gHWXkRfD4"

    @Test func madeHashIsYescryptAndVerifies() throws {
        let hash = try #require(PasswordHash.make("correct horse 🐎 пароль"))
        #expect(hash.hasPrefix("$y$"))
        #expect(PasswordHash.looksLikeCryptHash(hash))
        #expect(PasswordHash.verify("correct horse 🐎 пароль", against: hash))
        #expect(!PasswordHash.verify("correct horse 🐎 пароль ", against: hash))
        #expect(!PasswordHash.verify("", against: hash))
    }

    @Test func hashesAreSalted() throws {
        let first = try #require(PasswordHash.make("same"))
        let second = try #require(PasswordHash.make("same"))
        #expect(first != second)
        #expect(PasswordHash.verify("same", against: second))
    }

    @Test func knownSHACryptVectorsVerify() {
        #expect(PasswordHash.verify("admin", against: Self.sha512Admin))
        #expect(!PasswordHash.verify("Admin", against: Self.sha512Admin))
        #expect(PasswordHash.verify("admin", against: Self.sha256Admin))
        #expect(!PasswordHash.verify("admin1", against: Self.sha256Admin))
    }

    @Test(arguments: ["", "*", "*0", "plain-password", "$6$", "$6$saltsalt$", "$1$abc$def"])
    func garbageHashesNeverVerify(hash: String) {
        #expect(!PasswordHash.verify("admin", against: hash))
        #expect(!PasswordHash.verify("", against: hash))
    }

    @Test func cryptHashShapeIsRecognised() {
        #expect(PasswordHash.looksLikeCryptHash(Self.sha512Admin))
        #expect(PasswordHash.looksLikeCryptHash("$2b$12$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP"))
        #expect(!PasswordHash.looksLikeCryptHash("admin"))
        #expect(!PasswordHash.looksLikeCryptHash("$6$short"))
        #expect(!PasswordHash.looksLikeCryptHash("$6$saltsalt$ with spaces in it here"))
    }

    @Test func constantTimeEqual() {
        #expect(ConstantTime.equal([], []))
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [0, 2, 3]))
        #expect(!ConstantTime.equal([1, 2], [1, 2, 0]))
        #expect(!ConstantTime.equal([1, 2, 0], [1, 2]))
        #expect(!ConstantTime.equal([], [0]))
    }
}
