import Crypto
import Foundation

/// Random secrets handed to clients (session ids, exchange codes, OAuth `state`) and the hashes we
/// keep of them instead: a copy of the database then grants nothing.
public enum SecretToken {
    /// `byteCount` bytes from the system CSPRNG, base64url without padding.
    public static func generate(byteCount: Int = 32) -> String {
        base64URL(randomBytes(byteCount))
    }

    /// `count` bytes from the system CSPRNG.
    static func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// SHA-256 of the secret's UTF-8 bytes.
    public static func hash(_ secret: String) -> Data {
        // Straight from the string's bytes: through `Data(secret.utf8)` and `Data(digest)` (a
        // sequence copy) this cost twice the hashing itself on every session call (callgrind,
        // BENCHMARKS.md "Issue 15").
        var secret = secret
        return secret.withUTF8 { bytes in
            SHA256.hash(data: UnsafeRawBufferPointer(bytes)).withUnsafeBytes { Data($0) }
        }
    }

    /// Secrets are printable ASCII of bounded length; anything else is refused before hashing, so a
    /// 100 KB "state" costs nothing.
    public static func isPlausible(_ text: String, maxLength: Int = 256) -> Bool {
        !text.isEmpty && text.utf8.count <= maxLength && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of unpadded base64url text; `nil` when it is not that.
    static func fromBase64URL(_ text: String) -> Data? {
        guard text.utf8.allSatisfy({ $0.isBase64URLDigit }) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard)
    }
}

extension UInt8 {
    fileprivate var isBase64URLDigit: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self) || self == 0x2D
            || self == 0x5F
    }
}
