import Crypto
import Foundation

/// The OAuth `state` as a self-authenticating token, so `/auth/login` stores nothing and an
/// anonymous flood of sign-in starts costs no write and cannot crowd out real users.
///
/// Layout (base64url, 90 characters): version (2) | nonce (16) | expiry, Unix milliseconds, big
/// endian (8) | index of the client redirect in the allow-list, `0xFFFF` for none (2) | first 8
/// bytes of the redirect's SHA-256, zeros for none (8) | the browser binding's digest (16, see
/// ``BrowserBinding``) | HMAC-SHA256 of all that, first 16 bytes.
/// The redirect is bound by index and hash: a reordered or edited allow-list refuses the state
/// instead of sending its code to another URL. The MAC key is derived from the encryption key with
/// HKDF under its own label, so the AES key itself never signs anything.
///
/// Version 1 (68 characters, no browser binding) is refused: states issued before an upgrade to
/// version 2 fail at their callback with the usual 400. They live minutes (`OAUTH_STATE_EXPIRE_MINUTES`),
/// and accepting them would accept exactly the unbound states the binding exists to end.
struct LoginStateSeal: Sendable {
    /// What an authentic state says.
    struct Contents: Sendable, Equatable {
        /// Unix time in milliseconds after which the state is refused.
        var expiresAtMilliseconds: UInt64
        /// The allow-listed client URL to return to, if any.
        var redirectURI: String?
        /// ``BrowserBinding/digest(of:)`` of the pre-auth cookie the state was issued with.
        var bindingDigest: Data
    }

    static let encodedLength = 90
    private static let version: UInt8 = 2
    private static let nonceLength = 16
    private static let redirectHashLength = 8
    private static let tagLength = 16
    private static let noRedirect: UInt16 = 0xFFFF
    /// Characters of the nonce, base64url, that name a flow's pre-auth cookie (72 bits).
    private static let flowIDLength = 12
    private static let keyLabel = Data("hh-auth oauth state MAC v2".utf8)

    /// Raw MAC keys, the current one first; older ones only verify, so states in flight survive a
    /// key rotation. `SymmetricKey` is not `Sendable`, its bytes are.
    private let macKeys: [Data]
    private let redirectURIs: [String]

    init(keys: [EncryptionKey], redirectURIs: [String]) {
        self.macKeys = keys.map { key in
            HKDF<SHA256>.deriveKey(inputKeyMaterial: key.key, info: Self.keyLabel, outputByteCount: 32)
                .withUnsafeBytes { Data($0) }
        }
        self.redirectURIs = redirectURIs
    }

    /// A new state; `nil` when `redirectURI` is not in the allow-list (or there is no key).
    func seal(_ contents: Contents) -> String? {
        guard let key = macKeys.first, contents.bindingDigest.count == BrowserBinding.digestLength else { return nil }
        var index = Self.noRedirect
        var redirectHash = Data(count: Self.redirectHashLength)
        if let redirect = contents.redirectURI {
            guard let position = redirectURIs.firstIndex(of: redirect), position < Int(Self.noRedirect) else {
                return nil
            }
            index = UInt16(position)
            redirectHash = Self.shortHash(redirect)
        }
        var body = Data([Self.version])
        body += SecretToken.randomBytes(Self.nonceLength)
        body += Self.bigEndian(contents.expiresAtMilliseconds)
        body += Self.bigEndian(index)
        body += redirectHash
        body += contents.bindingDigest
        return SecretToken.base64URL(body + Self.tag(body, key: key))
    }

    /// The flow a state names (the start of its nonce, base64url), read without checking the seal:
    /// it only says which pre-auth cookie to read and delete. `nil` when the text is not shaped
    /// like a state.
    static func flowID(of state: String) -> String? {
        guard state.utf8.count == encodedLength, let bytes = SecretToken.fromBase64URL(state),
            bytes.first == version
        else { return nil }
        let nonce = bytes.dropFirst().prefix(nonceLength)
        return String(SecretToken.base64URL(Data(nonce)).prefix(flowIDLength))
    }

    /// The contents of an authentic, unexpired state; `nil` for anything else (malformed, forged,
    /// signed by an unknown key, expired, or naming a redirect the allow-list no longer has there).
    func open(_ state: String, nowMilliseconds: UInt64) -> Contents? {
        guard state.utf8.count == Self.encodedLength, let bytes = SecretToken.fromBase64URL(state),
            // 67 bytes leave 4 spare bits in the last character: only the canonical spelling is a
            // state, or one state would have 16 spellings and a used one could be replayed as another.
            SecretToken.base64URL(bytes) == state
        else { return nil }
        let tagStart = bytes.count - Self.tagLength
        guard tagStart > 0, bytes.first == Self.version else { return nil }
        let body = bytes.prefix(tagStart)
        let tag = bytes.suffix(Self.tagLength)
        guard macKeys.contains(where: { ConstantTime.equal(Array(Self.tag(body, key: $0)), Array(tag)) }) else {
            return nil
        }
        var cursor = 1 + Self.nonceLength
        let expiry = Self.read(UInt64.self, from: body, at: &cursor)
        let index = Self.read(UInt16.self, from: body, at: &cursor)
        let redirectHash = Data(body.dropFirst(cursor).prefix(Self.redirectHashLength))
        cursor += Self.redirectHashLength
        let bindingDigest = Data(body.dropFirst(cursor).prefix(BrowserBinding.digestLength))
        guard expiry > nowMilliseconds else { return nil }
        guard index != Self.noRedirect else {
            return Contents(expiresAtMilliseconds: expiry, redirectURI: nil, bindingDigest: bindingDigest)
        }
        guard Int(index) < redirectURIs.count else { return nil }
        let redirect = redirectURIs[Int(index)]
        guard ConstantTime.equal(Array(Self.shortHash(redirect)), Array(redirectHash)) else { return nil }
        return Contents(expiresAtMilliseconds: expiry, redirectURI: redirect, bindingDigest: bindingDigest)
    }

    private static func tag(_ body: Data, key: Data) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key))).prefix(tagLength)
    }

    private static func shortHash(_ text: String) -> Data {
        Data(SHA256.hash(data: Data(text.utf8))).prefix(redirectHashLength)
    }

    private static func bigEndian<Value: FixedWidthInteger>(_ value: Value) -> Data {
        withUnsafeBytes(of: value.bigEndian) { Data($0) }
    }

    private static func read<Value: FixedWidthInteger>(_: Value.Type, from data: Data, at cursor: inout Int) -> Value {
        let size = MemoryLayout<Value>.size
        let start = data.startIndex + cursor
        cursor += size
        return data[start..<start + size].reduce(Value.zero) { ($0 << 8) | Value($1) }
    }
}
