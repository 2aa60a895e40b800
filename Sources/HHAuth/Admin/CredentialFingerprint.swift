import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What ``AdminAuthenticator`` remembers verified credentials under: an HMAC-SHA256, keyed with a
/// per-process random key, of the client's address block (``AddressBlock/key(for:)``), the
/// username and the password. The password itself is never kept.
struct CredentialFingerprint: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// From the 32 bytes of the MAC.
    init(_ bytes: UnsafeRawBufferPointer) {
        words = (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    static func == (left: Self, right: Self) -> Bool {
        left.words == right.words
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

/// Makes ``CredentialFingerprint``s. The HMAC is keyed once, here, not per request: building the
/// key and the HMAC for every admin request, and joining the fields into one string first, cost
/// ~33,000 instructions a request (callgrind, audit page).
struct CredentialFingerprinter: @unchecked Sendable {
    // `HMAC` does not declare `Sendable`. This one is never changed after `init`; every
    // fingerprint works on its own copy, whose hash states are copy-on-write (the copy's first
    // update copies them), so threads may share it.
    private let keyed: HMAC<SHA256>

    init(key: SymmetricKey = SymmetricKey(size: .bits256)) {
        keyed = HMAC(key: key)
    }

    /// Each field goes in behind its length, so no two different (address, username, password)
    /// triples give the same input, whatever bytes the fields hold. The input is put together in
    /// one temporary buffer, zeroed afterwards, and hashed in one call: each call of the generic
    /// `HMAC.update(data:)` costs ~2,700 instructions.
    func fingerprint(address: String, username: String, password: String) -> CredentialFingerprint {
        var block = AddressBlock.key(for: address)
        var username = username
        var password = password
        return block.withUTF8 { block in
            username.withUTF8 { username in
                password.withUTF8 { password in
                    let fields = [block, username, password]
                    let size = fields.reduce(0) { $0 + 8 + $1.count }
                    return withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { input in
                        // It holds the password: zeroed in a way the optimizer may not drop. (The
                        // password's other copies, the request's header and the decoded Basic
                        // credentials, live as long as the request; this one need not.)
                        defer { if let base = input.baseAddress { erase(base, input.count) } }
                        var offset = 0
                        for field in fields {
                            input.storeBytes(
                                of: UInt64(field.count).littleEndian, toByteOffset: offset, as: UInt64.self)
                            UnsafeMutableRawBufferPointer(rebasing: input[(offset + 8)...]).copyMemory(
                                from: UnsafeRawBufferPointer(field))
                            offset += 8 + field.count
                        }
                        var mac = keyed
                        mac.update(data: UnsafeRawBufferPointer(input))
                        return mac.finalize().withUnsafeBytes { CredentialFingerprint($0) }
                    }
                }
            }
        }
    }
}

/// Zeroes memory so that the optimizer cannot drop it as a dead store.
private func erase(_ base: UnsafeMutableRawPointer, _ count: Int) {
    #if canImport(Glibc)
        explicit_bzero(base, count)
    #else
        memset_s(base, count, 0, count)
    #endif
}
