/// HeadHunter user ids are decimal strings; we accept 1 to 20 digits and nothing else.
public enum HHUserID {
    public static func isValid(_ text: String) -> Bool {
        (1...20).contains(text.utf8.count)
            && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
