import Crypto
import Foundation

/// What ties a sign-in's OAuth `state` to the browser that started it, against login CSRF
/// (RFC 9700 §4.7): without it, anyone could start a sign-in as themselves, stop at HH's redirect
/// back, and hand the callback URL to a victim, whose browser would then be signed in to the
/// attacker's account.
///
/// `/auth/login` draws a random secret, gives it to the browser in a short-lived pre-auth cookie
/// and seals the digest of the cookie's value into the state; the callback is honoured only for
/// the browser that presents that cookie. The cookie can also carry where to go once signed in
/// (`returnTo`), bound by the same digest, so the state stays short and nothing is stored.
public struct BrowserBinding: Sendable, Equatable {
    /// Which of the browser's sign-ins under way this is: names its cookie, so two tabs of one
    /// browser can sign in at once. Derived from the state (``LoginStateStore/flowID(of:)``).
    public let flowID: String
    /// The pre-auth cookie's value: the secret (128 bits, base64url), then `.` and the base64url
    /// of the return-to text when there is one.
    public let cookieValue: String

    /// Bytes of SHA-256 of the cookie's value the state carries: a second preimage of 128 bits is
    /// out of reach, and the state stays short.
    static let digestLength = 16
    /// Bytes of randomness in the secret.
    static let secretLength = 16
    /// The longest cookie value the callback looks at (browsers keep about 4 KB per cookie).
    static let maxCookieValueLength = 4000

    /// A new cookie value, with `returnTo` in it when given.
    static func newCookieValue(returnTo: String?) -> String {
        let secret = SecretToken.generate(byteCount: secretLength)
        guard let returnTo else { return secret }
        return secret + "." + SecretToken.base64URL(Data(returnTo.utf8))
    }

    /// What the state seals of a cookie value: the first ``digestLength`` bytes of its SHA-256.
    static func digest(of cookieValue: String) -> Data {
        SecretToken.hash(cookieValue).prefix(digestLength)
    }

    /// Whether `cookieValue` (what the callback's browser sent, if anything) is the value whose
    /// digest the state carries; compared in constant time.
    static func matches(_ cookieValue: String?, digest: Data) -> Bool {
        guard let cookieValue, SecretToken.isPlausible(cookieValue, maxLength: maxCookieValueLength) else {
            return false
        }
        return ConstantTime.equal(Array(Self.digest(of: cookieValue)), Array(digest))
    }

    /// The return-to text a cookie value carries, if any.
    static func returnTo(in cookieValue: String) -> String? {
        guard let dot = cookieValue.firstIndex(of: ".") else { return nil }
        guard let bytes = SecretToken.fromBase64URL(String(cookieValue[cookieValue.index(after: dot)...])) else {
            return nil
        }
        return String(bytes: bytes, encoding: .utf8)
    }
}
