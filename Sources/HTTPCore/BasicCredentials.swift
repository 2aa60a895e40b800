import Foundation

/// `Authorization: Basic base64(username:password)`.
public struct BasicCredentials: Sendable, Equatable {
    public let username: String
    public let password: String

    /// Parses the header's value; nil when it is absent, longer than 4 KiB, not `Basic`, not
    /// base64, not UTF-8 or without a colon.
    public init?(header: String?) {
        guard let header, header.utf8.count <= 4096 else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: parts[1].trimmingSpaces()),
            let text = String(validating: data, as: UTF8.self), let colon = text.utf8.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        // At the first colon byte (RFC 7617): as a `Character`, a colon followed by a combining mark
        // would not match and the split would move into the password.
        username = String(decoding: text.utf8[..<colon], as: UTF8.self)
        password = String(decoding: text.utf8[text.utf8.index(after: colon)...], as: UTF8.self)
    }
}
