import Foundation
import Testing

@testable import HTTPCore

/// Inputs the fuzz targets (Fuzz/, `scripts/fuzz.sh`) broke, kept as plain tests.
///
/// Most are one bug: separators (`&`, `=`, `/`, `?`, `:`) compared as `Character`s. A separator
/// followed by a combining mark (U+0306, as in decomposed "й") is one grapheme cluster with it, so
/// it did not split; on the wire it is still the separator byte.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // query: `name "full_name=ֻ…" != "full_name"`.
    @Test func querySplitsAtAmpersandAndEqualsBytes() {
        let query = QueryParameters(parsing: "full_name=\u{5BB}x&\u{306}b=2&c=3")
        #expect(query.pairs.map(\.name) == ["full_name", "\u{306}b", "c"])
        #expect(query["full_name"] == "\u{5BB}x")
        #expect(query["c"] == "3")
    }

    // router: `/admin/users/й/̊x` matched `{hh_user_id}` with a raw `/` inside the parameter.
    @Test func routerSplitsAtSlashBytes() {
        var router = Router()
        router.delete("/admin/users/{hh_user_id}") { _ in HTTPResponse() }
        guard case .notFound = router.match(method: "DELETE", path: "/admin/users/\u{439}/\u{30A}x") else {
            Issue.record("a raw `/` ended up inside a path parameter")
            return
        }
        // An encoded `/` is a path step to nginx: it matches no route (see `Router`).
        guard case .notFound = router.match(method: "DELETE", path: "/admin/users/\u{438}\u{306}%2F..") else {
            Issue.record("an encoded `/` reached a route")
            return
        }
        guard case .found(_, let parameters, _) = router.match(method: "DELETE", path: "/admin/users/\u{438}\u{306}..")
        else {
            Issue.record("a combining mark before dots no longer stays in its parameter")
            return
        }
        #expect(parameters["hh_user_id"] == "\u{438}\u{306}..")
    }

    // basic_auth: `bab :ۗ` in a well-formed header was refused (no colon found).
    @Test func basicCredentialsSplitAtTheFirstColonByte() {
        let credentials = BasicCredentials(header: "Basic " + base64("bab :\u{6D7}   \t"))
        #expect(credentials?.username == "bab ")
        #expect(credentials?.password == "\u{6D7}   \t")
        let fused = BasicCredentials(header: "Basic " + base64("a:\u{301}b:c"))
        #expect(fused?.username == "a")
        #expect(fused?.password == "\u{301}b:c")
    }

    // log_text: `U+82 in "d…amin"`: C1 controls (and NEL, U+2028/2029) passed through into log lines.
    @Test func logTextReplacesEveryLineBreakingScalar() {
        let hostile = "a\u{85}b\u{9B}31mc\u{2028}d\u{2029}e\r\nf\u{7F}g\u{1B}"
        #expect(LogText.safe(hostile) == "a?b?31mc?d?e??f?g?")
        #expect(LogText.safe("Иван 🙂 и\u{306}") == "Иван 🙂 и\u{306}")
    }

    private func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}
