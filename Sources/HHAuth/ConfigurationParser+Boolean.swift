import HTTPCore

extension ConfigurationParser {
    /// The words an on/off setting (`VERIFY_PASS_ACCESS_TOKEN`) takes for on, in any case; README's
    /// settings table lists the same. (`RATE_LIMITS` is not one: only `off` turns the limits off.)
    static let onWords: Set<String> = ["true", "on", "yes", "1"]
    /// The words for off.
    static let offWords: Set<String> = ["false", "off", "no", "0"]

    /// Every on/off setting is read here, so they all take one list of words; anything else stops
    /// start-up with the setting's name, so a typo (`ture`) never silently means one or the other.
    /// (The admin API's `active_only` is the contract's and takes the contract's words:
    /// ``QueryValidation/boolean(_:name:)``.) `nil` when the setting is not set.
    func boolean(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let text = optional(name) else { return nil }
        let word = text.lowercased()
        if Self.onWords.contains(word) { return true }
        if Self.offWords.contains(word) { return false }
        throw ConfigurationError(
            name, "must be true or false (or on/off, yes/no, 1/0), not '\(LogText.safe(text, limit: 32))'")
    }
}
