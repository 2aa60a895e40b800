/// The group names a whitelist entry carries, for the per-location rules of `/auth/verify/{group}`.
///
/// A name is `[a-z0-9][a-z0-9_-]{0,31}`, and an entry has at most ``maxCount`` of them. Stored in
/// `allowed_users.groups` as the names sorted (byte order), without duplicates, joined with `,`
/// and no spaces; `''` for none (``names(stored:)`` reads it back, the verify lookup too).
public enum WhitelistGroups {
    public static let maxCount = 16
    public static let maxNameLength = 32

    /// What a name must look like, for error messages.
    public static let nameRule =
        "names of 1 to \(maxNameLength) characters a-z, 0-9, _ and -, starting with a letter or digit"

    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...maxNameLength).contains(bytes.count), isLetterOrDigit(bytes[0]) else { return false }
        return bytes.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// The names sorted and without duplicates, or the domain's refusal.
    public static func normalized(_ names: [String]) throws(AdminError) -> [String] {
        guard names.allSatisfy(isValidName) else { throw .invalidGroupName }
        let unique = Array(Set(names)).sorted()
        guard unique.count <= maxCount else { throw .tooManyGroups }
        return unique
    }

    /// The column's text for `names` (sorted and deduplicated here as well).
    static func stored(_ names: [String]) -> String {
        Array(Set(names)).sorted().joined(separator: ",")
    }

    /// The names the column's text holds.
    static func names(stored text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
