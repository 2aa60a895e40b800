/// Codes, tokens and request ids from the system CSPRNG.
///
/// Even a fake must not hand out guessable tokens: the service under test stores them encrypted
/// and its tests compare them, and a predictable generator would hide bugs in both.
enum SecureRandom {
    private static let tokenAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    /// An HH-looking opaque string: upper-case letters and digits, as HH's own codes and tokens are.
    static func token(length: Int = 64) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<length).map { _ in tokenAlphabet.randomElement(using: &generator)! }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 32 lower-case hex digits, the shape of HH's `request_id`.
    static func requestID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
        }.joined()
    }
}
