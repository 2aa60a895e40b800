import Foundation
import HTTPCore
import Testing

@testable import HHAuth

/// Every on/off setting takes one list of words and refuses anything else at start, naming the
/// setting; the admin API's `active_only` keeps the contract's own words.
@Suite("Settings: on/off words")
struct BooleanSettingsTests {
    static let onWords = ["true", "on", "yes", "1", "TRUE", "On", "YES"]
    static let offWords = ["false", "off", "no", "0", "FALSE", "Off", "NO"]

    /// Each on/off setting, and what it turned into.
    static let settings: [(name: String, isOn: @Sendable (Configuration) -> Bool)] = [
        ("VERIFY_PASS_ACCESS_TOKEN", { $0.browserSessions.passAccessToken })
        // Not RATE_LIMITS: only `off` turns the limits off, anything else keeps them on and warns
        // (OperatorSettingsTests), so an upgrade never turns them off nor stops over a value.
    ]

    private func parse(_ name: String, _ value: String) throws(ConfigurationError) -> Configuration {
        try ConfigurationParser(settings: ConfigurationParserTests.minimal.merging([name: value]) { $1 }).parse()
    }

    @Test func everyOnOffSettingTakesTheSameWords() throws {
        #expect(Set(Self.onWords.map { $0.lowercased() }) == ConfigurationParser.onWords)
        #expect(Set(Self.offWords.map { $0.lowercased() }) == ConfigurationParser.offWords)
        for (name, isOn) in Self.settings {
            for word in Self.onWords { #expect(isOn(try parse(name, word)), "\(name)=\(word)") }
            for word in Self.offWords { #expect(!isOn(try parse(name, word)), "\(name)=\(word)") }
        }
    }

    @Test(arguments: ["ture", "flase", "of", "onn", "y", "n", "enabled", "2", "true ", "yes!"])
    func aTypoStopsStartUpNamingTheSetting(word: String) {
        for (name, _) in Self.settings {
            do {
                _ = try parse(name, word)
                Issue.record("\(name)=\(word) was accepted")
            } catch {
                #expect(error.setting == name)
                #expect(error.description.hasPrefix("\(name): must be true or false"), "\(error)")
            }
        }
    }

    /// README's settings table lists the same words.
    @Test func theReadmeListsTheWords() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("`true`, `on`, `yes`, `1` or `false`, `off`, `no`, `0`"))
    }

    /// The contract's query parameter: exactly its words, `on`/`off` not among them.
    @Test func theQueryParameterKeepsTheContractsWords() throws {
        for word in ["true", "1", "yes", "TRUE", "Yes"] {
            #expect(try QueryValidation.boolean(word, name: "active_only") == true)
        }
        for word in ["false", "0", "no", "False", "NO"] {
            #expect(try QueryValidation.boolean(word, name: "active_only") == false)
        }
        for word in ["on", "off", "ture", "y", ""] {
            #expect(throws: HTTPError(422, "Query parameter 'active_only' must be true or false")) {
                try QueryValidation.boolean(word, name: "active_only")
            }
        }
        #expect(try QueryValidation.boolean(nil, name: "active_only") == nil)
    }
}
