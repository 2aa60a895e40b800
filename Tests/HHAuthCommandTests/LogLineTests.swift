import Logging
import Testing

@testable import hh_auth

/// The one-line log format operators grep: `TIMESTAMP LEVEL LABEL: key=value… MESSAGE`, keys sorted.
@Suite("Log line")
struct LogLineTests {
    private func text(_ metadata: Logger.Metadata, level: Logger.Level = .info, message: String = "request") -> String {
        String(
            decoding: StderrLogHandler.line(
                timestamp: "2026-12-01T12:00:00Z", level: level, label: "hh-auth", metadata: metadata, message: message),
            as: UTF8.self)
    }

    @Test func requestLineKeysSortedValuesAsGiven() {
        let line = text([
            "status": "200", "method": "POST", "route": "/auth/token", "duration_ms": "0.41",
            "request_id": "0123abcd", "client": "127.0.0.1",
        ])
        #expect(
            line
                == "2026-12-01T12:00:00Z info hh-auth: client=127.0.0.1 duration_ms=0.41 method=POST "
                + "request_id=0123abcd route=/auth/token status=200 request\n")
    }

    @Test func noMetadataAndOtherValueKinds() {
        #expect(text([:], level: .warning, message: "stopped") == "2026-12-01T12:00:00Z warning hh-auth: stopped\n")
        #expect(
            text(["list": ["a", "b"], "nested": ["k": "v"]], level: .error, message: "m")
                == #"2026-12-01T12:00:00Z error hh-auth: list=["a", "b"] nested=["k": "v"] m"# + "\n")
    }

    @Test func utf8PassesThrough() {
        #expect(text(["name": "Иван"], message: "привет") == "2026-12-01T12:00:00Z info hh-auth: name=Иван привет\n")
    }
}
