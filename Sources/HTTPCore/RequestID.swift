/// Request ids: nginx's `$request_id` (32 hex digits) when it sent one, else a fresh random one.
public enum RequestID {
    /// `candidate` when it is 32 lowercase hex digits, else a fresh id of that form.
    public static func accepting(_ candidate: String?) -> String {
        if let candidate, candidate.utf8.count == 32, candidate.utf8.allSatisfy(isHexDigit) { return candidate }
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
        }.joined()
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
