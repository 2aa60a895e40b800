import FastCGI
import Testing

@testable import FastCGIHTTP

/// The FastCGI side of the fuzz regressions (HTTPCoreTests' `FuzzRegressionTests` has the rest):
/// separators compared as `Character`s, where a combining mark after one fuses with it.
@Suite("Fuzz regressions: FastCGI parameters")
struct FastCGIFuzzRegressionTests {
    // Same bug in the FastCGI layer (found by review of the HTTPCore ones; the fastcgi_params corpus now
    // carries a seed for it): `HTTP_USER_AGENT=̆curl` was dropped, `/users/me?̆x` was all path.
    @Test func fastCGIParametersSplitAtTheFirstEqualsByte() {
        let parameter = FastCGIRequest.parameter(fromEnvironment: "HTTP_USER_AGENT=\u{306}curl=8")
        #expect(parameter?.name == "HTTP_USER_AGENT")
        #expect(parameter?.value == "\u{306}curl=8")
        #expect(FastCGIRequest.parameter(fromEnvironment: "NO_EQUALS") == nil)
    }

    // fastcgi_params: `header  1.0cdef&sn has no source` from `HTTP_̆ 1.0CDEF&sN`: the byte-wise
    // `HTTP_` prefix matched, then a `Character`-wise dropFirst(5) ate the combining mark too.
    @Test func headerNamesDropExactlyThePrefixBytes() {
        let request = RequestConversion.httpRequest(
            from: FastCGIRequest(params: [
                "HTTP_\u{306} 1.0CDEF&sN": "x", "HTTP_X_\u{306}A": "y", "HTTP_USER_AGENT": "curl",
            ]))
        #expect(request.headers == ["\u{306} 1.0cdef&sn": "x", "x-\u{306}a": "y", "user-agent": "curl"])
    }

    @Test func requestURISplitsAtTheQuestionMarkByte() {
        let request = RequestConversion.httpRequest(
            from: FastCGIRequest(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/users/me?\u{306}session_id=x"]))
        #expect(request.path == "/users/me")
        #expect(request.query["\u{306}session_id"] == "x")
    }
}
