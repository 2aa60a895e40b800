import Foundation
import HHAuth
import Logging
import Testing

@testable import hh_auth

/// `LOG_FORMAT=json`: the text line's fields as one JSON object a line, for log shippers.
@Suite("JSON log line")
struct JSONLogLineTests {
    private func bytes(_ metadata: Logger.Metadata, level: Logger.Level = .info, message: String = "request")
        -> [UInt8]
    {
        StderrLogHandler.jsonLine(
            timestamp: "2026-12-01T12:00:00Z", level: level, label: "hh-auth", metadata: metadata, message: message)
    }

    /// The line as a JSON object; it must be exactly one line.
    private func object(_ metadata: Logger.Metadata, level: Logger.Level = .info, message: String = "request") throws
        -> [String: Any]
    {
        let line = bytes(metadata, level: level, message: message)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") })
        return try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
    }

    @Test func requestLineHasTheTextLinesFieldsInOrder() {
        let line = String(
            decoding: bytes([
                "status": "200", "method": "POST", "route": "/auth/token", "duration_ms": "0.41",
                "request_id": "0123abcd", "client": "127.0.0.1",
            ]), as: UTF8.self)
        #expect(
            line
                == #"{"timestamp":"2026-12-01T12:00:00Z","level":"info","label":"hh-auth","message":"request","#
                + #""client":"127.0.0.1","duration_ms":"0.41","method":"POST","request_id":"0123abcd","#
                + #""route":"/auth/token","status":"200"}"# + "\n")
    }

    @Test func everyStringIsEscapedControlCharactersQuotesAndNonASCIIIncluded() throws {
        let hostile = "a\"b\\c\nd\re\tf\u{0}g\u{1B}[31m\u{7F}h\u{2028}i"
        let unicode = "Иван 🚀 \u{301}é"
        let parsed = try object(["error": .string(hostile), "name": .string(unicode)], message: hostile + unicode)
        #expect(parsed["error"] as? String == hostile)
        #expect(parsed["name"] as? String == unicode)
        #expect(parsed["message"] as? String == hostile + unicode)
        let text = String(decoding: bytes(["error": .string(hostile)]), as: UTF8.self)
        #expect(text.contains(#""error":"a\"b\\c\nd\re\tf\u0000g\u001b[31m"#))
    }

    @Test func otherValueKindsNestAndEveryFieldIsThere() throws {
        let parsed = try object(
            ["list": ["a", "b"], "nested": ["k": "v", "n": ["x"]], "count": .stringConvertible(42)], level: .error,
            message: "m")
        #expect(parsed["timestamp"] as? String == "2026-12-01T12:00:00Z")
        #expect(parsed["level"] as? String == "error")
        #expect(parsed["label"] as? String == "hh-auth")
        #expect(parsed["message"] as? String == "m")
        #expect(parsed["list"] as? [String] == ["a", "b"])
        let nested = try #require(parsed["nested"] as? [String: Any])
        #expect(nested["k"] as? String == "v")
        #expect(nested["n"] as? [String] == ["x"])
        #expect(parsed["count"] as? String == "42")
        #expect(Set(parsed.keys) == ["timestamp", "level", "label", "message", "list", "nested", "count"])
    }

    @Test func aMetadataKeyNamedLikeAFieldDoesNotRepeatIt() throws {
        let line = String(decoding: bytes(["message": "from metadata", "level": "x"]), as: UTF8.self)
        #expect(line.components(separatedBy: #""message":"#).count == 2)
        let parsed = try object(["message": "from metadata", "level": "x"])
        #expect(parsed["message"] as? String == "request")
        #expect(parsed["level"] as? String == "info")
        #expect(parsed["metadata_message"] as? String == "from metadata")
        #expect(parsed["metadata_level"] as? String == "x")
    }

    @Test func logFormatIsTextUnlessSetAndAnythingElseIsRefused() throws {
        #expect(try LogFormat(ConfigurationParser(settings: [:])) == .text)
        #expect(try LogFormat(ConfigurationParser(settings: ["LOG_FORMAT": "json"])) == .json)
        #expect(try LogFormat(ConfigurationParser(settings: ["LOG_FORMAT": "JSON"])) == .json)
        #expect(try LogFormat(ConfigurationParser(settings: ["LOG_FORMAT": "text"])) == .text)
        for value in ["yaml", "json ", "logfmt"] {
            do {
                _ = try LogFormat(ConfigurationParser(settings: ["LOG_FORMAT": value]))
                Issue.record("LOG_FORMAT=\(value) was accepted")
            } catch {
                #expect(error.description == "LOG_FORMAT: must be text or json")
            }
        }
    }
}
