import Crypto
import Foundation

/// Random secrets handed to clients (session ids, exchange codes, OAuth `state`) and the hashes we
/// keep of them instead: a copy of the database then grants nothing.
public enum SecretToken {
    /// `byteCount` bytes from the system CSPRNG, base64url without padding.
    public static func generate(byteCount: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base64URL(Data(bytes))
    }

    /// SHA-256 of the secret's UTF-8 bytes.
    public static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
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
}
